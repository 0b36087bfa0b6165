using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using ZeroPath.Gateway.Events;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests;

public sealed class TwoGatewaysFixture : IAsyncLifetime
{
    public TestSilo Silo { get; private set; } = null!;
    public EchoUpstream Upstream { get; private set; } = null!;
    public GatewayFactory[] Gateways { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync();
        Upstream = await EchoUpstream.StartAsync("v1");
        Gateways = [.. Enumerable.Range(0, 2).Select(_ => GatewayFactory.For(Silo, Upstream.Address, Upstream.Address))];
        foreach (var gateway in Gateways)
        {
            gateway.CreateClient().Dispose();
            await gateway.Services.GetRequiredService<TokenEventFeed>().Subscribed.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in Gateways)
        {
            await gateway.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        await Silo.DisposeAsync();
    }
}

public class RevocationPushTests(TwoGatewaysFixture fixture, ITestOutputHelper output) : IClassFixture<TwoGatewaysFixture>
{
    [Fact]
    public async Task Every_gateway_is_told_of_a_revocation_by_push_and_rejects_the_token()
    {
        var org = fixture.Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        const int revocations = 50;
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < revocations; i++)
        {
            tokens.Add((await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!);
        }

        var arrivals = new ConcurrentDictionary<(int Gateway, Guid Token), long>();
        var waiting = new ConcurrentDictionary<(int Gateway, Guid Token), TaskCompletionSource>();
        for (var g = 0; g < fixture.Gateways.Length; g++)
        {
            var gateway = g;
            fixture.Gateways[g].Services.GetRequiredService<TokenEventFeed>().TokenEnded += id =>
            {
                arrivals.TryAdd((gateway, id), Stopwatch.GetTimestamp());
                waiting.GetOrAdd((gateway, id), _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            };
        }

        var afterReturn = new List<double>();
        foreach (var token in tokens)
        {
            await fixture.Silo.Grains.RevokeTokenAsync(token.TokenId, "propagation test");
            var returned = Stopwatch.GetTimestamp();
            for (var g = 0; g < fixture.Gateways.Length; g++)
            {
                await waiting.GetOrAdd((g, token.TokenId), _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(5));
                // Negative: the push arrived before the admin call had returned.
                afterReturn.Add(Stopwatch.GetElapsedTime(returned, arrivals[(g, token.TokenId)]).TotalMilliseconds);
            }
        }

        foreach (var gateway in fixture.Gateways)
        {
            using var client = gateway.CreateClient();
            var request = GatewayFixture.Request(HttpMethod.Get, "/auth/check", tokens[0].TokenId, tokens[0].Secret);
            await GatewayProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized, "invalid_token");
        }

        var sorted = afterReturn.Select(ms => Math.Max(0, ms)).Order().ToArray();
        output.WriteLine(
            $"{revocations} revocations x {fixture.Gateways.Length} gateways: every gateway told by push; from the revoke call returning to the " +
            $"gateway holding the event: p50 {sorted[sorted.Length / 2]:F2} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F2} ms, max {sorted[^1]:F2} ms " +
            $"({afterReturn.Count(ms => ms <= 0)} of {afterReturn.Count} arrived before the call returned)");
        Assert.Equal(revocations * fixture.Gateways.Length, arrivals.Count);
    }

    [Fact]
    public async Task Deletes_member_removals_and_organization_revocations_are_pushed_too()
    {
        var org = fixture.Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var deleted = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var removed = (await org.CreateToken(new CreateTokenCommand("bob", null, 30))).Token!;
        var revoked = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;

        await org.DeleteToken(deleted.TokenId);
        await org.RemoveMember("bob");
        await org.RevokeAll("incident");

        foreach (var gateway in fixture.Gateways)
        {
            var feed = gateway.Services.GetRequiredService<TokenEventFeed>();
            await WaitUntilAsync(() => feed.HasEnded(deleted.TokenId) && feed.HasEnded(removed.TokenId) && feed.HasEnded(revoked.TokenId));
        }
    }

    /// <summary>One-way pushes have no reply to await; bounded wait on the observable effect.</summary>
    private static Task WaitUntilAsync(Func<bool> condition) =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(5), "the push", TimeSpan.FromMilliseconds(10));
}
