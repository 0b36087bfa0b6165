using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>Membership: members are records of their own; a permission change reaches every token of the member before it returns.</summary>
public sealed partial class OrganizationGrain
{
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
        var member = Member(userId);
        var current = await member.GetPermissions();
        if (current is not { } known)
        {
            // A new member has no tokens to follow.
            await member.SetPermissions(normalized);
            return new OrganizationMember(OrganizationId, userId, normalized);
        }

        if (known.SequenceEqual(normalized, StringComparer.Ordinal))
        {
            return new OrganizationMember(OrganizationId, userId, normalized);
        }

        // Owed before the change is stored, so a crash before every token has followed is finished on the next activation.
        if (!Org.PermissionSyncs.Contains(userId))
        {
            await RegisterResumeAsync();
            Org.PermissionSyncs.Add(userId);
            await PersistAsync();
        }

        await member.SetPermissions(normalized);
        await SyncPermissionsAsync(userId);
        return new OrganizationMember(OrganizationId, userId, normalized);
    }

    /// <summary>Brings a member's tokens to the member's current permissions, shard by shard, then clears what was owed.</summary>
    private async Task SyncPermissionsAsync(string userId)
    {
        // A member removed meanwhile has no tokens left to follow.
        if (await Member(userId).GetPermissions() is { } permissions)
        {
            foreach (var shard in Org.Shards.ToList())
            {
                var tokens = await Shard(shard).Find(new TokenSelection(UserId: userId));
                if (!tokens.IsEmpty)
                {
                    await FollowAndPublishAsync(tokens, Org.CurrentPolicy.Allowed(permissions));
                }
            }
        }

        Org.PermissionSyncs.Remove(userId);
        await PersistAsync();
        await UnregisterResumeWhenDoneAsync();
    }

    /// <summary>
    /// Brings these tokens to their owner's <paramref name="permissions"/>, then tells gateways what each token now carries.
    /// A token created with a subset carries only its part of them, so one event per distinct set: gateways drop the
    /// tokens' cached validations and abort requests in flight under other permissions, exactly as for a single set. Most
    /// tokens carry all their owner's permissions, so this is one event, as before; a token that is no longer live goes
    /// with the owner's set (its cached validation is dropped either way).
    /// </summary>
    private async Task FollowAndPublishAsync(ImmutableArray<IndexedToken> tokens, ImmutableArray<string> permissions)
    {
        var carried = new ImmutableArray<string>?[tokens.Length];
        var offset = 0;
        foreach (var batch in tokens.Chunk(FanOutParallelism))
        {
            var answers = await Task.WhenAll(batch.Select(entry => Token(entry.Token.TokenId).FollowOwnerPermissions(permissions)));
            answers.CopyTo(carried, offset);
            offset += answers.Length;
        }

        var groups = new Dictionary<string, (ImmutableArray<string> Permissions, List<Guid> Tokens)>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            var set = carried[i] ?? permissions;
            var key = string.Join(',', set);
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = (set, []);
            }

            group.Tokens.Add(tokens[i].Token.TokenId);
        }

        foreach (var (set, ids) in groups.Values)
        {
            await Events.PublishPermissions([.. ids], set);
        }
    }

    public async Task<bool> RemoveMember(string userId)
    {
        RequireValidUserId(userId);
        if (await Member(userId).GetPermissions() is null)
        {
            return false;
        }

        var tokens = await RevokeAsync(userId, TokenEndReason.MemberRemoved, null);
        await Member(userId).Remove();
        LogMemberRemoved(logger, OrganizationId, userId, tokens);
        return true;
    }

    public async Task<int?> RevokeMemberTokens(string userId, string reason)
    {
        RequireValidUserId(userId);
        if (await Member(userId).GetPermissions() is null)
        {
            return null;
        }

        var revoked = await RevokeAsync(userId, TokenEndReason.Revoked, reason);
        LogRevoked(logger, OrganizationId, revoked, reason);
        return revoked;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {UserId} removed from organization {OrganizationId}; {TokenCount} tokens revoked")]
    private static partial void LogMemberRemoved(ILogger logger, string organizationId, string userId, int tokenCount);
}
