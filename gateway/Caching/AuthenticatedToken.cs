using System.Collections.Immutable;
using System.Net;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Caching;

/// <summary>The identity a valid token gives a request, with its header values formatted once.</summary>
public sealed class AuthenticatedToken
{
    public AuthenticatedToken(
        Guid tokenId, string organizationId, string userId, IReadOnlyList<string> permissions, DateTimeOffset expiresAt,
        ImmutableArray<string>? allowedCidrs = null, TokenRateLimit? rateLimit = null, long? indexSequence = null)
    {
        Id = tokenId;
        IndexSequence = indexSequence;
        RateLimit = rateLimit;
        AllowedNetworks = allowedCidrs is { } cidrs ? ParseNetworks(cidrs) : null;
        TokenId = tokenId.ToString("D");
        OrganizationId = organizationId;
        UserId = userId;
        Permissions = string.Join(',', permissions);
        ExpiresAt = expiresAt;
    }

    public string TokenId { get; }

    /// <summary>The token id, unformatted.</summary>
    public Guid Id { get; }

    /// <summary>The token's place in its organization's index, which names its usage shard; null from a silo that did not say.</summary>
    public long? IndexSequence { get; }

    /// <summary>The last use recorded for this validation (see <see cref="Usage.TokenUseRecorder"/>); replaced whole, never changed.</summary>
    internal Usage.UseMark? RecordedUse
    {
        get => Volatile.Read(ref recordedUse);
        set => Volatile.Write(ref recordedUse, value);
    }

    private Usage.UseMark? recordedUse;
    public string OrganizationId { get; }
    public string UserId { get; }

    /// <summary>Comma-separated, as sent in <c>X-ZeroPath-Permissions</c>.</summary>
    public string Permissions { get; }

    public DateTimeOffset ExpiresAt { get; }

    /// <summary>
    /// The client address ranges the token is accepted from, parsed once per validation (so a cache hit checks them
    /// without parsing); null: any address.
    /// </summary>
    public IPNetwork[]? AllowedNetworks { get; }

    /// <summary>The token's rate limit across all gateways (this gateway enforces its share); null: none.</summary>
    public TokenRateLimit? RateLimit { get; }

    public static AuthenticatedToken From(Guid tokenId, TokenValidation validation) => new(
        tokenId, validation.OrganizationId!, validation.UserId!, validation.Permissions, validation.ExpiresAt!.Value, validation.AllowedCidrs,
        validation.RateLimit,
        validation.IndexSequence);

    /// <summary>The cluster sends canonical ranges; one this gateway cannot read is left out, so it fails closed.</summary>
    private static IPNetwork[] ParseNetworks(ImmutableArray<string> cidrs)
    {
        var networks = new List<IPNetwork>(cidrs.Length);
        foreach (var cidr in cidrs)
        {
            if (IPNetwork.TryParse(cidr, out var network))
            {
                networks.Add(network);
            }
        }

        return [.. networks];
    }
}
