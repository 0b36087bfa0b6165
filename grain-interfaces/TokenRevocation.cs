namespace ZeroPath.Tokens;

/// <summary>Revoking a token known only by its id: its organization, which the token names, does it.</summary>
public static class TokenRevocation
{
    /// <summary>
    /// Asks the token which organization it belongs to, then has that organization revoke it (the organization ends the
    /// token and drops it from its index; the token never calls its organization). Null when no such token was issued.
    /// </summary>
    public static async Task<TokenDetails?> RevokeTokenAsync(this IGrainFactory grains, Guid tokenId, string reason) =>
        await grains.GetGrain<ITokenGrain>(tokenId).Describe() is { } details
            ? await grains.GetGrain<IOrganizationGrain>(details.OrganizationId).RevokeToken(tokenId, reason)
            : null;
}
