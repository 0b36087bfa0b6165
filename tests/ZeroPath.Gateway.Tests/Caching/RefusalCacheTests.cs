using Microsoft.Extensions.Time.Testing;
using ZeroPath.Gateway.Caching;
using ZeroPath.Testing;

namespace ZeroPath.Gateway.Tests.Caching;

public class RefusalCacheTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    private readonly FakeTimeProvider time = new(TestSettings.Epoch);
    private readonly EdgeCacheOptions options = new() { UnknownIdTtl = TimeSpan.FromMinutes(5), EndedIdTtl = TimeSpan.FromHours(1), MaxRefusedIds = 100 };

    [Fact]
    public void An_id_the_cluster_does_not_know_is_refused_for_the_unknown_id_ttl()
    {
        var refusals = new RefusalCache(options, time);
        var id = Guid.NewGuid();
        Assert.False(refusals.IsGone(id));

        refusals.RememberUnknown(id);

        Assert.True(refusals.IsGone(id));
        Assert.Null(refusals.LockedUntil(id));
        time.Advance(options.UnknownIdTtl - Tick);
        Assert.True(refusals.IsGone(id));
        time.Advance(Tick);
        Assert.False(refusals.IsGone(id));
        Assert.Equal(0, refusals.Count);
    }

    [Fact]
    public void A_token_with_a_zp_secret_refuses_old_format_secrets_for_the_unknown_id_ttl_without_hiding_an_end_or_a_lock()
    {
        var refusals = new RefusalCache(options, time);
        var id = Guid.NewGuid();

        refusals.RememberTaggedSecretOnly(id);

        Assert.True(refusals.RefusesLegacySecrets(id));
        Assert.False(refusals.IsGone(id));
        Assert.Null(refusals.LockedUntil(id));
        time.Advance(options.UnknownIdTtl);
        Assert.False(refusals.RefusesLegacySecrets(id));

        var ended = Guid.NewGuid();
        refusals.RememberEnded([ended]);
        refusals.RememberTaggedSecretOnly(ended);
        Assert.True(refusals.IsGone(ended));

        var locked = Guid.NewGuid();
        refusals.RememberLocked(locked, time.GetUtcNow().AddMinutes(1));
        refusals.RememberTaggedSecretOnly(locked);
        Assert.NotNull(refusals.LockedUntil(locked));
    }

    [Fact]
    public void Tokens_pushed_as_ended_are_refused_for_the_ended_id_ttl()
    {
        var refusals = new RefusalCache(options, time);
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid() };

        refusals.RememberEnded(ids);

        time.Advance(options.EndedIdTtl - Tick);
        Assert.All(ids, id => Assert.True(refusals.IsGone(id)));
        time.Advance(Tick);
        Assert.All(ids, id => Assert.False(refusals.IsGone(id)));
    }

    [Fact]
    public void A_locked_token_is_locked_until_the_time_the_cluster_gave_and_is_not_gone()
    {
        var refusals = new RefusalCache(options, time);
        var id = Guid.NewGuid();
        var until = time.GetUtcNow() + TimeSpan.FromMinutes(3);

        refusals.RememberLocked(id, until);

        Assert.Equal(until, refusals.LockedUntil(id));
        Assert.False(refusals.IsGone(id));
        time.Advance(TimeSpan.FromMinutes(3) - Tick);
        Assert.Equal(until, refusals.LockedUntil(id));
        time.Advance(Tick);
        Assert.Null(refusals.LockedUntil(id));
    }

    [Fact]
    public void A_lock_never_shortens_what_is_known_of_an_ended_token()
    {
        var refusals = new RefusalCache(options, time);
        var id = Guid.NewGuid();
        refusals.RememberEnded([id]);

        refusals.RememberLocked(id, time.GetUtcNow() + TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(refusals.IsGone(id));
        Assert.Null(refusals.LockedUntil(id));
    }

    [Fact]
    public void An_ended_push_replaces_a_lock()
    {
        var refusals = new RefusalCache(options, time);
        var id = Guid.NewGuid();
        refusals.RememberLocked(id, time.GetUtcNow() + TimeSpan.FromMinutes(5));

        refusals.RememberEnded([id]);

        Assert.True(refusals.IsGone(id));
        Assert.Null(refusals.LockedUntil(id));
    }

    [Fact]
    public void Past_max_refused_ids_the_least_recently_used_goes()
    {
        var refusals = new RefusalCache(new EdgeCacheOptions { MaxRefusedIds = 2 }, time);
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        refusals.RememberUnknown(a);
        refusals.RememberUnknown(b);
        Assert.True(refusals.IsGone(a));

        refusals.RememberUnknown(c);

        Assert.Equal(2, refusals.Count);
        Assert.False(refusals.IsGone(b));
        Assert.True(refusals.IsGone(a));
        Assert.True(refusals.IsGone(c));
    }
}
