using System.Globalization;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>
/// Rotation: a successor issued at once, the rotated token ended when its grace period passes. The end is stored with
/// the successor and driven by the expiry reminder, so a crash neither loses it nor leaves a successor without it.
/// </summary>
public sealed partial class OrganizationGrain
{
    public async Task<RotateTokenResult> RotateToken(RotateTokenCommand command)
    {
        if (command.GracePeriod < TimeSpan.Zero || command.GracePeriod > RotateTokenCommand.MaxGracePeriod)
        {
            throw new ArgumentOutOfRangeException(nameof(command), command.GracePeriod, "GracePeriod must be 0–7 days.");
        }

        // Interleaved, like CreateToken: these checks save hashing for nothing and are made again in the organization's turn.
        var (old, refused) = await RotatableAsync(command.TokenId);
        if (refused is not null)
        {
            return refused;
        }

        if (await NewSecretAsync() is not var (tokenId, secret, hash))
        {
            return new RotateTokenResult(RotateTokenStatus.CreateFailed, new CreateTokenResult(CreateTokenStatus.Busy, null));
        }

        // The options read here are the ones the token was created with: they never change, however long hashing took.
        // The rotated token's lifetime from now; a policy shortened since shortens it instead of refusing the rotation.
        var days = Math.Clamp((int)Math.Round((old!.ExpiresAt - old.CreatedAt).TotalDays), TokenRules.MinExpiresInDays, TokenRules.MaxExpiresInDays);
        var successor = new NewToken(tokenId, old.UserId, old.Name, days, hash, old.RequestedPermissions, old.AllowedCidrs, old.RateLimit, DefaultLifetime: true);
        var rotated = await Self.AddSuccessor(old.TokenId, successor, command.GracePeriod);
        return rotated.Create is { } created ? rotated with { Create = WithSecret(created, secret) } : rotated;
    }

    public async Task<RotateTokenResult> AddSuccessor(Guid predecessor, NewToken successor, TimeSpan gracePeriod)
    {
        var (old, refused) = await RotatableAsync(predecessor);
        if (refused is not null)
        {
            return refused;
        }

        var endsAt = old!.ExpiresAt;
        var created = await AddTokenAsync(successor, async now =>
        {
            // Its own expiry still applies when sooner: then the expiry sweep ends it, as any other.
            if (now + gracePeriod < endsAt)
            {
                endsAt = now + gracePeriod;
            }

            Org.ScheduleEnd(new ScheduledEnd(old.TokenId, old.IndexSequence, endsAt, successor.TokenId));
            await StageAuditAsync([Entry(
                AuditAction.TokenRotated, old.TokenId, old.UserId,
                $"replaced by {successor.TokenId:D}; ends at {endsAt.ToString("O", CultureInfo.InvariantCulture)}")]);
            await ScheduleExpiryAsync(endsAt);
        });
        if (created.Status != CreateTokenStatus.Created)
        {
            return new RotateTokenResult(RotateTokenStatus.CreateFailed, created);
        }

        LogRotated(logger, old.TokenId, successor.TokenId, OrganizationId, endsAt);
        if (endsAt <= created.Token!.CreatedAt)
        {
            // No grace: ended before this returns. The successor is issued either way; should this fail, the
            // reminder (due now) ends the rotated token instead, so the caller still receives the successor's secret.
            try
            {
                await EndScheduledAsync();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LogScheduledEndDeferred(logger, exception, OrganizationId);
            }
        }

        return new RotateTokenResult(RotateTokenStatus.Rotated, created, endsAt);
    }

    /// <summary>The token's details when it can be rotated now, else why it cannot.</summary>
    private async Task<(TokenDetails? Token, RotateTokenResult? Refusal)> RotatableAsync(Guid tokenId)
    {
        if (await Token(tokenId).Describe() is not { } old || old.OrganizationId != OrganizationId)
        {
            return (null, new RotateTokenResult(RotateTokenStatus.NotFound));
        }

        if (old.Status != TokenStatus.Active || old.ExpiresAt <= time.GetUtcNow()
            || await ListedAsync(old) is not { } listed || Org.IsBeingEnded(listed))
        {
            return (null, new RotateTokenResult(RotateTokenStatus.NotActive));
        }

        return Org.ScheduledEnds.Any(e => e.TokenId == tokenId) ? (null, new RotateTokenResult(RotateTokenStatus.AlreadyRotated)) : (old, null);
    }

    /// <summary>
    /// Ends the rotated tokens whose grace period has passed (one whose own expiry came first is left to the expiry
    /// sweep), then moves the expiry reminder to what is due next.
    /// </summary>
    private async Task EndScheduledAsync()
    {
        var now = time.GetUtcNow();
        if (Org.ScheduledEnds.Count == 0 || Org.ScheduledEnds[0].At > now)
        {
            return;
        }

        foreach (var end in Org.ScheduledEnds.TakeWhile(e => e.At <= now).ToList())
        {
            if (await Token(end.TokenId).Describe() is { Status: TokenStatus.Active } details && details.ExpiresAt > end.At)
            {
                await EndListedAsync(
                    details, TokenEndReason.Revoked, $"rotated: replaced by {end.Successor:D}", AuditAction.TokenRevoked, AuditActor.System);
            }

            Org.ScheduledEnds.Remove(end);
            await PersistAsync();
        }

        await FlushAuditAsync();
        if (!Org.FanOuts.Any(f => f.Kind == FanOutKind.Expiry))
        {
            // An expiry sweep in progress moves the reminder when it finishes.
            await RescheduleExpiryAsync();
            await PersistAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token {TokenId} of organization {OrganizationId} rotated: successor {SuccessorId}, ends {EndsAt:O}")]
    private static partial void LogRotated(ILogger logger, Guid tokenId, Guid successorId, string organizationId, DateTimeOffset endsAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Organization {OrganizationId}: ending rotated tokens failed; the expiry reminder tries again")]
    private static partial void LogScheduledEndDeferred(ILogger logger, Exception exception, string organizationId);
}
