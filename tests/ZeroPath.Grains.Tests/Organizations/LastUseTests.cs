using System.Collections.Immutable;
using ZeroPath.Grains.Organizations;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>A usage shard's merge rules and the unused filter, without a cluster.</summary>
public class TokenUsageShardStateTests
{
    private static readonly DateTimeOffset Now = TestSettings.Epoch.AddHours(5);

    private static TokenUse Use(long sequence, Guid token, DateTimeOffset at, string? from = "192.0.2.1") => new(sequence, token, new TokenLastUse(at, from));

    [Fact]
    public void The_later_minute_wins_whatever_the_order_reports_arrive_in()
    {
        var state = new TokenUsageShardState();
        var token = Guid.NewGuid();

        Assert.True(state.Merge(Use(3, token, Now.AddMinutes(-5).AddSeconds(42), "192.0.2.1"), 0, Now));
        Assert.False(state.Merge(Use(3, token, Now.AddMinutes(-9), "192.0.2.9"), 0, Now));
        Assert.False(state.Merge(Use(3, token, Now.AddMinutes(-5), "192.0.2.1"), 0, Now));
        Assert.Equal(new TokenLastUse(Now.AddMinutes(-5), "192.0.2.1"), state.Uses[3].Use);

        Assert.True(state.Merge(Use(3, token, Now.AddMinutes(-2), "2001:0db8::0001"), 0, Now));
        Assert.Equal(new TokenLastUse(Now.AddMinutes(-2), "2001:db8::1"), state.Uses[3].Use);
    }

    [Fact]
    public void In_the_same_minute_a_known_new_address_replaces_the_kept_one_and_an_unknown_one_does_not()
    {
        var state = new TokenUsageShardState();
        var token = Guid.NewGuid();
        state.Merge(Use(1, token, Now, "192.0.2.1"), 0, Now);

        Assert.False(state.Merge(Use(1, token, Now.AddSeconds(30), null), 0, Now));
        Assert.True(state.Merge(Use(1, token, Now.AddSeconds(30), "192.0.2.2"), 0, Now));
        Assert.Equal("192.0.2.2", state.Uses[1].Use.From);
    }

    [Fact]
    public void Reports_outside_the_shard_are_ignored_and_nothing_but_a_time_and_an_address_is_kept()
    {
        var state = new TokenUsageShardState();

        Assert.False(state.Merge(Use(TokenUsageLayout.ShardCapacity, Guid.NewGuid(), Now), 0, Now));
        Assert.False(state.Merge(Use(-1, Guid.NewGuid(), Now), 0, Now));
        Assert.False(state.Merge(Use(5, Guid.NewGuid(), Now), 1, Now));
        Assert.Empty(state.Uses);

        // A clock far ahead is clamped to now; something that is not an address is not kept.
        Assert.True(state.Merge(Use(TokenUsageLayout.ShardCapacity + 7, Guid.NewGuid(), Now.AddDays(400), "<script>"), 1, Now));
        Assert.Equal(new TokenLastUse(TokenUsageLayout.Minute(Now), null), state.Uses[TokenUsageLayout.ShardCapacity + 7].Use);
        Assert.True(state.Merge(Use(9, Guid.NewGuid(), Now, new string('1', 200)), 0, Now));
        Assert.Null(state.Uses[9].Use.From);
    }

    [Fact]
    public void A_report_for_another_token_at_the_same_sequence_replaces_the_entry()
    {
        var state = new TokenUsageShardState();
        state.Merge(Use(2, Guid.NewGuid(), Now), 0, Now);
        var other = Guid.NewGuid();

        Assert.True(state.Merge(Use(2, other, Now.AddMinutes(-30)), 0, Now));
        Assert.Equal(other, state.Uses[2].TokenId);
    }

    [Fact]
    public void Unused_means_created_before_the_window_and_no_used_minute_reaching_into_it()
    {
        var bound = Now.AddDays(-30);
        static TokenSummary Token(DateTimeOffset created, DateTimeOffset? used) =>
            new(Guid.NewGuid(), null, "alice", created, created.AddDays(365), LastUse: used is { } at ? new TokenLastUse(at, null) : null);

        Assert.True(OrganizationGrain.IsUnused(Token(bound.AddDays(-1), null), bound));
        Assert.True(OrganizationGrain.IsUnused(Token(bound, null), bound));
        Assert.False(OrganizationGrain.IsUnused(Token(bound.AddDays(28), null), bound));
        Assert.True(OrganizationGrain.IsUnused(Token(bound.AddDays(-5), bound.AddMinutes(-1)), bound));
        // The minute starting 30 s before the bound may hold a use after it: not unused.
        Assert.False(OrganizationGrain.IsUnused(Token(bound.AddDays(-5), bound.AddSeconds(-30)), bound));
        Assert.False(OrganizationGrain.IsUnused(Token(bound.AddDays(-5), Now), bound));
    }

    [Fact]
    public void Usage_shards_follow_the_index_layout() =>
        Assert.Equal(TokenIndexLayout.ShardCapacity, TokenUsageLayout.ShardCapacity);
}

/// <summary>A usage shard in a cluster: merging, writing at most once a minute, surviving deactivation, joined into lists.</summary>
public class TokenUsageShardGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static ITokenUsageShardGrain NewShard(ClusterFixture fixture, out string key)
    {
        key = TokenIndexLayout.ShardKey(TestSettings.UniqueId("org"), 0);
        return fixture.Grains.GetGrain<ITokenUsageShardGrain>(key);
    }

    private DateTimeOffset Now => fixture.Cluster.Clock.GetUtcNow();

    private async Task<TokenUsageShardState?> StoredAsync(ITokenUsageShardGrain shard)
    {
        var stored = await fixture.ReadStoredAsync<TokenUsageShardState>("usage", shard);
        return stored.RecordExists ? stored.State : null;
    }

    [Fact]
    public async Task The_latest_of_several_gateways_reports_wins()
    {
        var shard = NewShard(fixture, out _);
        var token = Guid.NewGuid();

        await shard.Record([new TokenUse(4, token, new TokenLastUse(Now, "192.0.2.1"))]);
        await shard.Record([new TokenUse(4, token, new TokenLastUse(Now.AddMinutes(-3), "192.0.2.2"))]);

        var use = Assert.Single(await shard.Uses());
        Assert.Equal(new TokenUse(4, token, new TokenLastUse(TokenUsageLayout.Minute(Now), "192.0.2.1")), use);
    }

    [Fact]
    public async Task A_shard_writes_at_most_once_a_minute_and_the_rest_when_the_minute_is_up()
    {
        var shard = NewShard(fixture, out _);
        var token = Guid.NewGuid();
        var first = Now;

        await shard.Record([new TokenUse(1, token, new TokenLastUse(first, "192.0.2.1"))]);
        Assert.Equal(TokenUsageLayout.Minute(first), (await StoredAsync(shard))!.Uses[1].Use.At);

        // A minute later by the report, 10 s later by the shard's clock: kept, not yet written.
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(10));
        await shard.Record([new TokenUse(1, token, new TokenLastUse(first.AddMinutes(1), "192.0.2.1"))]);
        Assert.Equal(TokenUsageLayout.Minute(first.AddMinutes(1)), Assert.Single(await shard.Uses()).Use.At);
        Assert.Equal(TokenUsageLayout.Minute(first), (await StoredAsync(shard))!.Uses[1].Use.At);

        // Nothing new: nothing to write, whenever.
        await shard.Record([new TokenUse(1, token, new TokenLastUse(first, "192.0.2.1"))]);

        // When the minute since the last write is up, the timer writes what is dirty.
        await fixture.EventuallyAsync(
            async () => (await StoredAsync(shard))!.Uses[1].Use.At == TokenUsageLayout.Minute(first.AddMinutes(1)),
            "the dirty use written once the minute is up");
    }

    [Fact]
    public async Task Uses_not_yet_written_survive_a_deactivation()
    {
        var shard = NewShard(fixture, out _);
        var token = Guid.NewGuid();
        var now = Now;
        await shard.Record([new TokenUse(2, token, new TokenLastUse(now.AddMinutes(-3), "192.0.2.1"))]);
        await shard.Record([new TokenUse(2, token, new TokenLastUse(now, "192.0.2.3"))]);
        Assert.Equal("192.0.2.1", (await StoredAsync(shard))!.Uses[2].Use.From);

        await fixture.Cluster.Cluster.DeactivateAsync(shard);

        Assert.Equal(new TokenLastUse(TokenUsageLayout.Minute(now), "192.0.2.3"), Assert.Single(await shard.Uses()).Use);
        Assert.Equal("192.0.2.3", (await StoredAsync(shard))!.Uses[2].Use.From);
    }

    [Fact]
    public async Task A_report_larger_than_a_shard_is_refused()
    {
        var shard = NewShard(fixture, out _);
        var uses = Enumerable.Range(0, TokenUsageLayout.MaxBatch + 1)
            .Select(i => new TokenUse(i % TokenUsageLayout.ShardCapacity, Guid.NewGuid(), new TokenLastUse(Now, null)))
            .ToImmutableArray();

        await Assert.ThrowsAsync<ArgumentException>(() => shard.Record(uses));
        Assert.Empty(await shard.Uses());
    }

    [Fact]
    public async Task The_token_list_shows_each_tokens_last_use_and_null_for_a_token_never_used()
    {
        var (org, used) = await fixture.IssueAsync();
        var tokens = await ClusterFixture.IssueManyAsync(org, 2);
        var usedAt = Now.AddMinutes(1);
        var sequence = (await fixture.Grains.GetGrain<ITokenGrain>(used.TokenId).Describe())!.IndexSequence;
        var usage = fixture.Grains.GetGrain<ITokenUsageShardGrain>(TokenUsageLayout.ShardKey(org.GetPrimaryKeyString(), sequence));

        await usage.Record([new TokenUse(sequence, used.TokenId, new TokenLastUse(usedAt, "198.51.100.7"))]);
        // A report naming the wrong token for a sequence, or earlier than the token's creation, is not shown.
        var sequenceOfFirst = (await fixture.Grains.GetGrain<ITokenGrain>(tokens[0].TokenId).Describe())!.IndexSequence;
        await usage.Record([new TokenUse(sequenceOfFirst, Guid.NewGuid(), new TokenLastUse(usedAt, "198.51.100.8"))]);
        var sequenceOfSecond = (await fixture.Grains.GetGrain<ITokenGrain>(tokens[1].TokenId).Describe())!.IndexSequence;
        await usage.Record([new TokenUse(sequenceOfSecond, tokens[1].TokenId, new TokenLastUse(tokens[1].CreatedAt.AddDays(-3), "198.51.100.9"))]);

        var page = await org.ListTokensWithUse(null, 10, null);

        Assert.Equal([tokens[1].TokenId, tokens[0].TokenId, used.TokenId], page.Items.Select(t => t.TokenId));
        Assert.Null(page.Items[0].LastUse);
        Assert.Null(page.Items[1].LastUse);
        Assert.Equal(new TokenLastUse(TokenUsageLayout.Minute(usedAt), "198.51.100.7"), page.Items[2].LastUse);
        Assert.Null(page.NextCursor);
        // The plain list is unchanged: no usage shard is read.
        Assert.All((await org.ListTokens(null, 10)).Items, t => Assert.Null(t.LastUse));
    }
}

/// <summary>Listing stale tokens: the filter, and paging through it. Its own cluster: the tests move the clock by days.</summary>
public class UnusedTokenListTests(NoExpiryTickClusterFixture fixture) : IClassFixture<NoExpiryTickClusterFixture>
{
    private DateTimeOffset Now => fixture.Cluster.Clock.GetUtcNow();

    private async Task UseAsync(IOrganizationGrain org, IEnumerable<IssuedToken> tokens, DateTimeOffset at)
    {
        var described = await Task.WhenAll(tokens.Select(t => fixture.Grains.GetGrain<ITokenGrain>(t.TokenId).Describe()));
        foreach (var shard in described.GroupBy(d => TokenUsageLayout.ShardOf(d!.IndexSequence)))
        {
            await fixture.Grains.GetGrain<ITokenUsageShardGrain>(TokenUsageLayout.ShardKey(org.GetPrimaryKeyString(), shard.First()!.IndexSequence))
                .Record([.. shard.Select(d => new TokenUse(d!.IndexSequence, d.TokenId, new TokenLastUse(at, "192.0.2.1")))]);
        }
    }

    private static async Task<List<TokenPage>> AllPagesAsync(IOrganizationGrain org, int limit, TimeSpan unusedFor)
    {
        var pages = new List<TokenPage>();
        string? cursor = null;
        do
        {
            var page = await org.ListTokensWithUse(cursor, limit, unusedFor);
            pages.Add(page);
            cursor = page.NextCursor;
            Assert.True(pages.Count < 1000, "paging does not end");
        }
        while (cursor is not null);

        return pages;
    }

    [Fact]
    public async Task Only_tokens_created_before_the_window_and_not_used_in_it_are_listed_and_paging_skips_none()
    {
        var (org, first) = await fixture.IssueAsync(days: 365);
        var old = new List<IssuedToken> { first };
        for (var i = 0; i < 6; i++)
        {
            var result = await org.CreateToken(new CreateTokenCommand("alice", $"old-{i}", 365));
            old.Add(result.Token!);
        }

        // Used 40 days ago (stale), used 10 days ago (not), never used (stale): alternating, so pages skip some.
        await UseAsync(org, old.Where((_, i) => i % 3 == 0), Now);
        await fixture.AdvanceAsync(TimeSpan.FromDays(30));
        await UseAsync(org, old.Where((_, i) => i % 3 == 1), Now);
        await fixture.AdvanceAsync(TimeSpan.FromDays(10));
        var young = (await org.CreateToken(new CreateTokenCommand("alice", "young", 365))).Token!;

        var pages = await AllPagesAsync(org, 2, TimeSpan.FromDays(30));

        var expected = old.Where((_, i) => i % 3 != 1).Select(t => t.TokenId).Reverse().ToList();
        Assert.Equal(expected, pages.SelectMany(p => p.Items).Select(t => t.TokenId));
        Assert.DoesNotContain(young.TokenId, pages.SelectMany(p => p.Items).Select(t => t.TokenId));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(2, p.Items.Length));
        Assert.Empty((await org.ListTokensWithUse(null, 100, TimeSpan.FromDays(41))).Items);
    }

    [Fact]
    public async Task A_filtered_page_reads_a_bounded_number_of_shards_and_the_next_page_carries_on_below_them()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var count = OrganizationGrain.MaxShardsPerFilteredPage * TokenIndexLayout.ShardCapacity + 3;
        var tokens = new List<IssuedToken>(count);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(64))
        {
            var made = await Task.WhenAll(chunk.Select(_ => org.CreateToken(new CreateTokenCommand("alice", null, 365))));
            tokens.AddRange(made.Select(m => m.Token!));
        }

        var sequences = (await Task.WhenAll(tokens.Select(t => fixture.Grains.GetGrain<ITokenGrain>(t.TokenId).Describe())))
            .ToDictionary(d => d!.TokenId, d => d!.IndexSequence);
        var oldest = tokens.Where(t => sequences[t.TokenId] < 2).ToList();
        await fixture.AdvanceAsync(TimeSpan.FromDays(2));
        // Every token used now but the two in the oldest shard's first places.
        await UseAsync(org, tokens.Except(oldest), Now);

        var firstPage = await org.ListTokensWithUse(null, 10, TimeSpan.FromDays(1));
        Assert.Empty(firstPage.Items);
        Assert.NotNull(firstPage.NextCursor);

        var pages = await AllPagesAsync(org, 10, TimeSpan.FromDays(1));
        Assert.Equal(
            oldest.OrderByDescending(t => sequences[t.TokenId]).Select(t => t.TokenId),
            pages.SelectMany(p => p.Items).Select(t => t.TokenId));
    }
}
