using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Grains.Secrets;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

public sealed partial class OrganizationGrain(
    [PersistentState("organization", GrainStorageNames.Tokens)] IPersistentState<OrganizationState> state,
    TokenSecretHasher hasher,
    SecretFormatKeyRing formatKeys,
    TimeProvider time,
    ILogger<OrganizationGrain> logger) : Grain, IOrganizationGrain, IRemindable
{
    /// <summary>Wakes the organization after a crash to finish a fan-out in progress: a revocation or a permission change.</summary>
    private const string ResumeReminder = "resume";

    /// <summary>Token grains called at once by a fan-out (revocation, permission change); the rest wait their turn.</summary>
    private const int FanOutBatch = 64;

    private string OrganizationId => this.GetPrimaryKeyString();

    private ITokenEventHubGrain Events => GrainFactory.GetGrain<ITokenEventHubGrain>(0);

    private IRevocationEpochGrain Marks => GrainFactory.GetGrain<IRevocationEpochGrain>(OrganizationId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Events stored with their change whose hand-over to the trail failed or was cut short.
        await FlushAuditAsync();

        if (state.State.PendingTokens.Count > 0)
        {
            // A creation interrupted by a crash or a storage failure: keep the token if it was stored and is live, else
            // forget it. Settled first, so an interrupted revocation below covers a kept token too.
            foreach (var (tokenId, summary) in state.State.PendingTokens.ToList())
            {
                if (await GrainFactory.GetGrain<ITokenGrain>(tokenId).IsLive())
                {
                    state.State.Tokens[tokenId] = summary;
                }

                state.State.PendingTokens.Remove(tokenId);
            }

            await PersistAsync();
            LogPendingSettled(logger, OrganizationId);
        }

        await ResumeAsync();
    }

    /// <summary>Finishes fan-outs cut short (a crash, a failed call) before anything else is served.</summary>
    private async Task ResumeAsync()
    {
        if (state.State.Revocation is { } interrupted)
        {
            AuditActor.Set(interrupted.Actor);
            await CompleteRevocationAsync(interrupted, resumed: true);
        }

        foreach (var userId in state.State.PermissionSyncs.ToList())
        {
            await SyncPermissionsAsync(userId);
        }
    }

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
        if (state.State.Members.TryGetValue(userId, out var current) && current.SequenceEqual(normalized, StringComparer.Ordinal))
        {
            // Unchanged (a repeated PUT): nothing to store, nothing owed to the tokens.
            return new OrganizationMember(OrganizationId, userId, normalized);
        }

        state.State.Members[userId] = normalized;
        var follow = TokensOf(userId).Count > 0;
        if (follow)
        {
            // Tokens hold their owner's current permissions: stored as owed with the change, so a crash before every
            // token has followed is finished on the next activation.
            await RegisterResumeAsync();
            if (!state.State.PermissionSyncs.Contains(userId))
            {
                state.State.PermissionSyncs.Add(userId);
            }
        }

        await PersistAsync();
        if (follow)
        {
            try
            {
                await SyncPermissionsAsync(userId);
            }
            catch
            {
                DeactivateOnIdle();
                throw;
            }
        }

        return new OrganizationMember(OrganizationId, userId, normalized);
    }

    /// <summary>Brings a member's tokens to the member's current permissions, then clears what was owed.</summary>
    private async Task SyncPermissionsAsync(string userId)
    {
        // A member removed meanwhile has no tokens left to follow.
        if (state.State.Members.TryGetValue(userId, out var permissions))
        {
            var tokens = TokensOf(userId);
            await FanOutAsync(tokens, token => token.UpdatePermissions(permissions));
            await Events.PublishPermissions([.. tokens], permissions);
        }

        state.State.PermissionSyncs.Remove(userId);
        await PersistAsync();
        await UnregisterResumeWhenDoneAsync();
    }

    /// <summary>Set before a fan-out's intent is stored: if the silo dies after storing it, this tick comes to finish it.</summary>
    private Task<IGrainReminder> RegisterResumeAsync() => this.RegisterOrUpdateReminder(ResumeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    /// <summary>Drops the resume reminder once no revocation or permission change is owed.</summary>
    private async Task UnregisterResumeWhenDoneAsync()
    {
        if (state.State.Revocation is null && state.State.PermissionSyncs.Count == 0 &&
            await this.GetReminder(ResumeReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task<bool> RemoveMember(string userId)
    {
        RequireValidUserId(userId);
        if (!state.State.Members.ContainsKey(userId))
        {
            return false;
        }

        var tokens = await RevokeAsync(userId, TokenEndReason.MemberRemoved, null, removeMember: true);
        LogMemberRemoved(logger, OrganizationId, userId, tokens);
        return true;
    }

    public async Task<int?> RevokeMemberTokens(string userId, string reason)
    {
        RequireValidUserId(userId);
        if (!state.State.Members.ContainsKey(userId))
        {
            return null;
        }

        var revoked = await RevokeAsync(userId, TokenEndReason.Revoked, reason, removeMember: false);
        LogRevoked(logger, OrganizationId, revoked, reason);
        return revoked;
    }

    public async Task<int> RevokeAll(string reason)
    {
        var revoked = await RevokeAsync(null, TokenEndReason.Revoked, reason, removeMember: false);
        LogRevoked(logger, OrganizationId, revoked, reason);
        return revoked;
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

        var tokenId = Guid.NewGuid();
        var secret = formatKeys.NewSecret(tokenId);
        var hash = await hasher.HashAsync(secret);
        if (hash is null)
        {
            return new CreateTokenResult(CreateTokenStatus.Busy, null);
        }

        var createdAt = time.GetUtcNow();
        var expiresAt = createdAt.AddDays(command.ExpiresInDays);
        var summary = new TokenSummary(tokenId, name, command.UserId, createdAt, expiresAt);

        // Recorded as pending before the token exists, so no token can ever validate without its organization knowing
        // of it. A failure at any step leaves at most a pending entry, settled on the next activation.
        state.State.PendingTokens[tokenId] = summary;
        await PersistAsync();
        var token = GrainFactory.GetGrain<ITokenGrain>(tokenId);
        var record = new TokenRecord(tokenId, OrganizationId, command.UserId, name, createdAt, expiresAt, hash, permissions, state.State.Epoch, TaggedSecret: true);
        try
        {
            await token.Initialize(record);
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }

        state.State.PendingTokens.Remove(tokenId);
        state.State.Tokens[tokenId] = summary;
        await StageAuditAsync([Entry(AuditAction.TokenCreated, tokenId, command.UserId, null)]);
        try
        {
            await PersistAsync();
        }
        catch
        {
            // The caller never receives this secret, so the token must not stay usable; if ending it fails too, the
            // pending entry lists it after the next activation, where an operator can see and delete it.
            await token.Terminate(TokenEndReason.Deleted, null);
            throw;
        }

        await FlushAuditAsync();
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
        if (!state.State.Tokens.TryGetValue(tokenId, out var token))
        {
            return false;
        }

        await GrainFactory.GetGrain<ITokenGrain>(tokenId).Terminate(TokenEndReason.Deleted, null);
        // Gateways are told before the index forgets the token: if telling them fails, the index still lists it, so a
        // retried delete tells them again.
        await Events.PublishEnded([tokenId]);
        await StageAuditAsync([Entry(AuditAction.TokenDeleted, tokenId, token.UserId, null)]);
        state.State.Tokens.Remove(tokenId);
        await PersistAsync();
        await FlushAuditAsync();
        return true;
    }

    public async Task ForgetToken(Guid tokenId, AuditAction action, string? reason)
    {
        if (state.State.Tokens.TryGetValue(tokenId, out var token))
        {
            // Told first, as in DeleteToken: while the index lists the token, a retried call tells the gateways again.
            await Events.PublishEnded([tokenId]);
            await StageAuditAsync([Entry(action, tokenId, token.UserId, reason)]);
            state.State.Tokens.Remove(tokenId);
            await PersistAsync();
            await FlushAuditAsync();
        }
    }

    private AuditEntry Entry(AuditAction action, Guid tokenId, string userId, string? reason) =>
        new(time.GetUtcNow(), action, AuditActor.Current, tokenId, userId, reason);

    private IAuditLogGrain AuditLog => GrainFactory.GetGrain<IAuditLogGrain>(OrganizationId);

    /// <summary>
    /// Numbers events from the stored next sequence (read from the trail the first time). Does not move that sequence on:
    /// the caller does, in the write that records the change, so numbers handed out by a failed attempt are reused.
    /// </summary>
    private async Task<ImmutableArray<AuditEvent>> NumberAsync(IEnumerable<AuditEntry> entries)
    {
        var next = state.State.AuditNext ??= await AuditLog.Count();
        return [.. entries.Select((entry, i) => entry.Numbered(next + i))];
    }

    /// <summary>Numbers the events and puts them in the outbox, to be stored by the caller's next write with the change they record.</summary>
    private async Task StageAuditAsync(IEnumerable<AuditEntry> entries)
    {
        var events = await NumberAsync(entries);
        state.State.AuditOutbox.AddRange(events);
        state.State.AuditNext += events.Length;
    }

    /// <summary>
    /// Hands stored events to the trail. Their action has already happened, so a failure here does not fail it: the
    /// events stay stored and go with the next action or activation (recording them twice rewrites them in place).
    /// The emptied outbox is stored by the next write.
    /// </summary>
    private async Task FlushAuditAsync()
    {
        var outbox = state.State.AuditOutbox;
        if (outbox.Count == 0)
        {
            return;
        }

        try
        {
            await AuditLog.Record([.. outbox]);
            outbox.Clear();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogAuditDeferred(logger, exception, OrganizationId, outbox.Count);
        }
    }

    private List<Guid> TokensOf(string userId) =>
        [.. state.State.Tokens.Values.Where(t => t.UserId == userId).Select(t => t.TokenId)];

    /// <summary>The tokens a revocation covers: the index cannot change before it is finished, so a resumed one covers the same.</summary>
    private List<Guid> TokensOf(PendingRevocation revocation) =>
        revocation.Member is { } member ? TokensOf(member) : [.. state.State.Tokens.Keys];

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ResumeReminder)
        {
            return;
        }

        // Anything still owed in this activation (a fan-out failed) is tried again; when nothing is, the reminder goes.
        await ResumeAsync();
        await UnregisterResumeWhenDoneAsync();
    }

    /// <summary>
    /// Revokes a member's tokens (or, with no member, the organization's) durably and at once. The intent and the raised
    /// revocation marks are stored together, and a reminder set, before any token is touched, so a crash at any point is
    /// finished on the next activation. The marks reach every silo before the per-token fan-out starts, so every token
    /// stops validating then, even one the fan-out has not reached when a crash interrupts it. Returns how many.
    /// </summary>
    private async Task<int> RevokeAsync(string? member, TokenEndReason reason, string? note, bool removeMember)
    {
        var revocation = new PendingRevocation
        {
            Reason = reason,
            Note = note,
            Actor = AuditActor.Current,
            Member = member,
            RemovesMember = removeMember,
        };
        var count = TokensOf(revocation).Count;
        if (count > 0)
        {
            await RegisterResumeAsync();
            var epoch = state.State.Epoch;
            state.State.Revoked = member is null ? state.State.Revoked.RevokeOrganization(epoch) : state.State.Revoked.RevokeMember(member, epoch);
            state.State.Epoch = epoch + 1;
            state.State.Revocation = revocation;
            await PersistAsync();
        }

        try
        {
            await CompleteRevocationAsync(revocation, resumed: false);
        }
        catch
        {
            // The intent is stored: the next activation (next call, or the reminder) finishes the revocation.
            DeactivateOnIdle();
            throw;
        }

        return count;
    }

    private async Task CompleteRevocationAsync(PendingRevocation revocation, bool resumed)
    {
        var tokens = TokensOf(revocation);
        if (tokens.Count > 0)
        {
            // In effect for validation on every silo from here on; then subscribed gateways stop asking at all.
            await Marks.Raise(state.State.Revoked);
            await Events.PublishEnded([.. tokens]);
            LogRevocationStarted(logger, OrganizationId, tokens.Count, resumed);
        }

        await FanOutAsync(tokens, token => token.Terminate(revocation.Reason, revocation.Note));
        // Recorded before the index forgets the tokens, numbered from the stored next sequence: if the write below never
        // happens, the resumed revocation records the same events under the same numbers again (rewritten in place).
        var auditReason = revocation.Reason == TokenEndReason.MemberRemoved ? "owner removed from the organization" : revocation.Note;
        var events = await NumberAsync(tokens.Select(id => Entry(AuditAction.TokenRevoked, id, state.State.Tokens[id].UserId, auditReason)));
        await AuditLog.Record(events);
        foreach (var id in tokens)
        {
            state.State.Tokens.Remove(id);
        }

        if (revocation.RemovesMember)
        {
            state.State.Members.Remove(revocation.Member!);
        }

        state.State.AuditNext += events.Length;
        state.State.Revocation = null;
        await PersistAsync();
        if (tokens.Count > 0)
        {
            await UnregisterResumeWhenDoneAsync();
        }
    }

    /// <summary>Calls token grains in batches of <see cref="FanOutBatch"/>: bounded parallelism, all done on return.</summary>
    private async Task FanOutAsync(List<Guid> tokenIds, Func<ITokenGrain, Task> call)
    {
        for (var start = 0; start < tokenIds.Count; start += FanOutBatch)
        {
            var batch = tokenIds.GetRange(start, Math.Min(FanOutBatch, tokenIds.Count - start));
            await Task.WhenAll(batch.Select(id => call(GrainFactory.GetGrain<ITokenGrain>(id))));
        }
    }

    /// <summary>
    /// Writes state; if the write fails, the activation is dropped so the next call reloads what storage really holds
    /// instead of serving changes that were never stored.
    /// </summary>
    private async Task PersistAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settled interrupted token creations of organization {OrganizationId}")]
    private static partial void LogPendingSettled(ILogger logger, string organizationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revoked {TokenCount} tokens of organization {OrganizationId}: {Reason}")]
    private static partial void LogRevoked(ILogger logger, string organizationId, int tokenCount, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoking {TokenCount} tokens of organization {OrganizationId} (resumed: {Resumed}); revocation marks are raised")]
    private static partial void LogRevocationStarted(ILogger logger, string organizationId, int tokenCount, bool resumed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit events of organization {OrganizationId} are stored but not yet in its trail ({EventCount}); they go with its next action or activation")]
    private static partial void LogAuditDeferred(ILogger logger, Exception exception, string organizationId, int eventCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {UserId} removed from organization {OrganizationId}; {TokenCount} tokens ended")]
    private static partial void LogMemberRemoved(ILogger logger, string organizationId, string userId, int tokenCount);
}
