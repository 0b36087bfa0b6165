using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Storage;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>
/// Wires an organization together: its record (<see cref="OrganizationState"/>, whose transitions are plain code), its
/// members (<see cref="MemberGrain"/>), its token index (<see cref="TokenIndexShardGrain"/>s), its tokens, revocation
/// marks, audit trail and the gateways' event hub. It calls them; none calls it back.
/// </summary>
public sealed partial class OrganizationGrain(
    [PersistentState("organization", GrainStorageNames.Tokens)] IPersistentState<OrganizationState> state,
    TokenSecretHasher hasher,
    SecretFormatKeyRing formatKeys,
    TimeProvider time,
    ILogger<OrganizationGrain> logger) : Grain, IOrganizationGrain, IRemindable
{
    /// <summary>Wakes the organization after a crash to finish owed work: a fan-out or a permission change.</summary>
    private const string ResumeReminder = "resume";

    /// <summary>Due at the index's earliest expiry: queues the fan-out that ends expired tokens.</summary>
    private const string ExpiryReminder = "expire";

    /// <summary>After its first tick, an expiry reminder whose sweep failed comes back this often.</summary>
    private static readonly TimeSpan ExpiryRetryPeriod = TimeSpan.FromHours(1);

    /// <summary>Token grains called at once by a fan-out; the rest wait their turn.</summary>
    private const int FanOutParallelism = 64;

    public const int MaxPageSize = 500;

    private OrganizationState Org => state.State;

    private string OrganizationId => this.GetPrimaryKeyString();

    private ITokenEventHubGrain Events => GrainFactory.GetGrain<ITokenEventHubGrain>(0);

    private IAuditLogGrain AuditLog => GrainFactory.GetGrain<IAuditLogGrain>(OrganizationId);

    private IOrganizationGrain Self => GrainFactory.GetGrain<IOrganizationGrain>(OrganizationId);

    private IMemberGrain Member(string userId) => GrainFactory.GetGrain<IMemberGrain>($"{OrganizationId}/{userId}");

    private ITokenIndexShardGrain Shard(long shard) => GrainFactory.GetGrain<ITokenIndexShardGrain>(TokenIndexLayout.ShardKey(OrganizationId, shard));

    private ITokenGrain Token(Guid tokenId) => GrainFactory.GetGrain<ITokenGrain>(tokenId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Events stored with their change whose hand-over to the trail failed or was cut short.
        await FlushAuditAsync();
        await SettleUnfinishedCreateAsync();
        if (Org.Unlisting.Count > 0)
        {
            await UnlistAsync([.. Org.Unlisting]);
            await PersistAsync();
        }

        if (Org.FanOuts.Any(f => f.Kind == FanOutKind.Revocation))
        {
            // The marks may have been stored here but not published when a crash came.
            await GrainFactory.GetGrain<IRevocationMarksGrain>(OrganizationId).Publish(Org.Marks);
        }

        foreach (var userId in Org.PermissionSyncs.ToList())
        {
            await SyncPermissionsAsync(userId);
        }

        ContinueFanOuts();
    }

    /// <summary>
    /// An index entry at or past the commit mark was written by a create cut short (a crash, a failed write): kept when its
    /// token was stored and lives (recorded as created), else removed. Settled before anything else is served.
    /// </summary>
    private async Task SettleUnfinishedCreateAsync()
    {
        var shard = TokenIndexLayout.ShardOf(Org.NextSequence);
        var unfinished = await Shard(shard).Find(new TokenSelection(From: Org.NextSequence));
        if (unfinished.IsEmpty)
        {
            return;
        }

        foreach (var entry in unfinished)
        {
            if (await Token(entry.Token.TokenId).IsLive())
            {
                Org.Commit(entry.Sequence);
                await StageAuditAsync([Entry(AuditAction.TokenCreated, entry.Token.TokenId, entry.Token.UserId, null, AuditActor.System)]);
            }
            else if ((await Shard(shard).Remove([entry.Sequence])).Count == 0)
            {
                Org.Emptied(shard);
            }
        }

        await PersistAsync();
        await FlushAuditAsync();
        LogUnfinishedCreateSettled(logger, OrganizationId, unfinished.Length);
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
                    await ForEachTokenAsync(tokens, token => token.UpdatePermissions(permissions));
                    await Events.PublishPermissions([.. tokens.Select(t => t.Token.TokenId)], permissions);
                }
            }
        }

        Org.PermissionSyncs.Remove(userId);
        await PersistAsync();
        await UnregisterResumeWhenDoneAsync();
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

    public async Task<int> RevokeAll(string reason)
    {
        var revoked = await RevokeAsync(null, TokenEndReason.Revoked, reason);
        LogRevoked(logger, OrganizationId, revoked, reason);
        return revoked;
    }

    /// <summary>
    /// Revokes a member's tokens (or, with no member, the organization's) at once, and durably. The raised marks and the
    /// fan-out are stored together, and a reminder set, before anything else; the marks then reach every silo, so no
    /// covered token validates from then on; gateways are told each token's end; then this returns, and the fan-out ends
    /// each token and drops it from the index in the background, one shard per turn. Returns how many tokens.
    /// </summary>
    private async Task<int> RevokeAsync(string? member, TokenEndReason reason, string? note)
    {
        var covered = new List<ImmutableArray<IndexedToken>>();
        var selection = new TokenSelection(UserId: member, Before: Org.NextSequence);
        foreach (var shard in Org.Shards)
        {
            // Tokens an earlier revocation or sweep is already ending are neither counted nor revoked again.
            var tokens = (await Shard(shard).Find(selection)).RemoveAll(Org.IsBeingEnded);
            if (!tokens.IsEmpty)
            {
                covered.Add(tokens);
            }
        }

        var count = covered.Sum(tokens => tokens.Length);
        if (count == 0)
        {
            return 0;
        }

        await RegisterResumeAsync();
        Org.BeginRevocation(member, reason, note, AuditActor.Current);
        await PersistAsync();
        await GrainFactory.GetGrain<IRevocationMarksGrain>(OrganizationId).Publish(Org.Marks);
        foreach (var tokens in covered)
        {
            await Events.PublishEnded([.. tokens.Select(t => t.Token.TokenId)]);
        }

        LogRevocationStarted(logger, OrganizationId, count);
        ContinueFanOuts();
        return count;
    }

    /// <summary>Asks this organization, without waiting, to carry its owed fan-outs one step further in a turn of its own.</summary>
    private void ContinueFanOuts()
    {
        if (Org.FanOuts.Count > 0)
        {
            Self.RunFanOuts().Ignore();
        }
    }

    /// <summary>
    /// One step of the oldest fan-out: the next shard it covers. Ends the tokens the fan-out selects there, tells the
    /// gateways, records why, drops them from the shard, and stores how far it got; then asks for the next step, so
    /// other calls take turns in between. A failure leaves the step to the resume reminder.
    /// </summary>
    public async Task RunFanOuts()
    {
        if (Org.FanOuts.Count == 0)
        {
            return;
        }

        var fanOut = Org.FanOuts[0];
        try
        {
            if (Org.NextShardOf(fanOut) is { } shard)
            {
                await EndSelectedAsync(fanOut, shard);
                fanOut.NextShard = shard + 1;
                await PersistAsync();
                await FlushAuditAsync();
            }
            else
            {
                await FinishAsync(fanOut);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogFanOutDeferred(logger, exception, OrganizationId, fanOut.Kind);
            return;
        }

        ContinueFanOuts();
    }

    private async Task EndSelectedAsync(FanOut fanOut, long shard)
    {
        var tokens = await Shard(shard).Find(fanOut.Selection);
        if (tokens.IsEmpty)
        {
            return;
        }

        await ForEachTokenAsync(tokens, token => token.Terminate(fanOut.Reason, fanOut.Note));
        await Events.PublishEnded([.. tokens.Select(t => t.Token.TokenId)]);
        await RecordEndsAsync(tokens.Select(t => (t, Entry(fanOut.Action, t.Token.TokenId, t.Token.UserId, fanOut.AuditReason, fanOut.Actor))));
        await UnlistAsync([.. tokens.Select(t => t.Sequence)]);
    }

    /// <summary>
    /// Stores the audit events of ended index entries together with their being due for removal from the index; an entry
    /// already due (a step repeated after a crash) keeps the event it has, so each end is recorded once.
    /// </summary>
    private async Task RecordEndsAsync(IEnumerable<(IndexedToken Token, AuditEntry Event)> ends)
    {
        var fresh = ends.Where(e => !Org.Unlisting.Contains(e.Token.Sequence)).ToList();
        await StageAuditAsync(fresh.Select(e => e.Event));
        Org.Unlisting.AddRange(fresh.Select(e => e.Token.Sequence));
        await PersistAsync();
    }

    /// <summary>Drops entries from their index shards (stored by the caller's next write).</summary>
    private async Task UnlistAsync(IReadOnlyCollection<long> sequences)
    {
        foreach (var group in sequences.GroupBy(TokenIndexLayout.ShardOf))
        {
            if ((await Shard(group.Key).Remove([.. group])).Count == 0)
            {
                Org.Emptied(group.Key);
            }
        }

        Org.Unlisting.RemoveAll(sequences.Contains);
    }

    private async Task FinishAsync(FanOut fanOut)
    {
        var marksChanged = Org.Finish(fanOut);
        if (fanOut.Kind == FanOutKind.Expiry)
        {
            await RescheduleExpiryAsync();
        }

        await PersistAsync();
        if (marksChanged)
        {
            await GrainFactory.GetGrain<IRevocationMarksGrain>(OrganizationId).Publish(Org.Marks);
        }

        await UnregisterResumeWhenDoneAsync();
        LogFanOutFinished(logger, OrganizationId, fanOut.Kind);
    }

    public Task<OrganizationWork> PendingWork() =>
        Task.FromResult(new OrganizationWork(Org.FanOuts.Count(f => f.Kind == FanOutKind.Revocation), Org.PermissionSyncs.Count));

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

        // Interleaved: nothing of this organization's state is read or written here, only the secret hashed.
        if (await Member(command.UserId).GetPermissions() is null)
        {
            return new CreateTokenResult(CreateTokenStatus.MemberNotFound, null);
        }

        var tokenId = Guid.NewGuid();
        var secret = formatKeys.NewSecret(tokenId);
        if (await hasher.HashAsync(secret) is not { } hash)
        {
            return new CreateTokenResult(CreateTokenStatus.Busy, null);
        }

        var added = await Self.AddToken(new NewToken(tokenId, command.UserId, name, command.ExpiresInDays, hash));
        return added.Token is { } token
            ? added with { Token = token with { Secret = secret } }
            : added;
    }

    /// <summary>
    /// Stores a token in this organization's turn. The index lists it before the token exists, so no token can validate
    /// without its organization knowing of it; the organization's record then moves its commit mark past it.
    /// </summary>
    public async Task<CreateTokenResult> AddToken(NewToken token)
    {
        if (await Member(token.UserId).GetPermissions() is not { } permissions)
        {
            return new CreateTokenResult(CreateTokenStatus.MemberNotFound, null);
        }

        var sequence = Org.NextSequence;
        var createdAt = time.GetUtcNow();
        var expiresAt = createdAt.AddDays(token.ExpiresInDays);
        await Shard(TokenIndexLayout.ShardOf(sequence)).Add(sequence, new TokenSummary(token.TokenId, token.Name, token.UserId, createdAt, expiresAt));
        var grain = Token(token.TokenId);
        var record = new TokenRecord(
            token.TokenId, OrganizationId, token.UserId, token.Name, createdAt, expiresAt, token.SecretHash, permissions, Org.Epoch,
            TaggedSecret: true, IndexSequence: sequence);
        try
        {
            await grain.Initialize(record);
        }
        catch
        {
            // The next activation settles the index entry: this token is not live, so it goes.
            DeactivateOnIdle();
            throw;
        }

        Org.Commit(sequence);
        await StageAuditAsync([Entry(AuditAction.TokenCreated, token.TokenId, token.UserId, null)]);
        await ScheduleExpiryAsync(expiresAt);
        try
        {
            await PersistAsync();
        }
        catch
        {
            // The caller never receives this secret, so the token must not stay usable; the next activation then finds
            // its index entry past the commit mark and not live, and removes it.
            await grain.Terminate(TokenEndReason.Deleted, null);
            throw;
        }

        await FlushAuditAsync();
        LogTokenCreated(logger, token.TokenId, OrganizationId, token.UserId, expiresAt);
        // The secret is added by CreateToken, which made it; it never reaches this grain.
        return new CreateTokenResult(
            CreateTokenStatus.Created,
            new IssuedToken(token.TokenId, "", token.Name, createdAt, expiresAt, permissions));
    }

    public async Task<TokenPage> ListTokens(string? cursor, int limit)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var before = TokenPageCursor.Parse(cursor) ?? long.MaxValue;
        var now = time.GetUtcNow();
        var found = new List<IndexedToken>(limit + 1);
        var last = before == long.MaxValue ? long.MaxValue : TokenIndexLayout.ShardOf(before - 1);
        for (var i = Org.Shards.Count - 1; i >= 0 && found.Count <= limit; i--)
        {
            if (Org.Shards[i] <= last)
            {
                found.AddRange(await Shard(Org.Shards[i]).Page(before, limit + 1 - found.Count, now));
            }
        }

        // One more than asked tells whether another page follows.
        var more = found.Count > limit;
        var page = found.Take(limit).ToList();
        return new TokenPage(
            [.. page.Select(t => t.Token)],
            more ? TokenPageCursor.After(page[^1].Sequence) : null);
    }

    public async Task<bool> DeleteToken(Guid tokenId) =>
        await Token(tokenId).Describe() is { } details && details.OrganizationId == OrganizationId
        && await EndListedAsync(details, TokenEndReason.Deleted, null, AuditAction.TokenDeleted);

    /// <summary>The token's details once revoked, whether this call ended it or an earlier one did (the first end stays).</summary>
    public async Task<TokenDetails?> RevokeToken(Guid tokenId, string reason)
    {
        if (await Token(tokenId).Describe() is not { } details || details.OrganizationId != OrganizationId)
        {
            return null;
        }

        await EndListedAsync(details, TokenEndReason.Revoked, reason, AuditAction.TokenRevoked);
        return await Token(tokenId).Describe();
    }

    /// <summary>
    /// Ends one token of this organization and drops it from the index, recording why. False when the index no longer
    /// lists it (it ended before, and that end was recorded then).
    /// </summary>
    private async Task<bool> EndListedAsync(TokenDetails details, TokenEndReason reason, string? note, AuditAction action)
    {
        var listed = await Shard(TokenIndexLayout.ShardOf(details.IndexSequence))
            .Find(new TokenSelection(From: details.IndexSequence, Before: details.IndexSequence + 1));
        if (listed.IsEmpty || listed[0].Token.TokenId != details.TokenId)
        {
            return false;
        }

        await Token(details.TokenId).Terminate(reason, note);
        // Gateways are told before the index forgets the token: if telling them fails, the index still lists it, so a
        // retry tells them again.
        await Events.PublishEnded([details.TokenId]);
        await RecordEndsAsync([(listed[0], Entry(action, details.TokenId, details.UserId, note))]);
        await UnlistAsync([details.IndexSequence]);
        await PersistAsync();
        await FlushAuditAsync();
        return true;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ExpiryReminder && Org.BeginExpiry(time.GetUtcNow()))
        {
            await RegisterResumeAsync();
            await PersistAsync();
        }

        // Anything still owed (a fan-out or a permission change that failed) is tried again; when nothing is, the
        // resume reminder goes.
        foreach (var userId in Org.PermissionSyncs.ToList())
        {
            await SyncPermissionsAsync(userId);
        }

        ContinueFanOuts();
        await UnregisterResumeWhenDoneAsync();
    }

    /// <summary>Brings the expiry reminder forward to <paramref name="expiresAt"/> when nothing earlier is due.</summary>
    private async Task ScheduleExpiryAsync(DateTimeOffset expiresAt)
    {
        if (Org.ExpiryDue is { } scheduled && scheduled <= expiresAt)
        {
            return;
        }

        var wait = expiresAt - time.GetUtcNow();
        await this.RegisterOrUpdateReminder(ExpiryReminder, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ExpiryRetryPeriod);
        Org.ExpiryDue = expiresAt;
    }

    /// <summary>After a sweep: the reminder moves to the earliest expiry the index still holds, or goes when it holds none.</summary>
    private async Task RescheduleExpiryAsync()
    {
        var summaries = await Task.WhenAll(Org.Shards.Select(shard => Shard(shard).Summary()));
        Org.ExpiryDue = null;
        if (summaries.Min(s => s.EarliestExpiry) is { } earliest)
        {
            await ScheduleExpiryAsync(earliest);
        }
        else if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>Set before owed work is stored: if the silo dies after storing it, this tick comes to finish it.</summary>
    private Task<IGrainReminder> RegisterResumeAsync() =>
        this.RegisterOrUpdateReminder(ResumeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    private async Task UnregisterResumeWhenDoneAsync()
    {
        if (!Org.OwesWork && await this.GetReminder(ResumeReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private AuditEntry Entry(AuditAction action, Guid tokenId, string userId, string? reason, string? actor = null) =>
        new(time.GetUtcNow(), action, actor ?? AuditActor.Current, tokenId, userId, reason);

    /// <summary>Numbers events from the stored next sequence (read from the trail the first time) into the outbox.</summary>
    private async Task StageAuditAsync(IEnumerable<AuditEntry> entries)
    {
        Org.AuditNext ??= await AuditLog.Count();
        Org.StageAudit(entries);
    }

    /// <summary>
    /// Hands stored events to the trail. Their action has already happened, so a failure here does not fail it: the
    /// events stay stored and go with the next action or activation (recording them twice rewrites them in place).
    /// The emptied outbox is stored by the next write.
    /// </summary>
    private async Task FlushAuditAsync()
    {
        var outbox = Org.AuditOutbox;
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

    /// <summary>Calls token grains in batches of <see cref="FanOutParallelism"/>: bounded parallelism, all done on return.</summary>
    private async Task ForEachTokenAsync(ImmutableArray<IndexedToken> tokens, Func<ITokenGrain, Task> call)
    {
        foreach (var batch in tokens.Chunk(FanOutParallelism))
        {
            await Task.WhenAll(batch.Select(entry => call(Token(entry.Token.TokenId))));
        }
    }

    private Task PersistAsync() => state.WriteOrDropAsync(DeactivateOnIdle);

    private static void RequireValidUserId(string userId)
    {
        if (!TokenRules.IsValidId(userId))
        {
            throw new ArgumentException("Invalid user id.", nameof(userId));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token {TokenId} created in organization {OrganizationId} for user {UserId}, expires {ExpiresAt:O}")]
    private static partial void LogTokenCreated(ILogger logger, Guid tokenId, string organizationId, string userId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settled {EntryCount} index entries of organization {OrganizationId} left by interrupted token creations")]
    private static partial void LogUnfinishedCreateSettled(ILogger logger, string organizationId, int entryCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revoked {TokenCount} tokens of organization {OrganizationId}: {Reason}")]
    private static partial void LogRevoked(ILogger logger, string organizationId, int tokenCount, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoking {TokenCount} tokens of organization {OrganizationId}: marks raised, gateways told; fan-out started")]
    private static partial void LogRevocationStarted(ILogger logger, string organizationId, int tokenCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Organization {OrganizationId}: {Kind} fan-out finished")]
    private static partial void LogFanOutFinished(ILogger logger, string organizationId, FanOutKind kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Organization {OrganizationId}: a {Kind} fan-out step failed; the resume reminder tries again")]
    private static partial void LogFanOutDeferred(ILogger logger, Exception exception, string organizationId, FanOutKind kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit events of organization {OrganizationId} are stored but not yet in its trail ({EventCount}); they go with its next action or activation")]
    private static partial void LogAuditDeferred(ILogger logger, Exception exception, string organizationId, int eventCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {UserId} removed from organization {OrganizationId}; {TokenCount} tokens revoked")]
    private static partial void LogMemberRemoved(ILogger logger, string organizationId, string userId, int tokenCount);
}
