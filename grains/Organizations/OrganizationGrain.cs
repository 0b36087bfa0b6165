using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Grains.Secrets;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

public sealed partial class OrganizationGrain(
    [PersistentState("organization", GrainStorageNames.Tokens)] IPersistentState<OrganizationState> state,
    TokenSecretHasher hasher,
    TimeProvider time,
    ILogger<OrganizationGrain> logger) : Grain, IOrganizationGrain
{
    private string OrganizationId => this.GetPrimaryKeyString();

    public async Task<OrganizationMember> SetMember(string userId, ImmutableArray<string> permissions)
    {
        RequireValidUserId(userId);
        foreach (var permission in permissions)
        {
            if (!TokenRules.IsValidPermission(permission))
            {
                throw new ArgumentException($"Invalid permission '{permission}'.", nameof(permissions));
            }
        }

        var normalized = permissions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        state.State.Members[userId] = normalized;
        await state.WriteStateAsync();
        return new OrganizationMember(OrganizationId, userId, normalized);
    }

    public async Task<bool> RemoveMember(string userId)
    {
        RequireValidUserId(userId);
        if (!state.State.Members.ContainsKey(userId))
        {
            return false;
        }

        // End the tokens first and persist last: a crash in between leaves the member in place, so a retry finishes the job.
        var tokens = state.State.Tokens.Values.Where(t => t.UserId == userId).Select(t => t.TokenId).ToList();
        await Task.WhenAll(tokens.Select(id => GrainFactory.GetGrain<ITokenGrain>(id).Terminate(TokenEndReason.MemberRemoved)));

        foreach (var id in tokens)
        {
            state.State.Tokens.Remove(id);
        }

        state.State.Members.Remove(userId);
        await state.WriteStateAsync();
        LogMemberRemoved(logger, OrganizationId, userId, tokens.Count);
        return true;
    }

    public async Task<CreateTokenResult> CreateToken(CreateTokenCommand command)
    {
        RequireValidUserId(command.UserId);
        if (!TokenRules.IsValidExpiresInDays(command.ExpiresInDays))
        {
            throw new ArgumentOutOfRangeException(nameof(command), command.ExpiresInDays, "ExpiresInDays must be 1–365.");
        }

        if (!TokenRules.TryNormalizeName(command.Name, out var name))
        {
            throw new ArgumentException("Name is too long.", nameof(command));
        }

        if (!state.State.Members.TryGetValue(command.UserId, out var permissions))
        {
            return new CreateTokenResult(CreateTokenStatus.MemberNotFound, null);
        }

        var secret = TokenSecretGenerator.NewSecret();
        var hash = await hasher.HashAsync(secret);
        if (hash is null)
        {
            return new CreateTokenResult(CreateTokenStatus.Busy, null);
        }

        var tokenId = Guid.NewGuid();
        var createdAt = time.GetUtcNow();
        var expiresAt = createdAt.AddDays(command.ExpiresInDays);
        var summary = new TokenSummary(tokenId, name, command.UserId, createdAt, expiresAt);

        // The index entry is stored before the token exists, so no token can ever validate without its organization
        // knowing of it; if the token cannot be stored, the entry is taken back.
        state.State.Tokens[tokenId] = summary;
        await state.WriteStateAsync();
        try
        {
            var record = new TokenRecord(tokenId, OrganizationId, command.UserId, name, createdAt, expiresAt, hash, permissions);
            await GrainFactory.GetGrain<ITokenGrain>(tokenId).Initialize(record);
        }
        catch
        {
            state.State.Tokens.Remove(tokenId);
            await state.WriteStateAsync();
            throw;
        }

        LogTokenCreated(logger, tokenId, OrganizationId, command.UserId, expiresAt);
        return new CreateTokenResult(
            CreateTokenStatus.Created,
            new IssuedToken(tokenId, secret, name, createdAt, expiresAt, permissions));
    }

    public Task<ImmutableArray<TokenSummary>> ListTokens()
    {
        var now = time.GetUtcNow();
        var active = state.State.Tokens.Values
            .Where(t => t.ExpiresAt > now)
            .OrderByDescending(t => t.CreatedAt)
            .ThenBy(t => t.TokenId)
            .ToImmutableArray();
        return Task.FromResult(active);
    }

    public async Task<bool> DeleteToken(Guid tokenId)
    {
        if (!state.State.Tokens.ContainsKey(tokenId))
        {
            return false;
        }

        await GrainFactory.GetGrain<ITokenGrain>(tokenId).Terminate(TokenEndReason.Deleted);
        state.State.Tokens.Remove(tokenId);
        await state.WriteStateAsync();
        return true;
    }

    private static void RequireValidUserId(string userId)
    {
        if (!TokenRules.IsValidId(userId))
        {
            throw new ArgumentException("Invalid user id.", nameof(userId));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token {TokenId} created in organization {OrganizationId} for user {UserId}, expires {ExpiresAt:O}")]
    private static partial void LogTokenCreated(ILogger logger, Guid tokenId, string organizationId, string userId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {UserId} removed from organization {OrganizationId}; {TokenCount} tokens ended")]
    private static partial void LogMemberRemoved(ILogger logger, string organizationId, string userId, int tokenCount);
}
