using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>
/// An organization's own stored record: small and bounded whatever its size (members and the token index live in
/// grains of their own). Its transitions are plain methods here, so they are tested without a cluster.
/// </summary>
[GenerateSerializer]
[Alias("zp.organization-state")]
public sealed class OrganizationState
{
    /// <summary>
    /// The index sequence the next token gets. Also the commit mark of a create: an index entry at or past it was written
    /// by a create that did not finish, and is settled when the organization next activates.
    /// </summary>
    [Id(0)] public long NextSequence { get; set; }

    /// <summary>Index shards that may hold entries, ascending (a shard is dropped once a removal empties it).</summary>
    [Id(1)] public List<long> Shards { get; set; } = [];

    /// <summary>The current epoch: tokens are issued in it; a bulk revocation marks it revoked and moves to the next.</summary>
    [Id(2)] public long Epoch { get; set; }

    /// <summary>The bulk revocations in effect (see <see cref="RevocationMarks"/>); stored with the revocation's fan-out.</summary>
    [Id(3)] public RevocationMarks Marks { get; set; } = RevocationMarks.None;

    /// <summary>Fan-outs still owed, oldest first: each ends the tokens it selects, one index shard per turn.</summary>
    [Id(4)] public List<FanOut> FanOuts { get; set; } = [];

    /// <summary>
    /// Members whose permissions changed and whose tokens may not all follow yet: stored before the change, cleared once
    /// every token has the new permissions, finished on the next activation if a crash comes between.
    /// </summary>
    [Id(5)] public List<string> PermissionSyncs { get; set; } = [];

    /// <summary>The audit trail's next sequence number; null until first read from the trail.</summary>
    [Id(6)] public long? AuditNext { get; set; }

    /// <summary>
    /// Audit events stored with the change they record and not yet known to be in the trail. Handed to the trail after
    /// the write, and again on the next activation or action if that failed, so no event is lost.
    /// </summary>
    [Id(7)] public List<AuditEvent> AuditOutbox { get; set; } = [];

    /// <summary>When the expiry reminder is due: the earliest expiry the index held when it was set (null: no reminder).</summary>
    [Id(8)] public DateTimeOffset? ExpiryDue { get; set; }

    /// <summary>
    /// Index entries whose token has ended and whose audit event is stored (in the outbox or the trail), but which the
    /// index may still list: a step cut short between the two writes removes them without recording their end twice.
    /// </summary>
    [Id(9)] public List<long> Unlisting { get; set; } = [];

    /// <summary>The token policy; null: <see cref="OrganizationPolicy.Default"/>.</summary>
    [Id(10)] public OrganizationPolicy? Policy { get; set; }

    /// <summary>
    /// Rotated tokens waiting for their grace period to pass, soonest first. The expiry reminder is due no later than the
    /// first, so a crash does not forget one.
    /// </summary>
    [Id(11)] public List<ScheduledEnd> ScheduledEnds { get; set; } = [];

    public OrganizationPolicy CurrentPolicy => Policy ?? OrganizationPolicy.Default;

    /// <summary>Schedules the end of a rotated token, keeping the list soonest first.</summary>
    public void ScheduleEnd(ScheduledEnd end)
    {
        var at = ScheduledEnds.FindIndex(e => e.At > end.At);
        ScheduledEnds.Insert(at < 0 ? ScheduledEnds.Count : at, end);
    }

    /// <summary>Queues applying the policy's forbidden permissions to every token issued so far, replacing one not yet finished.</summary>
    public void BeginPolicySync()
    {
        FanOuts.RemoveAll(f => f.Kind == FanOutKind.PolicySync);
        FanOuts.Add(new FanOut { Kind = FanOutKind.PolicySync, Actor = AuditActor.System, Before = NextSequence });
    }

    /// <summary>Records a token's index entry as committed: the next create takes the next sequence.</summary>
    public void Commit(long sequence)
    {
        NextSequence = Math.Max(NextSequence, sequence + 1);
        var shard = TokenIndexLayout.ShardOf(sequence);
        var at = Shards.BinarySearch(shard);
        if (at < 0)
        {
            Shards.Insert(~at, shard);
        }
    }

    /// <summary>A removal left a shard empty: no page or fan-out needs to read it again.</summary>
    public void Emptied(long shard) => Shards.Remove(shard);

    /// <summary>
    /// Starts a bulk revocation of every token of <paramref name="member"/> (null: of the organization) issued so far:
    /// marks the current epoch revoked for them, moves to the next epoch and queues the fan-out that ends each token.
    /// Tokens created after this are in a later epoch and past the fan-out's sequence bound, so untouched.
    /// </summary>
    public FanOut BeginRevocation(string? member, TokenEndReason reason, string? note, string actor)
    {
        Marks = member is null ? Marks.RevokeOrganization(Epoch) : Marks.RevokeMember(member, Epoch);
        Epoch++;
        var fanOut = new FanOut
        {
            Kind = FanOutKind.Revocation,
            Reason = reason,
            Note = note,
            Actor = actor,
            Member = member,
            Before = NextSequence,
        };
        FanOuts.Add(fanOut);
        return fanOut;
    }

    /// <summary>Queues the ending of every token expired by <paramref name="now"/>, unless such a fan-out is already queued.</summary>
    public bool BeginExpiry(DateTimeOffset now)
    {
        if (FanOuts.Any(f => f.Kind == FanOutKind.Expiry))
        {
            return false;
        }

        FanOuts.Add(new FanOut
        {
            Kind = FanOutKind.Expiry,
            Reason = TokenEndReason.Expired,
            Actor = AuditActor.System,
            ExpiredBy = now,
            Before = NextSequence,
        });
        return true;
    }

    /// <summary>The next shard <paramref name="fanOut"/> must visit, or null when it has visited them all.</summary>
    public long? NextShardOf(FanOut fanOut)
    {
        var last = TokenIndexLayout.ShardOf(fanOut.Before - 1);
        foreach (var shard in Shards)
        {
            if (shard >= fanOut.NextShard && shard <= last)
            {
                return shard;
            }
        }

        return null;
    }

    /// <summary>
    /// Drops a finished fan-out. A member's revocation mark goes with the last fan-out for that member: every token it
    /// covered is now stored as ended. True when the marks changed (so they must be published again).
    /// </summary>
    public bool Finish(FanOut fanOut)
    {
        FanOuts.Remove(fanOut);
        if (fanOut is { Kind: FanOutKind.Revocation, Member: { } member } &&
            !FanOuts.Any(f => f.Kind == FanOutKind.Revocation && f.Member == member))
        {
            var marks = Marks.WithoutMember(member);
            var changed = !ReferenceEquals(marks, Marks);
            Marks = marks;
            return changed;
        }

        return false;
    }

    /// <summary>True when a fan-out still owed will end this index entry (a new revocation does not count it again).</summary>
    public bool IsBeingEnded(IndexedToken entry) =>
        FanOuts.Any(f => f.Kind != FanOutKind.PolicySync && entry.Sequence < f.Before
            && (f.Member is null || f.Member == entry.Token.UserId)
            && (f.ExpiredBy is not { } by || entry.Token.ExpiresAt <= by));

    /// <summary>True while a revocation, a permission change or an expiry sweep is owed (the resume reminder stays).</summary>
    public bool OwesWork => FanOuts.Count > 0 || PermissionSyncs.Count > 0;

    /// <summary>
    /// Numbers <paramref name="entries"/> from <see cref="AuditNext"/> and puts them in the outbox, to be stored by the
    /// next write with the change they record. Call with <see cref="AuditNext"/> known.
    /// </summary>
    public void StageAudit(IEnumerable<AuditEntry> entries)
    {
        var next = AuditNext ?? throw new InvalidOperationException("The audit trail's next sequence is not known yet.");
        foreach (var entry in entries)
        {
            AuditOutbox.Add(entry.Numbered(next++));
        }

        AuditNext = next;
    }
}

[GenerateSerializer]
[Alias("zp.fan-out-kind")]
public enum FanOutKind
{
    /// <summary>A bulk revocation: of the organization's tokens, or of one member's.</summary>
    Revocation = 0,

    /// <summary>The expiry sweep: tokens whose expiry has passed.</summary>
    Expiry = 1,

    /// <summary>Not an end: every token issued before it follows its owner's permissions under a changed policy.</summary>
    PolicySync = 2,
}

/// <summary>A rotated token (<c>TokenId</c>, at <c>Sequence</c> in the index) ends at <c>At</c>; <c>Successor</c> replaced it.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.scheduled-end")]
public sealed record ScheduledEnd(
    [property: Id(0)] Guid TokenId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] Guid Successor);

/// <summary>
/// Tokens to end, selected from the index, with how and on whose word. Visits the index one shard per turn, in shard
/// order, and remembers how far it got, so a crash resumes where it stopped. Fixed in size however many tokens it covers.
/// </summary>
[GenerateSerializer]
[Alias("zp.fan-out")]
public sealed class FanOut
{
    [Id(0)] public FanOutKind Kind { get; set; }
    [Id(1)] public TokenEndReason Reason { get; set; }
    [Id(2)] public string? Note { get; set; }
    [Id(3)] public string Actor { get; set; } = "";

    /// <summary>Whose tokens; null: every member's.</summary>
    [Id(4)] public string? Member { get; set; }

    /// <summary>Only tokens created before it started: index sequences below this.</summary>
    [Id(5)] public long Before { get; set; }

    /// <summary>The expiry sweep: only tokens expired by then.</summary>
    [Id(6)] public DateTimeOffset? ExpiredBy { get; set; }

    /// <summary>Shards below this one are done.</summary>
    [Id(7)] public long NextShard { get; set; }

    public TokenSelection Selection => new(Member, ExpiredBy, Before);

    public AuditAction Action => Kind == FanOutKind.Expiry ? AuditAction.TokenExpired : AuditAction.TokenRevoked;

    /// <summary>The reason the audit trail gives.</summary>
    public string? AuditReason => Reason == TokenEndReason.MemberRemoved ? "owner removed from the organization" : Note;
}
