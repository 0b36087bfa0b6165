using ZeroPath.Grains.Organizations;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>The index's plain parts, without a cluster: shard contents, the organization's record, the cursor.</summary>
public class TokenIndexTests
{
    private static readonly DateTimeOffset Now = TestSettings.Epoch;

    private static TokenSummary Summary(string user, int expiresInDays = 30) =>
        new(Guid.NewGuid(), null, user, Now, Now.AddDays(expiresInDays));

    [Fact]
    public void A_shard_keeps_entries_by_sequence_and_pages_newest_first_skipping_expired_ones()
    {
        var shard = new TokenIndexShardState();
        var tokens = Enumerable.Range(0, 6).Select(i => Summary(i % 2 == 0 ? "alice" : "bob", expiresInDays: i == 4 ? 1 : 30)).ToList();
        foreach (var i in new[] { 3, 0, 5, 1, 4, 2 })
        {
            Assert.True(shard.Add(i, tokens[i]));
        }

        Assert.False(shard.Add(3, tokens[3]));
        Assert.Throws<InvalidOperationException>(() => shard.Add(3, tokens[2]));
        Assert.Equal([0L, 1, 2, 3, 4, 5], shard.Entries.Select(e => e.Sequence));

        var later = Now.AddDays(2);
        Assert.Equal([5L, 3, 2], shard.Page(long.MaxValue, 3, later).Select(e => e.Sequence));
        Assert.Equal([1L, 0], shard.Page(2, 10, later).Select(e => e.Sequence));
        Assert.Equal([4L], shard.Find(new TokenSelection(ExpiredBy: later)).Select(e => e.Sequence));
        Assert.Equal([0L, 2], shard.Find(new TokenSelection(UserId: "alice", Before: 4)).Select(e => e.Sequence));
        Assert.Equal([4L, 5], shard.Find(new TokenSelection(From: 4)).Select(e => e.Sequence));

        Assert.Equal(2, shard.Remove([4, 0, 99]));
        Assert.Equal(new TokenShardSummary(4, tokens[1].ExpiresAt), shard.Summary());
    }

    [Fact]
    public void Commits_advance_the_sequence_and_list_each_shard_once()
    {
        var org = new OrganizationState();
        org.Commit(0);
        org.Commit(TokenIndexLayout.ShardCapacity * 2L);
        org.Commit(1);

        Assert.Equal(TokenIndexLayout.ShardCapacity * 2L + 1, org.NextSequence);
        Assert.Equal([0L, 2L], org.Shards);
        org.Emptied(0);
        Assert.Equal([2L], org.Shards);
    }

    [Fact]
    public void A_revocation_marks_the_current_epoch_and_covers_only_tokens_created_before_it()
    {
        var org = new OrganizationState { NextSequence = 700, Shards = [0, 1, 2, 5] };

        var fanOut = org.BeginRevocation("alice", TokenEndReason.MemberRemoved, null, "oncall");

        Assert.Equal(1, org.Epoch);
        Assert.True(org.Marks.Revokes("alice", 0) && !org.Marks.Revokes("alice", 1) && !org.Marks.Revokes("bob", 0));
        Assert.Equal(new TokenSelection("alice", null, 700), fanOut.Selection);
        Assert.Equal("owner removed from the organization", fanOut.AuditReason);
        Assert.Equal(0L, org.NextShardOf(fanOut));
        fanOut.NextShard = 1;
        Assert.Equal(1L, org.NextShardOf(fanOut));
        fanOut.NextShard = 3;
        // Shard 5 starts at sequence 1280: past the revocation's bound, so it is not visited.
        Assert.Null(org.NextShardOf(fanOut));
        Assert.True(org.OwesWork);
    }

    [Fact]
    public void A_members_mark_goes_with_the_last_fan_out_for_that_member_and_the_organizations_stays()
    {
        var org = new OrganizationState();
        var first = org.BeginRevocation("alice", TokenEndReason.Revoked, "one", "oncall");
        var second = org.BeginRevocation("alice", TokenEndReason.Revoked, "two", "oncall");
        var all = org.BeginRevocation(null, TokenEndReason.Revoked, "all", "oncall");

        Assert.False(org.Finish(first));
        Assert.True(org.Marks.Revokes("alice", 1));
        Assert.True(org.Finish(second));
        Assert.False(org.Marks.MembersThrough.ContainsKey("alice"));
        Assert.False(org.Finish(all));
        Assert.True(org.Marks.Revokes("bob", 2) && !org.Marks.Revokes("bob", 3));
        Assert.False(org.OwesWork);
    }

    [Fact]
    public void Only_one_expiry_sweep_is_queued_at_a_time()
    {
        var org = new OrganizationState { NextSequence = 10 };

        Assert.True(org.BeginExpiry(Now));
        Assert.False(org.BeginExpiry(Now.AddHours(1)));
        var sweep = Assert.Single(org.FanOuts);
        Assert.Equal((TokenEndReason.Expired, AuditAction.TokenExpired, AuditActor.System), (sweep.Reason, sweep.Action, sweep.Actor));
        Assert.Equal(new TokenSelection(null, Now, 10), sweep.Selection);
    }

    [Fact]
    public void Audit_events_are_numbered_on_from_the_known_next_sequence()
    {
        var org = new OrganizationState();
        var entry = new AuditEntry(Now, AuditAction.TokenCreated, "admin", Guid.NewGuid(), "alice", null);
        Assert.Throws<InvalidOperationException>(() => org.StageAudit([entry]));

        org.AuditNext = 41;
        org.StageAudit([entry, entry]);

        Assert.Equal([41L, 42L], org.AuditOutbox.Select(e => e.Sequence));
        Assert.Equal(43, org.AuditNext);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(255L)]
    [InlineData(long.MaxValue)]
    public void A_cursor_reads_back_as_the_sequence_it_was_made_from(long sequence)
    {
        var cursor = TokenPageCursor.After(sequence);

        Assert.Matches("^[A-Za-z0-9_-]{11}$", cursor);
        Assert.True(TokenPageCursor.TryParse(cursor, out var before));
        Assert.Equal(sequence, before);
    }

    [Theory]
    [InlineData("AAAAAAAAAAF")]
    [InlineData("zzzzzzzzzzz")]
    [InlineData("gAAAAAAAAAA")]
    [InlineData("AAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAA=")]
    [InlineData("AAAAAAAAAA+")]
    public void Anything_but_a_cursor_this_api_made_is_refused(string cursor)
    {
        Assert.False(TokenPageCursor.TryParse(cursor, out _));
        Assert.Throws<ArgumentException>(() => TokenPageCursor.Parse(cursor));
    }
}
