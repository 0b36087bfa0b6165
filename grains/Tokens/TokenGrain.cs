using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZeroPath.Grains.Revocations;
using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Security;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tokens;

public sealed partial class TokenGrain(
    [PersistentState("token", GrainStorageNames.Tokens)] IPersistentState<TokenState> state,
    TokenSecretHasher hasher,
    SecretFormatKeyRing formatKeys,
    IOptions<SecretFailureLimitOptions> failureLimit,
    RevocationMarksCache revocations,
    TimeProvider time,
    TokenMetrics metrics,
    ILogger<TokenGrain> logger) : Grain, ITokenGrain
{
    /// <summary>After a hash upgrade found Argon2 busy or failed to store, the next attempt waits at least this long.</summary>
    public static readonly TimeSpan UpgradeRetryDelay = TimeSpan.FromMinutes(1);

    private readonly VerifiedSecretDigest digest = new();
    private readonly SecretFailureLimiter failures = new(failureLimit.Value);

    /// <summary>Argon2 verifies running now, by secret (memory only, for their duration): a second request with the same secret waits for the first.</summary>
    private readonly Dictionary<string, SharedVerify> verifying = new(StringComparer.Ordinal);

    /// <summary>
    /// One write at a time. Requests that write cannot overlap anyway (none is read-only); this also orders them with
    /// work this activation does between requests.
    /// </summary>
    private readonly WriteTurns writes = new();

    private TokenValidation? valid;

    /// <summary>A write failed: storage may hold it anyway (a timeout after it landed), so the next write reads first.</summary>
    private bool reread;

    private bool pepperReported;

    /// <summary>
    /// The stored hash was made with the configured Argon2 cost and pepper key: no upgrade due. Checked once per
    /// activation, on its first valid answer, so the hot path tests only this flag.
    /// </summary>
    private bool hashCurrent;

    private Task? upgrading;
    private DateTimeOffset upgradeNotBefore;

    /// <summary>An upgraded hash made but not yet stored (a failed write): a retry only writes it, without Argon2.</summary>
    private (string From, string To)? pendingUpgrade;

    public async Task<TokenValidation> Validate(string secret, CancellationToken cancellationToken)
    {
        var validation = await ValidateSecretAsync(secret, cancellationToken);
        metrics.Validated(validation.Outcome);
        return validation;
    }

    private async Task<TokenValidation> ValidateSecretAsync(string secret, CancellationToken cancellationToken)
    {
        if (!state.RecordExists)
        {
            // An unknown id: don't keep an activation around for it.
            DeactivateOnIdle();
            return TokenValidation.Unknown;
        }

        var token = state.State;
        if (token.SecretHash is null || await RevokedInBulkAsync(token))
        {
            return TokenValidation.Unknown;
        }

        // The shape and checksum first (cheap, and it bounds the secret's length for the digest).
        var shape = TokenSecretFormat.Classify(secret);
        if (shape == SecretShape.Malformed)
        {
            return TokenValidation.Invalid;
        }

        // A secret this activation already verified passes at once, even while wrong secrets have the token locked.
        if (!digest.Matches(secret))
        {
            // The format's tag binds a secret to this id: one the cluster never issued for it costs no Argon2 here
            // either, and neither does an old-format secret for a token issued in the new format (it cannot be its secret).
            var verdict = formatKeys.Check(this.GetPrimaryKey(), secret, shape);
            if (verdict is not (SecretFormatVerdict.Valid or SecretFormatVerdict.Legacy))
            {
                return TokenValidation.Invalid;
            }

            if (verdict == SecretFormatVerdict.Legacy && token.TaggedSecret)
            {
                return TokenValidation.InvalidTaggedSecretOnly;
            }

            if (!verifying.TryGetValue(secret, out var running))
            {
                if (failures.LockedUntil(time.GetUtcNow(), verifying.Count) is { } until)
                {
                    return TokenValidation.Locked(until);
                }

                running = StartVerify(token.SecretHash, secret);
            }

            var check = await running.WaitAsync(cancellationToken);
            if (check != SecretCheck.Match)
            {
                if (check == SecretCheck.PepperKeyMissing)
                {
                    ReportMissingPepper(token.SecretHash);
                }

                return check == SecretCheck.Busy ? TokenValidation.Busy : TokenValidation.Invalid;
            }

            // Terminate and UpdatePermissions interleave, so they may have run while this verify was awaited: answer from
            // the state as it is now.
            token = state.State;
            if (token.SecretHash is null)
            {
                return TokenValidation.Unknown;
            }

            digest.Remember(secret);
        }
        else if (state.State is var now && !ReferenceEquals(now, token))
        {
            // Changed while the bulk-revocation check was awaited.
            token = now;
            if (token.SecretHash is null)
            {
                return TokenValidation.Unknown;
            }
        }

        // Expiry is judged on every call against the clock, never left to a background job.
        if (time.GetUtcNow() >= token.ExpiresAt)
        {
            return TokenValidation.Expired;
        }

        if (!hashCurrent)
        {
            ConsiderUpgrade(token.SecretHash, secret);
        }

        return valid ??= new TokenValidation(
            TokenValidationOutcome.Valid, token.OrganizationId, token.UserId, token.Permissions, token.ExpiresAt, AllowedCidrs: token.AllowedCidrs,
            RateLimit: token.RateLimit,
            IndexSequence: token.IndexSequence);
    }

    /// <summary>
    /// On a valid answer (the secret is known to be right only then): if the stored hash was made with another Argon2
    /// cost or pepper key than configured now, replaces it in the background. The answer never waits for that.
    /// </summary>
    private void ConsiderUpgrade(string hash, string secret)
    {
        if (upgrading is { IsCompleted: false } || time.GetUtcNow() < upgradeNotBefore)
        {
            return;
        }

        if (hasher.IsCurrent(hash))
        {
            hashCurrent = true;
            return;
        }

        upgrading = UpgradeAsync(hash, secret);
    }

    /// <summary>
    /// Hashes the verified secret with the current settings (only when Argon2 has a free slot), then, in its turn among
    /// writes, stores it in place of <paramref name="hash"/>, unless the token has ended or its hash changed meanwhile.
    /// The old hash stays in storage, and valid, until the new one is stored; a failed write leaves it there and this
    /// activation answers from it (both hashes accept the same secret), and tries again after <see cref="UpgradeRetryDelay"/>.
    /// </summary>
    private async Task UpgradeAsync(string hash, string secret)
    {
        var tokenId = this.GetPrimaryKey();
        try
        {
            if (pendingUpgrade is not { } upgrade || upgrade.From != hash)
            {
                if (await hasher.HashIfIdleAsync(secret) is not { } upgraded)
                {
                    upgradeNotBefore = time.GetUtcNow() + UpgradeRetryDelay;
                    return;
                }

                pendingUpgrade = upgrade = (hash, upgraded);
            }

            using (await writes.EnterAsync())
            {
                await RereadIfUncertainAsync();
                if (state.RecordExists && !state.State.HasEnded && state.State.SecretHash == hash)
                {
                    await StoreAsync(state.State with { SecretHash = upgrade.To }, deactivateOnFailure: false);
                    LogHashUpgraded(logger, tokenId);
                }
            }

            pendingUpgrade = null;
            hashCurrent = state.State.SecretHash is { } stored && hasher.IsCurrent(stored);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            upgradeNotBefore = time.GetUtcNow() + UpgradeRetryDelay;
            LogUpgradeFailed(logger, exception, tokenId, UpgradeRetryDelay);
        }
    }

    /// <summary>A hash upgrade still running finishes (or fails) before the activation goes, so no write outlives it.</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (upgrading is { IsCompleted: false } running)
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Starts one Argon2id verify, shared by every request with the same secret until it completes.</summary>
    private SharedVerify StartVerify(string hash, string secret)
    {
        var shared = new SharedVerify(cancellation => hasher.VerifyAsync(hash, secret, cancellation));
        verifying[secret] = shared;
        _ = SettleAsync(secret, shared);
        return shared;
    }

    /// <summary>Counts a wrong secret once per verify, however many requests shared it, and frees its slot.</summary>
    private async Task SettleAsync(string secret, SharedVerify shared)
    {
        try
        {
            if (await shared.Check == SecretCheck.Mismatch && failures.RecordFailure(time.GetUtcNow()) is { } lockedUntil)
            {
                LogLocked(logger, this.GetPrimaryKey(), lockedUntil);
            }
        }
        catch (OperationCanceledException)
        {
            // Every caller gave up before Argon2 ran: nothing was checked, nothing to count.
        }
        finally
        {
            verifying.Remove(secret);
            shared.Dispose();
        }
    }

    public Task<bool> IsLive() => Task.FromResult(state.RecordExists && !state.State.HasEnded);

    public async Task Initialize(TokenRecord record)
    {
        if (record.TokenId != this.GetPrimaryKey())
        {
            throw new ArgumentException($"Record for token {record.TokenId} sent to token {this.GetPrimaryKey()}.", nameof(record));
        }

        // Only the token's organization may create it: a record from anywhere else (a client, another organization)
        // would mint a token no index lists and no bulk revocation covers.
        var organization = GrainFactory.GetGrain<IOrganizationGrain>(record.OrganizationId).GetGrainId().ToString();
        if (ClusterCallOrigin.VerifiedCaller != organization || !IsIssuable(record))
        {
            LogInitializeForbidden(logger, record.TokenId, ClusterCallOrigin.VerifiedCaller ?? "an unproven caller");
            throw new UnauthorizedAccessException($"Token {record.TokenId} can only be created by its organization, with a record it would issue.");
        }

        var initial = TokenState.From(record);
        using var turn = await writes.EnterAsync();
        await RereadIfUncertainAsync();
        if (state.RecordExists)
        {
            // A retried call with the same record is fine; anything else would edit an immutable token.
            if (!state.State.SameAs(initial))
            {
                LogInitializeRefused(logger, record.TokenId);
                throw new InvalidOperationException($"Token {record.TokenId} already exists and cannot be changed.");
            }

            return;
        }

        // Created only once stored: a failed write leaves no token in this activation either. Validation judges expiry
        // against the clock on every call; the organization's expiry sweep ends the token after it.
        await StoreAsync(initial, deactivateOnFailure: true);
    }

    /// <summary>What an organization issues: its own ids, a lifetime within the rules, a hash and valid permissions.</summary>
    private static bool IsIssuable(TokenRecord record) =>
        TokenRules.IsValidId(record.OrganizationId) && TokenRules.IsValidId(record.UserId)
        && record.ExpiresAt > record.CreatedAt
        && record.ExpiresAt - record.CreatedAt <= TimeSpan.FromDays(TokenRules.MaxExpiresInDays)
        && !string.IsNullOrEmpty(record.SecretHash)
        && record.Permissions.Length <= TokenRules.MaxPermissions
        && record.Permissions.All(p => TokenRules.IsValidPermission(p))
        && (record.RequestedPermissions is not { } requested
            || (requested.Length <= TokenRules.MaxPermissions && requested.All(p => TokenRules.IsValidPermission(p))
                && TokenRules.FirstNotHeld(record.Permissions, requested) is null))
        && (record.AllowedCidrs is not { } cidrs || TokenRules.AreCanonicalCidrs(cidrs))
        && (record.RateLimit is not { } limit || TokenRules.IsValidRateLimit(limit));

    public async Task Terminate(TokenEndReason reason, string? note)
    {
        if (reason == TokenEndReason.Expired)
        {
            // As of its expiry, and only once that has passed (a sweep that ran early leaves it for the next one).
            if (state.RecordExists && time.GetUtcNow() >= state.State.ExpiresAt)
            {
                await EndAsync(reason, state.State.ExpiresAt, note);
            }
        }
        else
        {
            await EndAsync(reason, null, note);
        }

        if (state.RecordExists && state.State.HasEnded)
        {
            // Nothing will validate against it again: a bulk fan-out should not leave thousands of activations behind.
            DeactivateOnIdle();
        }
    }

    public async Task<TokenDetails?> Describe()
    {
        if (!state.RecordExists)
        {
            DeactivateOnIdle();
            return null;
        }

        var token = state.State;
        var status = token.StatusAt(time.GetUtcNow());
        if (status == TokenStatus.Active && await RevokedInBulkAsync(token))
        {
            // Revoked in bulk; the fan-out has not reached this token yet (it then fills in when and why).
            status = TokenStatus.Revoked;
        }

        var reason = token.EndNote ?? (token.EndReason == TokenEndReason.MemberRemoved ? "owner removed from the organization" : null);
        return new TokenDetails(
            this.GetPrimaryKey(), token.OrganizationId, token.UserId, token.Name, token.CreatedAt, token.ExpiresAt,
            status, token.EndedAt, reason, token.IndexSequence, token.Permissions, token.RequestedPermissions, token.AllowedCidrs,
            token.RateLimit);
    }

    public Task UpdatePermissions(ImmutableArray<string> permissions) => FollowOwnerPermissions(permissions);

    public async Task<ImmutableArray<string>?> FollowOwnerPermissions(ImmutableArray<string> ownerPermissions)
    {
        using var turn = await writes.EnterAsync();
        await RereadIfUncertainAsync();
        if (!state.RecordExists || state.State.HasEnded)
        {
            return null;
        }

        // A token created with a subset keeps only what its owner still holds of it, and never gains more.
        var effective = TokenRules.EffectivePermissions(state.State.RequestedPermissions, ownerPermissions);
        if (state.State.Permissions.SequenceEqual(effective, StringComparer.Ordinal))
        {
            return state.State.Permissions;
        }

        // Acknowledged once stored; validations interleaving with the write may already answer with the new permissions,
        // and go back to the stored ones if the write fails.
        await StoreAsync(state.State with { Permissions = effective }, deactivateOnFailure: true);
        valid = null;
        return effective;
    }

    /// <summary>
    /// True when a bulk revocation of its organization or owner covers this token: that counts from the moment its marks
    /// are raised, before its fan-out reaches the token. A dictionary lookup once this silo holds the organization's marks.
    /// </summary>
    private async ValueTask<bool> RevokedInBulkAsync(TokenState token) =>
        (await revocations.GetAsync(token.OrganizationId, GrainFactory)).Revokes(token.UserId, token.Epoch);

    /// <summary>
    /// Ends the token (<paramref name="endedAt"/> null: now) and returns true once that is stored; false when it had
    /// already ended or was never issued. Acknowledged only after the write: a failed write throws, the token stays as
    /// storage holds it, and this activation goes so the next call reads what storage really holds.
    /// </summary>
    private async Task<bool> EndAsync(TokenEndReason reason, DateTimeOffset? endedAt, string? note)
    {
        using (await writes.EnterAsync())
        {
            await RereadIfUncertainAsync();
            if (!state.RecordExists || state.State.HasEnded)
            {
                return false;
            }

            var ended = state.State with { SecretHash = null, EndedAt = endedAt ?? time.GetUtcNow(), EndReason = reason, EndNote = note };
            await StoreAsync(ended, deactivateOnFailure: true);
            digest.Forget();
            valid = null;
        }

        var tokenId = this.GetPrimaryKey();
        var organizationId = state.State.OrganizationId;
        LogTerminated(logger, tokenId, organizationId, reason);
        return true;
    }

    /// <summary>
    /// Stores <paramref name="next"/>; call holding <see cref="writes"/>. Memory keeps the change only once it is stored: a
    /// failed write puts back what storage held, so this activation never answers from a state that is not durable, and
    /// throws. <paramref name="deactivateOnFailure"/>: the activation also goes once idle, so the next call reads storage
    /// afresh (a write reported failed may still have landed); otherwise the next write reads first.
    /// </summary>
    private async Task StoreAsync(TokenState next, bool deactivateOnFailure)
    {
        var stored = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = stored;
            reread = true;
            if (deactivateOnFailure)
            {
                DeactivateOnIdle();
            }

            throw;
        }
    }

    /// <summary>After a failed write, reads what storage holds (and its ETag) before deciding anything from it.</summary>
    private async Task RereadIfUncertainAsync()
    {
        if (!reread)
        {
            return;
        }

        await state.ReadStateAsync();
        reread = false;
        valid = null;
    }

    /// <summary>Once per activation: the token cannot validate until the operator configures its pepper key again.</summary>
    private void ReportMissingPepper(string hash)
    {
        if (!pepperReported)
        {
            pepperReported = true;
            var keyId = TokenSecretHasher.PepperKeyIdOf(hash);
            LogPepperKeyMissing(logger, this.GetPrimaryKey(), keyId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token {TokenId} locked until {LockedUntil:O}: too many failed validations")]
    private static partial void LogLocked(ILogger logger, Guid tokenId, DateTimeOffset lockedUntil);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused to re-initialize existing token {TokenId} with a different record")]
    private static partial void LogInitializeRefused(ILogger logger, Guid tokenId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused to create token {TokenId} for {Caller}: only its organization creates it, with a record it would issue")]
    private static partial void LogInitializeForbidden(ILogger logger, Guid tokenId, string caller);

    [LoggerMessage(Level = LogLevel.Error, Message = "Token {TokenId} cannot validate: its hash was made with pepper key {PepperKeyId}, which is not configured (ZeroPath:Argon2:Pepper:Keys:{PepperKeyId}); every validation of it fails until the key is configured again")]
    private static partial void LogPepperKeyMissing(ILogger logger, Guid tokenId, string? pepperKeyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Token {TokenId}: stored hash upgraded to the configured Argon2 cost and pepper key")]
    private static partial void LogHashUpgraded(ILogger logger, Guid tokenId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token {TokenId}: hash upgrade not stored, the old hash stays in use; next attempt in {RetryDelay} at the earliest")]
    private static partial void LogUpgradeFailed(ILogger logger, Exception exception, Guid tokenId, TimeSpan retryDelay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Token {TokenId} of organization {OrganizationId} ended: {Reason}")]
    private static partial void LogTerminated(ILogger logger, Guid tokenId, string organizationId, TokenEndReason reason);
}
