using ZeroPath.Bench.Edge;

namespace ZeroPath.Bench.Edge.Tests;

public class TimingPlanTests
{
    [Fact]
    public void Every_id_is_asked_once_cold_and_the_repeats_are_spread_over_the_ids()
    {
        var pools = Pools(cold: 200, warm: 2_000);

        var plan = TimingPhase.Plan(pools, warm: 2_000, blocks: 4, new Random(1));

        for (var kind = 0; kind < pools.Length; kind++)
        {
            var perId = plan.Steps.Where(s => s.Kind == kind).GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(pools[kind].Ids.Length, perId.Count);
            Assert.Equal(pools[kind].Ids.Length + 2_000, perId.Values.Sum());
            Assert.True(perId.Values.Max() - perId.Values.Min() <= 1, pools[kind].Kind.Id);
        }
    }

    [Fact]
    public void No_token_of_wrong_tagged_gets_enough_wrong_secrets_to_be_locked()
    {
        var pools = Pools(cold: 200, warm: 2_000);
        var tagged = Array.FindIndex(pools, p => p.Kind.Id == TimingKinds.WrongTagged);

        var plan = TimingPhase.Plan(pools, warm: 2_000, blocks: 4, new Random(2));

        Assert.Equal(250, pools[tagged].Ids.Length);
        Assert.All(
            plan.Steps.Where(s => s.Kind == tagged).GroupBy(s => s.Id),
            g => Assert.True(g.Count() <= TimingKinds.TaggedRequestsPerToken, $"{g.Count()} requests for one token"));
        Assert.True(TimingKinds.TaggedRequestsPerToken < 10, "the default failure limit locks a token at its 10th wrong secret");
    }

    [Fact]
    public void Each_id_stays_within_one_block_and_every_block_holds_every_kind()
    {
        var pools = Pools(cold: 200, warm: 2_000);

        var plan = TimingPhase.Plan(pools, warm: 2_000, blocks: 4, new Random(3));

        var blockLength = plan.Steps.Length / 4;
        var positions = plan.Steps.Select((step, order) => (step, order)).GroupBy(x => x.step);
        foreach (var id in positions)
        {
            var first = id.Min(x => x.order);
            var last = id.Max(x => x.order);
            Assert.True(last - first < blockLength + pools.Length, $"{pools[id.Key.Kind].Kind.Id} id {id.Key.Id}: {first}..{last}");
        }

        // Blocks differ in length by a few steps; the short remainder the last chunk leaves is not a block.
        foreach (var quarter in plan.Steps.Chunk(blockLength).Where(c => c.Length == blockLength))
        {
            Assert.Equal(pools.Length, quarter.Select(s => s.Kind).Distinct().Count());
        }
    }

    [Fact]
    public void The_order_is_shuffled_not_grouped_by_kind()
    {
        var pools = Pools(cold: 20, warm: 200);

        var plan = TimingPhase.Plan(pools, warm: 200, blocks: 1, new Random(4));

        var sameAsPrevious = plan.Steps.Zip(plan.Steps.Skip(1)).Count(p => p.First.Kind == p.Second.Kind);
        // 11 kinds in random order: about one step in 11 follows its own kind.
        Assert.InRange(sameAsPrevious, plan.Steps.Length / 30, plan.Steps.Length / 5);
    }

    private static TimingPool[] Pools(int cold, int warm) =>
        TimingKinds.All.Select(kind => new TimingPool(
            kind,
            Enumerable.Range(0, TimingSeeder.PoolSize(kind, cold, warm)).Select(_ => Guid.NewGuid()).ToArray(),
            null)).ToArray();
}
