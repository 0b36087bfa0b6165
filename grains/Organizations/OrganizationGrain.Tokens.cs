using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>Creating, listing and ending single tokens through the sharded index.</summary>
public sealed partial class OrganizationGrain
{
    public const int MaxPageSize = 500;

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

        var requested = command.Permissions is { } asked ? TokenRules.NormalizePermissions(asked) : (ImmutableArray<string>?)null;
        if (requested is { } subset && (subset.Length > TokenRules.MaxPermissions || !subset.All(p => TokenRules.IsValidPermission(p))))
        {
            throw new ArgumentException("Invalid permissions.", nameof(command));
        }

        var cidrs = command.AllowedCidrs;
        if (cidrs is { } ranges && !TokenRules.AreCanonicalCidrs(ranges))
        {
            throw new ArgumentException("AllowedCidrs must be canonical, distinct and ordered: see TokenRules.TryNormalizeCidrs.", nameof(command));
        }

        if (command.RateLimit is { } rate && !TokenRules.IsValidRateLimit(rate))
        {
            throw new ArgumentException("RateLimit is out of range: see TokenRules.IsValidRateLimit.", nameof(command));
        }

        // Interleaved: nothing of this organization's state is read or written here, only the secret hashed.
        if (await Member(command.UserId).GetPermissions() is not { } held)
        {
            return new CreateTokenResult(CreateTokenStatus.MemberNotFound, null);
        }

        // Checked again in the organization's turn (AddToken); here it saves hashing a secret for nothing.
        if (requested is { } wanted && TokenRules.FirstNotHeld(wanted, held) is not null)
        {
            return new CreateTokenResult(CreateTokenStatus.PermissionNotHeld, null);
        }

        var days = command.ExpiresInDays;
        if (PolicyRefusal(ref days, command.DefaultLifetime, requested, cidrs) is { } refused)
        {
            return new CreateTokenResult(refused, null);
        }

        if (await NewSecretAsync() is not var (tokenId, secret, hash))
        {
            return new CreateTokenResult(CreateTokenStatus.Busy, null);
        }

        var added = await Self.AddToken(new NewToken(
            tokenId, command.UserId, name, command.ExpiresInDays, hash, requested, cidrs, command.RateLimit, command.DefaultLifetime));
        return WithSecret(added, secret);
    }

    /// <summary>
    /// A new token id and secret, and the secret's hash; null when Argon2 capacity is exhausted. The secret's fingerprint
    /// is recorded before the token exists (by create and by rotation alike, while the secret is hashed), so every token
    /// that can validate has one for secret scanning; if the create fails after this, the record names a token that never was.
    /// </summary>
    private async Task<(Guid TokenId, string Secret, string Hash)?> NewSecretAsync()
    {
        var tokenId = Guid.NewGuid();
        var secret = formatKeys.NewSecret(tokenId);
        // Stored while Argon2 works, so its write costs a create no time of its own.
        var fingerprint = GrainFactory.GetGrain<ISecretFingerprintGrain>(formatKeys.Fingerprint(secret)!).Record(tokenId);
        var hash = await hasher.HashAsync(secret);
        await fingerprint;
        return hash is null ? null : (tokenId, secret, hash);
    }

    /// <summary>The secret is added by the interleaved call that made it; it never reaches the organization's turn or state.</summary>
    private static CreateTokenResult WithSecret(CreateTokenResult added, string secret) =>
        added.Token is { } token ? added with { Token = token with { Secret = secret } } : added;

    /// <summary>
    /// Stores a token in this organization's turn. The index lists it before the token exists, so no token can validate
    /// without its organization knowing of it; the organization's record then moves its commit mark past it.
    /// </summary>
    public Task<CreateTokenResult> AddToken(NewToken token) => AddTokenAsync(token, null);

    /// <summary>
    /// <paramref name="alongside"/>: more to change in the organization's record, stored by the same write as the
    /// token's commit (given the token's creation time), so both or neither are stored.
    /// </summary>
    private async Task<CreateTokenResult> AddTokenAsync(NewToken token, Func<DateTimeOffset, Task>? alongside)
    {
        if (await Member(token.UserId).GetPermissions() is not { } held)
        {
            return new CreateTokenResult(CreateTokenStatus.MemberNotFound, null);
        }

        // In this organization's turn, so no permission or policy change can come between the check and the token.
        if (token.RequestedPermissions is { } requested && TokenRules.FirstNotHeld(requested, held) is not null)
        {
            return new CreateTokenResult(CreateTokenStatus.PermissionNotHeld, null);
        }

        var days = token.ExpiresInDays;
        if (PolicyRefusal(ref days, token.DefaultLifetime, token.RequestedPermissions, token.AllowedCidrs) is { } refused)
        {
            return new CreateTokenResult(refused, null);
        }

        var permissions = TokenRules.EffectivePermissions(token.RequestedPermissions, Org.CurrentPolicy.Allowed(held));
        var restrictions = (token.RequestedPermissions is null ? TokenRestrictions.None : TokenRestrictions.Permissions)
            | (token.AllowedCidrs is null ? TokenRestrictions.None : TokenRestrictions.Addresses)
            | (token.RateLimit is null ? TokenRestrictions.None : TokenRestrictions.RateLimit);
        var sequence = Org.NextSequence;
        var createdAt = time.GetUtcNow();
        var expiresAt = createdAt.AddDays(days);
        await Shard(TokenIndexLayout.ShardOf(sequence)).Add(
            sequence, new TokenSummary(token.TokenId, token.Name, token.UserId, createdAt, expiresAt, restrictions));
        var grain = Token(token.TokenId);
        var record = new TokenRecord(
            token.TokenId, OrganizationId, token.UserId, token.Name, createdAt, expiresAt, token.SecretHash, permissions, Org.Epoch,
            TaggedSecret: true, IndexSequence: sequence, RequestedPermissions: token.RequestedPermissions, AllowedCidrs: token.AllowedCidrs,
            RateLimit: token.RateLimit);
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
            if (alongside is not null)
            {
                await alongside(createdAt);
            }

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
            new IssuedToken(token.TokenId, "", token.Name, createdAt, expiresAt, permissions, token.AllowedCidrs, token.RateLimit));
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
    private async Task<bool> EndListedAsync(TokenDetails details, TokenEndReason reason, string? note, AuditAction action, string? actor = null)
    {
        if (await ListedAsync(details) is not { } listed)
        {
            return false;
        }

        await Token(details.TokenId).Terminate(reason, note);
        // Gateways are told before the index forgets the token: if telling them fails, the index still lists it, so a
        // retry tells them again.
        await Events.PublishEnded([details.TokenId]);
        await RecordEndsAsync([(listed, Entry(action, details.TokenId, details.UserId, note, actor))]);
        await UnlistAsync([details.IndexSequence]);
        await PersistAsync();
        await FlushAuditAsync();
        return true;
    }

    /// <summary>The token's index entry, or null when the index no longer lists it.</summary>
    private async Task<IndexedToken?> ListedAsync(TokenDetails details)
    {
        var listed = await Shard(TokenIndexLayout.ShardOf(details.IndexSequence))
            .Find(new TokenSelection(From: details.IndexSequence, Before: details.IndexSequence + 1));
        return listed.IsEmpty || listed[0].Token.TokenId != details.TokenId ? null : listed[0];
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Token {TokenId} created in organization {OrganizationId} for user {UserId}, expires {ExpiresAt:O}")]
    private static partial void LogTokenCreated(ILogger logger, Guid tokenId, string organizationId, string userId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settled {EntryCount} index entries of organization {OrganizationId} left by interrupted token creations")]
    private static partial void LogUnfinishedCreateSettled(ILogger logger, string organizationId, int entryCount);
}
