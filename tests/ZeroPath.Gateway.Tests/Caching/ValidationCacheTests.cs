using Microsoft.Extensions.Time.Testing;
using ZeroPath.Gateway.Caching;
using ZeroPath.Testing;

namespace ZeroPath.Gateway.Tests.Caching;

public class ValidationCacheTests
{
    private static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    private readonly FakeTimeProvider time = new(TestSettings.Epoch);

    private ValidationCache NewCache(int maxEntries = 100) =>
        new(new EdgeCacheOptions { MaxEntries = maxEntries, MaxStaleness = MaxStaleness, ConfirmEvery = TimeSpan.FromSeconds(1) }, time);

    private Cached NewToken(TimeSpan? lifetime = null)
    {
        var id = Guid.NewGuid();
        return new Cached(id, TestSettings.FormatKeys.NewSecret(id), new AuthenticatedToken(id, "org", "alice", ["scans:read"], time.GetUtcNow() + (lifetime ?? TimeSpan.FromDays(1))));
    }

    private static void Store(ValidationCache cache, Cached token, ValidationCache.Snapshot? before = null) =>
        cache.Store(token.Id, token.Secret, token.Identity, before ?? cache.Begin());

    private static CacheLookup Lookup(ValidationCache cache, Cached token) => cache.Lookup(token.Id, token.Secret, out _);

    [Fact]
    public void A_stored_validation_answers_the_same_secret_with_its_identity()
    {
        var cache = NewCache();
        var token = NewToken();
        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));

        Store(cache, token);

        Assert.Equal(CacheLookup.Hit, cache.Lookup(token.Id, token.Secret, out var identity));
        Assert.Same(token.Identity, identity);
    }

    [Fact]
    public void A_different_secret_for_a_cached_id_is_never_a_hit()
    {
        var cache = NewCache();
        var token = NewToken();
        var other = NewToken();
        Store(cache, token);
        Store(cache, other);

        foreach (var secret in new[] { TestSettings.FormatKeys.NewSecret(token.Id), other.Secret, TestSettings.LegacySecret(), token.Secret[..^1] })
        {
            Assert.Equal(CacheLookup.Miss, cache.Lookup(token.Id, secret, out var identity));
            Assert.Null(identity);
        }

        Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
    }

    [Fact]
    public void Expiry_is_checked_on_every_hit_and_an_expired_entry_goes()
    {
        var cache = NewCache();
        var token = NewToken(lifetime: TimeSpan.FromSeconds(3));
        Store(cache, token);

        time.Advance(TimeSpan.FromSeconds(3) - Tick);
        Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
        time.Advance(Tick);
        Assert.Equal(CacheLookup.Expired, Lookup(cache, token));

        Assert.Equal(0, cache.Count);
        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));
    }

    [Fact]
    public void A_wrong_secret_never_learns_that_a_cached_token_expired()
    {
        var cache = NewCache();
        var token = NewToken(lifetime: TimeSpan.FromSeconds(1));
        Store(cache, token);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(CacheLookup.Miss, cache.Lookup(token.Id, TestSettings.FormatKeys.NewSecret(token.Id), out _));
        Assert.Equal(CacheLookup.Expired, Lookup(cache, token));
    }

    [Fact]
    public void Without_confirmation_a_validation_is_trusted_for_max_staleness_only()
    {
        var cache = NewCache();
        var token = NewToken();
        Store(cache, token);

        time.Advance(MaxStaleness);
        Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
        time.Advance(Tick);
        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));
    }

    [Fact]
    public void Confirmations_keep_a_validation_trusted_past_max_staleness_and_trust_ends_when_they_stop()
    {
        var cache = NewCache();
        var token = NewToken();
        Store(cache, token);

        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(4));
            cache.Confirm(time.GetTimestamp());
            Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
        }

        time.Advance(MaxStaleness);
        Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
        time.Advance(Tick);
        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));
    }

    [Fact]
    public void Since_confirmed_is_unknown_until_the_first_confirmation_and_never_moves_back()
    {
        var cache = NewCache();
        Assert.Null(cache.SinceConfirmed());

        var early = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(3));
        cache.Confirm(time.GetTimestamp());
        time.Advance(TimeSpan.FromSeconds(2));
        cache.Confirm(early);

        Assert.Equal(TimeSpan.FromSeconds(2), cache.SinceConfirmed());
    }

    [Fact]
    public void Distrust_until_now_drops_every_cached_validation()
    {
        var cache = NewCache();
        var tokens = new[] { NewToken(), NewToken() };
        foreach (var token in tokens)
        {
            Store(cache, token);
        }

        cache.DistrustUntilNow();

        Assert.Equal(0, cache.Count);
        Assert.All(tokens, token => Assert.Equal(CacheLookup.Miss, Lookup(cache, token)));
    }

    [Fact]
    public void A_validation_started_before_a_distrust_is_never_trusted_and_one_started_after_is()
    {
        var cache = NewCache();
        var token = NewToken();
        var before = cache.Begin();
        time.Advance(Tick);

        cache.DistrustUntilNow();
        Store(cache, token, before);

        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));
        Store(cache, token);
        Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
    }

    [Fact]
    public void Storing_a_validation_after_its_token_was_pushed_as_ended_leaves_no_entry()
    {
        var cache = NewCache();
        var token = NewToken();
        var before = cache.Begin();

        // The push lands while the grain call is under way; the grain's answer may predate it.
        cache.Forget([token.Id]);
        Store(cache, token, before);

        Assert.Equal(0, cache.Count);
        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));
    }

    [Fact]
    public void An_event_for_any_token_during_the_grain_call_keeps_the_answer_out_of_the_cache()
    {
        var cache = NewCache();
        var token = NewToken();
        var before = cache.Begin();

        cache.Forget([Guid.NewGuid()]);
        Store(cache, token, before);

        Assert.Equal(0, cache.Count);
        Store(cache, token);
        Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
    }

    [Fact]
    public void A_cached_zp_secret_shows_an_old_format_secret_cannot_be_the_tokens()
    {
        var cache = NewCache();
        var token = NewToken();
        var legacyId = Guid.NewGuid();
        Store(cache, token);
        cache.Store(legacyId, TestSettings.LegacySecret(), new AuthenticatedToken(legacyId, "org", "alice", [], time.GetUtcNow().AddDays(1)), cache.Begin());

        Assert.True(cache.HasTaggedSecret(token.Id));
        Assert.False(cache.HasTaggedSecret(legacyId));
        Assert.False(cache.HasTaggedSecret(Guid.NewGuid()));
    }

    [Fact]
    public void A_pushed_change_drops_only_the_named_tokens()
    {
        var cache = NewCache();
        var token = NewToken();
        var other = NewToken();
        Store(cache, token);
        Store(cache, other);

        cache.Forget([token.Id]);

        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));
        Assert.Equal(CacheLookup.Hit, Lookup(cache, other));
    }

    [Fact]
    public void However_healthy_the_push_channel_a_validation_is_rechecked_after_max_age()
    {
        var cache = new ValidationCache(new EdgeCacheOptions { MaxStaleness = MaxStaleness, ConfirmEvery = TimeSpan.FromSeconds(1), MaxAge = TimeSpan.FromMinutes(5) }, time);
        var token = NewToken();
        Store(cache, token);

        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromMinutes(5); elapsed += TimeSpan.FromSeconds(1))
        {
            cache.Confirm(time.GetTimestamp());
            Assert.Equal(CacheLookup.Hit, Lookup(cache, token));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        cache.Confirm(time.GetTimestamp());
        time.Advance(Tick);
        Assert.Equal(CacheLookup.Miss, Lookup(cache, token));
    }

    [Fact]
    public void Past_max_entries_the_least_recently_used_validation_goes()
    {
        var cache = NewCache(maxEntries: 2);
        var (a, b, c) = (NewToken(), NewToken(), NewToken());
        Store(cache, a);
        Store(cache, b);
        Assert.Equal(CacheLookup.Hit, Lookup(cache, a));

        Store(cache, c);

        Assert.Equal(2, cache.Count);
        Assert.Equal(CacheLookup.Miss, Lookup(cache, b));
        Assert.Equal(CacheLookup.Hit, Lookup(cache, a));
        Assert.Equal(CacheLookup.Hit, Lookup(cache, c));
    }

    [Fact]
    public void The_enabled_setting_is_what_the_cache_reports()
    {
        Assert.True(NewCache().Enabled);
        Assert.False(new ValidationCache(new EdgeCacheOptions { Enabled = false }, time).Enabled);
    }

    private sealed record Cached(Guid Id, string Secret, AuthenticatedToken Identity);
}
