using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Usage;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Usage;

/// <summary>The recorder alone, with a grain factory that only takes usage reports: what a flush sends, and when.</summary>
public class TokenUseRecorderTests
{
    private readonly FakeTimeProvider clock = new(TestSettings.Epoch.AddSeconds(10));
    private readonly ReportingGrains grains = ReportingGrains.Create();

    private TokenUseRecorder Recorder(bool enabled = true) =>
        new(new LastUseOptions { Enabled = enabled }, (IGrainFactory)(object)grains, clock, NullLogger<TokenUseRecorder>.Instance);

    private static AuthenticatedToken Identity(string org, long? sequence) =>
        new(Guid.NewGuid(), org, "alice", ["scans:read"], TestSettings.Epoch.AddDays(30), indexSequence: sequence);

    [Fact]
    public async Task A_flush_sends_one_report_per_usage_shard_with_each_tokens_minute_and_address()
    {
        var recorder = Recorder();
        var client = IPAddress.Parse("192.0.2.7");
        var inShard0 = new[] { Identity("org-a", 0), Identity("org-a", 5), Identity("org-a", 255) };
        var inShard1 = Identity("org-a", 256);
        var otherOrg = new[] { Identity("org-b", 0), Identity("org-b", 1) };
        foreach (var identity in inShard0.Append(inShard1).Concat(otherOrg))
        {
            recorder.Record(identity, client);
            recorder.Record(identity, client);
        }

        Assert.Equal(0, await recorder.FlushAsync());

        var reports = grains.Reports.ToDictionary(r => r.Key, r => r.Uses);
        Assert.Equal(["org-a/0", "org-a/1", "org-b/0"], reports.Keys.Order());
        Assert.Equal(inShard0.Select(i => i.Id).Order(), reports["org-a/0"].Select(u => u.TokenId).Order());
        Assert.Equal(new TokenUse(256, inShard1.Id, new TokenLastUse(TestSettings.Epoch, "192.0.2.7")), Assert.Single(reports["org-a/1"]));
        Assert.Equal(2, reports["org-b/0"].Length);
        Assert.Equal(0, recorder.PendingCount);
    }

    [Fact]
    public async Task The_same_token_in_the_same_minute_from_the_same_address_is_recorded_once()
    {
        var recorder = Recorder();
        var identity = Identity("org", 3);
        var client = IPAddress.Parse("192.0.2.7");
        recorder.Record(identity, client);
        await recorder.FlushAsync();

        clock.Advance(TimeSpan.FromSeconds(40));
        recorder.Record(identity, IPAddress.Parse("192.0.2.7"));
        Assert.Equal(0, recorder.PendingCount);

        recorder.Record(identity, IPAddress.Parse("192.0.2.8"));
        Assert.Equal(1, recorder.PendingCount);
        await recorder.FlushAsync();

        clock.Advance(TimeSpan.FromSeconds(20));
        recorder.Record(identity, IPAddress.Parse("192.0.2.8"));
        await recorder.FlushAsync();

        Assert.Equal(
            [(TestSettings.Epoch, "192.0.2.7"), (TestSettings.Epoch, "192.0.2.8"), (TestSettings.Epoch.AddMinutes(1), "192.0.2.8")],
            grains.Reports.Select(r => (Assert.Single(r.Uses).Use.At, Assert.Single(r.Uses).Use.From!)));
    }

    [Fact]
    public async Task Uses_a_shard_did_not_take_are_sent_again_with_the_next_flush()
    {
        var recorder = Recorder();
        var identity = Identity("org", 1);
        recorder.Record(identity, null);
        grains.FailNext = true;

        Assert.Equal(1, await recorder.FlushAsync());
        Assert.Equal(1, recorder.PendingCount);
        Assert.Equal(0, await recorder.FlushAsync());

        var report = Assert.Single(grains.Reports);
        Assert.Equal(new TokenUse(1, identity.Id, new TokenLastUse(TestSettings.Epoch, null)), Assert.Single(report.Uses));
    }

    [Fact]
    public async Task A_graceful_stop_sends_what_is_still_waiting()
    {
        var recorder = Recorder();
        var identity = Identity("org", 9);
        await recorder.StartAsync(CancellationToken.None);
        recorder.Record(identity, IPAddress.Parse("192.0.2.7"));

        await recorder.StopAsync(CancellationToken.None);

        Assert.Equal(identity.Id, Assert.Single(Assert.Single(grains.Reports).Uses).TokenId);
        recorder.Dispose();
    }

    [Fact]
    public async Task Nothing_is_recorded_when_disabled_or_for_a_validation_from_a_silo_that_did_not_give_the_tokens_place()
    {
        var off = Recorder(enabled: false);
        off.Record(Identity("org", 1), null);
        var on = Recorder();
        on.Record(Identity("org", null), null);

        await off.FlushAsync();
        await on.FlushAsync();
        Assert.Equal((0, 0), (off.PendingCount, on.PendingCount));
        Assert.Empty(grains.Reports);
    }
}

/// <summary>
/// An <see cref="IGrainFactory"/> that hands out usage shards which only record what they are sent
/// (or, once, fail). Anything else asked of it fails the test.
/// </summary>
public class ReportingGrains : DispatchProxy
{
    public ConcurrentQueue<(string Key, ImmutableArray<TokenUse> Uses)> Reports { get; } = new();

    public bool FailNext { get; set; }

    public static ReportingGrains Create()
    {
        var factory = DispatchProxy.Create<IGrainFactory, ReportingGrains>();
        return (ReportingGrains)(object)factory;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true }
            && targetMethod.GetGenericArguments()[0] == typeof(ITokenUsageShardGrain) && args?[0] is string key)
        {
            var shard = DispatchProxy.Create<ITokenUsageShardGrain, ReportingShard>();
            ((ReportingShard)(object)shard).Attach(this, key);
            return shard;
        }

        throw new InvalidOperationException($"Not expected of the gateway's use recorder: {targetMethod}");
    }
}

public class ReportingShard : DispatchProxy
{
    private ReportingGrains grains = null!;
    private string key = "";

    public void Attach(ReportingGrains owner, string shardKey) => (grains, key) = (owner, shardKey);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod?.Name != nameof(ITokenUsageShardGrain.Record))
        {
            throw new InvalidOperationException($"A gateway only records uses, not {targetMethod}.");
        }

        if (grains.FailNext)
        {
            grains.FailNext = false;
            return Task.FromException(new TimeoutException("shard unreachable"));
        }

        grains.Reports.Enqueue((key, (ImmutableArray<TokenUse>)args![0]!));
        return Task.CompletedTask;
    }
}

/// <summary>A real gateway and silo: uses decided from the cache are recorded too, and reach the token's usage shard.</summary>
public class GatewayLastUseTests(EdgeFixture fixture) : IClassFixture<EdgeFixture>
{
    private TokenUseRecorder Recorder => fixture.Gateway.Services.GetRequiredService<TokenUseRecorder>();

    private static async Task<TokenLastUse?> StoredUseAsync(IOrganizationGrain org, Guid tokenId)
    {
        var page = await org.ListTokensWithUse(null, 10, null);
        return page.Items.Single(t => t.TokenId == tokenId).LastUse;
    }

    [Fact]
    public async Task A_cached_validation_records_the_use_and_the_flush_puts_it_in_the_tokens_usage_shard()
    {
        var (org, token) = await fixture.IssueAsync();
        var authenticator = fixture.Gateway.Services.GetRequiredService<TokenAuthenticator>();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync("/auth/check", token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        await Recorder.FlushAsync();
        var first = fixture.Silo.Clock.GetUtcNow();
        Assert.Equal(TokenUsageLayout.Minute(first), (await StoredUseAsync(org, token.TokenId))?.At);

        // A minute later, from the cache (Envoy's gRPC path gives the address), with no grain call.
        fixture.Silo.Clock.Advance(TimeSpan.FromMinutes(1));
        var headers = new HeaderDictionary
        {
            ["X-ZeroPath-API-Token-Id"] = token.TokenId.ToString(),
            ["X-ZeroPath-API-Token-Secret"] = token.Secret,
        };
        await probe.ExpectAsync("/auth/check", token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        var decision = await authenticator.AuthenticateAsync(headers, IPAddress.Parse("198.51.100.23"), CancellationToken.None);
        Assert.True(decision.Succeeded);
        await Recorder.FlushAsync();

        Assert.Equal(new TokenLastUse(TokenUsageLayout.Minute(first.AddMinutes(1)), "198.51.100.23"), await StoredUseAsync(org, token.TokenId));
    }

    [Fact]
    public async Task A_request_over_the_tokens_rate_limit_is_not_a_use()
    {
        var org = fixture.Silo.Grains.GetGrain<IOrganizationGrain>(ZeroPath.Testing.TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var token = (await org.CreateToken(new CreateTokenCommand("alice", null, 30, RateLimit: new TokenRateLimit(0.01, 1)))).Token!;
        var authenticator = fixture.Gateway.Services.GetRequiredService<TokenAuthenticator>();
        var headers = new HeaderDictionary
        {
            ["X-ZeroPath-API-Token-Id"] = token.TokenId.ToString(),
            ["X-ZeroPath-API-Token-Secret"] = token.Secret,
        };
        Assert.True((await authenticator.AuthenticateAsync(headers, IPAddress.Parse("198.51.100.30"), CancellationToken.None)).Succeeded);
        var first = fixture.Silo.Clock.GetUtcNow();

        // A minute later, from another address: one request every 100 s, so this one is refused.
        fixture.Silo.Clock.Advance(TimeSpan.FromMinutes(1));
        var refused = await authenticator.AuthenticateAsync(headers, IPAddress.Parse("198.51.100.31"), CancellationToken.None);
        await Recorder.FlushAsync();

        Assert.Equal(AuthFailure.RateLimited, refused.Failure);
        Assert.Equal(new TokenLastUse(TokenUsageLayout.Minute(first), "198.51.100.30"), await StoredUseAsync(org, token.TokenId));
    }

    [Fact]
    public async Task A_refused_request_records_nothing()
    {
        var (org, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);

        await probe.ExpectAsync("/auth/check", token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.Unauthorized, "invalid_token", "cluster");
        await Recorder.FlushAsync();

        Assert.Null(await StoredUseAsync(org, token.TokenId));
    }
}
