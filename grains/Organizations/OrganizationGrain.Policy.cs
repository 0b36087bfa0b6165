using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>The token policy: checked when a token is issued; forbidden permissions are taken out of every token.</summary>
public sealed partial class OrganizationGrain
{
    public Task<OrganizationPolicy> GetPolicy() => Task.FromResult(Org.CurrentPolicy);

    public async Task<OrganizationPolicy> SetPolicy(OrganizationPolicy policy)
    {
        if (!TokenRules.IsValidExpiresInDays(policy.MaxTokenLifetimeDays))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy.MaxTokenLifetimeDays, "MaxTokenLifetimeDays must be 1–365.");
        }

        var forbidden = policy.ForbiddenPermissions.IsDefault ? [] : TokenRules.NormalizePermissions(policy.ForbiddenPermissions);
        if (forbidden.Length > OrganizationPolicy.MaxForbiddenPermissions || !forbidden.All(p => TokenRules.IsValidPermission(p)))
        {
            throw new ArgumentException("Invalid forbidden permissions.", nameof(policy));
        }

        var stored = policy with { ForbiddenPermissions = forbidden };
        var before = Org.CurrentPolicy;
        if (stored.SameAs(before))
        {
            return before;
        }

        var forbiddenChanged = !forbidden.SequenceEqual(before.ForbiddenPermissions, StringComparer.Ordinal);
        if (forbiddenChanged)
        {
            // Stored with the policy, so a crash before every token follows is finished by the resume reminder.
            await RegisterResumeAsync();
            Org.BeginPolicySync();
        }

        Org.Policy = stored;
        var actor = AuditActor.Current;
        await StageAuditAsync([new AuditEntry(time.GetUtcNow(), AuditAction.PolicyChanged, actor, Guid.Empty, "", stored.Describe())]);
        await PersistAsync();
        await FlushAuditAsync();
        LogPolicyChanged(logger, OrganizationId, stored.MaxTokenLifetimeDays, stored.ForbiddenPermissions.Length, stored.RequireAllowedCidrs);
        ContinueFanOuts();
        return stored;
    }

    /// <summary>
    /// Why the policy refuses a token, or null when it allows it. A lifetime left to the default is shortened to the
    /// policy's maximum instead (<paramref name="days"/>).
    /// </summary>
    private CreateTokenStatus? PolicyRefusal(ref int days, bool defaultLifetime, ImmutableArray<string>? requested, ImmutableArray<string>? cidrs)
    {
        var policy = Org.CurrentPolicy;
        if (days > policy.MaxTokenLifetimeDays)
        {
            if (!defaultLifetime)
            {
                return CreateTokenStatus.LifetimeExceedsPolicy;
            }

            days = policy.MaxTokenLifetimeDays;
        }

        if (requested is { } asked && policy.FirstForbidden(asked) is not null)
        {
            return CreateTokenStatus.PermissionForbidden;
        }

        return policy.RequireAllowedCidrs && cidrs is null ? CreateTokenStatus.AllowedCidrsRequired : null;
    }

    /// <summary>One step of a policy change: the tokens of one shard follow their owners' permissions under the policy.</summary>
    private async Task FollowPolicyAsync(FanOut fanOut, long shard)
    {
        var tokens = await Shard(shard).Find(fanOut.Selection);
        foreach (var owned in tokens.GroupBy(t => t.Token.UserId, StringComparer.Ordinal))
        {
            // A member removed meanwhile: their tokens are being revoked, nothing to follow.
            if (await Member(owned.Key).GetPermissions() is { } held)
            {
                await FollowAndPublishAsync([.. owned], Org.CurrentPolicy.Allowed(held));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Organization {OrganizationId} token policy set: max lifetime {MaxDays} days, {ForbiddenCount} forbidden permissions, address ranges required: {RequireCidrs}")]
    private static partial void LogPolicyChanged(ILogger logger, string organizationId, int maxDays, int forbiddenCount, bool requireCidrs);
}
