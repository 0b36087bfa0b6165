using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// The one Redis of the default setup (membership, grain state and reminders) goes away and comes back.
/// </summary>
[Collection(FaultTests.Name)]
public class RedisOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task While_redis_is_down_active_tokens_validate_creation_is_refused_with_503_and_the_cluster_recovers_when_it_returns()
    {
        var redis = await TestServers.StartRedisAsync();
        await using var _ = redis;
        var system = new LocalSystem(TestServers.RedisConnection(redis)).WithCheapArgon2();
        await using var silo0 = system.StartSilo(0);
        await using var silo1 = system.StartSilo(1);
        await Task.WhenAll(silo0.WaitUntilOkAsync("/readyz"), silo1.WaitUntilOkAsync("/readyz"));
        await using var gateway = system.StartGateway(0);
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin = TokenApi.Admin(silo0);
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress };
        await admin.AddMemberAsync("redis-outage", "alice", "scans:read");
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < 20; i++)
        {
            tokens.Add(await admin.CreateTokenAsync("redis-outage", "alice"));
        }

        foreach (var token in tokens)
        {
            Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(token.TokenId, token.Secret));
        }

        await redis.InterruptAsync();

        // During the outage: validations of active tokens, a creation (storage is this Redis too), and a new gateway.
        var outage = Stopwatch.StartNew();
        var validated = 0;
        var failed = 0;
        await using var lateGateway = system.StartGateway(1);
        using var lateApi = new HttpClient { BaseAddress = lateGateway.BaseAddress };
        while (outage.Elapsed < TimeSpan.FromSeconds(20))
        {
            foreach (var token in tokens)
            {
                if (await api.CheckAsync(token.TokenId, token.Secret) == HttpStatusCode.OK)
                {
                    validated++;
                }
                else
                {
                    failed++;
                }
            }
        }

        var create = Stopwatch.StartNew();
        using var refused = await admin.PostAsJsonAsync("/admin/v1/orgs/redis-outage/tokens", new { userId = "alice" });
        create.Stop();
        var refusedCode = refused.StatusCode == HttpStatusCode.ServiceUnavailable
            ? (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString()
            : await refused.Content.ReadAsStringAsync();
        await lateGateway.WaitUntilOkAsync("/healthz");
        // Alive, but not ready: without membership it cannot find a silo, and a load balancer must not send it traffic.
        using var lateReady = await lateApi.GetAsync("/readyz");

        var outageDuration = outage.Elapsed;

        // Redis returns with its data (append-only file) on the same port.
        var back = await TestServers.StartRedisAsync(redis.Port, redis.DataDirectory);
        await using var __ = back;
        var recovery = Stopwatch.StartNew();
        await lateGateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(90));
        var lateGatewayReadyAfter = recovery.Elapsed;
        Assert.Equal(HttpStatusCode.OK, await lateApi.CheckAsync(tokens[0].TokenId, tokens[0].Secret));
        // Nothing half-created: the organization lists exactly the tokens from before, and creating works again.
        Assert.Equal(tokens.Select(t => t.TokenId).Order(), (await admin.ListTokenIdsAsync("redis-outage")).Order());
        var createdAfter = await admin.CreateTokenAsync("redis-outage", "alice");
        Assert.Equal(HttpStatusCode.OK, await lateApi.CheckAsync(createdAfter.TokenId, createdAfter.Secret));
        await using var newSilo = system.StartSilo(2);
        await newSilo.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(90));
        var newSiloReadyAfter = recovery.Elapsed;
        using var probe = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync(new Uri(silo0.BaseAddress, "/readyz"))).StatusCode);

        output.WriteLine($"redis down for {outageDuration.TotalSeconds:F1} s: {validated} validations of 20 active tokens succeeded, {failed} failed");
        output.WriteLine($"during the outage: token creation answered {(int)refused.StatusCode} {refusedCode} after {create.Elapsed.TotalSeconds:F1} s (state is in that Redis); a gateway started during the outage answered /readyz {(int)lateReady.StatusCode} (it cannot discover silos without membership)");
        output.WriteLine($"after redis returned: that gateway was ready in {lateGatewayReadyAfter.TotalSeconds:F1} s; the organization listed only the tokens from before; a new silo joined and was ready {newSiloReadyAfter.TotalSeconds:F1} s after redis returned");
        Assert.Equal(0, failed);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "storage_unavailable"), (refused.StatusCode, refusedCode));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, lateReady.StatusCode);
    }
}
