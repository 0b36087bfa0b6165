using ZeroPath.Gateway.Caching;

namespace ZeroPath.Gateway.Tests.Caching;

public class BoundedLruTests
{
    private static List<string> Present(BoundedLru<string, int> lru, params string[] keys) => [.. keys.Where(k => lru.TryGet(k, out _))];

    [Fact]
    public void Past_capacity_the_least_recently_added_entry_goes_first()
    {
        var lru = new BoundedLru<string, int>(3);
        foreach (var (key, i) in new[] { "a", "b", "c", "d", "e" }.Select((k, i) => (k, i)))
        {
            lru.Set(key, i);
        }

        Assert.Equal(3, lru.Count);
        Assert.Equal(["c", "d", "e"], Present(lru, "a", "b", "c", "d", "e"));
    }

    [Fact]
    public void Reading_an_entry_makes_it_the_most_recently_used()
    {
        var lru = new BoundedLru<string, int>(2);
        lru.Set("a", 1);
        lru.Set("b", 2);

        Assert.True(lru.TryGet("a", out var a));
        lru.Set("c", 3);

        Assert.Equal(1, a);
        Assert.Equal(["a", "c"], Present(lru, "a", "b", "c"));
    }

    [Fact]
    public void Replacing_an_entry_makes_it_the_most_recently_used_without_growing()
    {
        var lru = new BoundedLru<string, int>(2);
        lru.Set("a", 1);
        lru.Set("b", 2);

        lru.Set("a", 10);
        Assert.Equal(2, lru.Count);
        lru.Set("c", 3);

        Assert.Equal(["a", "c"], Present(lru, "a", "b", "c"));
        Assert.True(lru.TryGet("a", out var a));
        Assert.Equal(10, a);
    }

    [Fact]
    public void Set_unless_keeps_an_entry_the_predicate_protects_and_replaces_others()
    {
        var lru = new BoundedLru<string, int>(4);
        lru.Set("kept", 1);
        lru.Set("replaced", 2);

        lru.SetUnless("kept", 10, existing => existing == 1);
        lru.SetUnless("replaced", 20, existing => existing == 1);
        lru.SetUnless("new", 30, existing => true);

        Assert.True(lru.TryGet("kept", out var kept));
        Assert.True(lru.TryGet("replaced", out var replaced));
        Assert.True(lru.TryGet("new", out var added));
        Assert.Equal((1, 20, 30), (kept, replaced, added));
    }

    [Fact]
    public void Removing_by_value_removes_only_the_entry_that_still_holds_it()
    {
        var lru = new BoundedLru<string, object>(4);
        var first = new object();
        var second = new object();
        lru.Set("a", first);
        lru.Set("a", second);

        Assert.False(lru.Remove("a", first));
        Assert.True(lru.TryGet("a", out var kept));
        Assert.Same(second, kept);
        Assert.True(lru.Remove("a", second));
        Assert.Equal(0, lru.Count);
        Assert.False(lru.Remove("a"));
    }

    [Fact]
    public void Clear_empties_it_and_it_fills_again_to_its_capacity()
    {
        var lru = new BoundedLru<string, int>(2);
        lru.Set("a", 1);
        lru.Set("b", 2);

        lru.Clear();
        Assert.Equal(0, lru.Count);
        lru.Set("c", 3);
        lru.Set("d", 4);
        lru.Set("e", 5);

        Assert.Equal(["d", "e"], Present(lru, "a", "b", "c", "d", "e"));
    }

    [Fact]
    public async Task The_bound_holds_under_concurrent_writers_and_readers()
    {
        const int capacity = 64;
        var lru = new BoundedLru<int, int>(capacity);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var key = (worker * 1_000_000) + (i % 500);
                lru.Set(key, key);
                if (lru.TryGet(key - 1, out var value))
                {
                    Assert.Equal(key - 1, value);
                }

                if (i % 7 == 0)
                {
                    lru.Remove(key);
                }
            }
        })));

        Assert.InRange(lru.Count, 1, capacity);
        lru.Clear();
        for (var i = 0; i < capacity * 2; i++)
        {
            lru.Set(i, i);
        }

        Assert.Equal(capacity, lru.Count);
    }

    [Fact]
    public void A_capacity_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedLru<string, int>(0));
}
