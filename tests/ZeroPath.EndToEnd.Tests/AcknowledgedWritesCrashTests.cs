using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// The embedded default as <c>./run.sh</c> runs it (grain state, reminders and membership in one password-protected
/// redis-server, append-only file fsynced before every reply), killed as a power cut or an OOM kill of the whole machine
/// would: kill -9 of both silos, the gateway and redis-server at once, right after the last acknowledged answer.
/// Everything acknowledged must be there afterwards, a deleted token above all.
/// </summary>
[Collection(FaultTests.Name)]
public class AcknowledgedWritesCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task After_kill_9_of_silos_gateway_and_redis_together_every_acknowledged_create_and_delete_is_there()
    {
        var elapsed = Stopwatch.StartNew();
        var password = TestSettings.UniqueId("redis-password");
        var redis = await TestServers.StartRedisAsync(password: password);
        await using var _ = redis;
        var system = new LocalSystem(TestServers.RedisConnection(redis)) { RedisPassword = password }.WithCheapArgon2();
        var org = TestSettings.UniqueId("crash");
        var created = new List<IssuedToken>();
        var deleted = new List<IssuedToken>();
        var outputs = new List<Func<string>>();

        await using (var silo0 = system.StartSilo(0))
        await using (var silo1 = system.StartSilo(1))
        {
            await Task.WhenAll(silo0.WaitUntilOkAsync("/readyz"), silo1.WaitUntilOkAsync("/readyz"));
            await using var gateway = system.StartGateway(0);
            await gateway.WaitUntilOkAsync("/readyz");
            outputs.AddRange([() => silo0.Output, () => silo1.Output, () => gateway.Output]);
            // Both silos take admin calls, so the organization and tokens live on either.
            using var admin0 = TokenApi.Admin(silo0);
            using var admin1 = TokenApi.Admin(silo1);
            await admin0.AddMemberAsync(org, "alice", "scans:read");

            // 21 creates; after every third, the token created just before it is deleted: 7 deletes, the last call.
            for (var i = 0; i < 21; i++)
            {
                var admin = i % 2 == 0 ? admin0 : admin1;
                created.Add(await admin.CreateTokenAsync(org, "alice"));
                if (i % 3 == 2)
                {
                    var victim = created[^2];
                    using var response = await admin.DeleteAsync(new Uri($"/admin/v1/orgs/{org}/tokens/{victim.TokenId}", UriKind.Relative));
                    Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                    deleted.Add(victim);
                }
            }

            // No grace period: the last answer is in, everything dies together.
            await Task.WhenAll(redis.StopAsync(), silo0.KillAsync(), silo1.KillAsync(), gateway.KillAsync());
        }

        var crashedAt = elapsed.Elapsed;
        await using var redisAgain = await TestServers.StartRedisAsync(redis.Port, redis.DataDirectory, password: password);
        await using var silo0Again = system.StartSilo(0);
        await using var silo1Again = system.StartSilo(1);
        await Task.WhenAll(silo0Again.WaitUntilOkAsync("/readyz", TimeSpan.FromMinutes(2)), silo1Again.WaitUntilOkAsync("/readyz", TimeSpan.FromMinutes(2)));
        await using var gatewayAgain = system.StartGateway(0);
        await gatewayAgain.WaitUntilOkAsync("/readyz", TimeSpan.FromMinutes(2));
        outputs.AddRange([() => silo0Again.Output, () => silo1Again.Output, () => gatewayAgain.Output]);
        using var adminAgain = TokenApi.Admin(silo1Again);
        using var api = new HttpClient { BaseAddress = gatewayAgain.BaseAddress };

        var live = created.Except(deleted).ToList();
        var liveValid = 0;
        foreach (var token in live)
        {
            liveValid += await api.CheckAsync(token.TokenId, token.Secret) == HttpStatusCode.OK ? 1 : 0;
        }

        var deletedRefused = 0;
        foreach (var token in deleted)
        {
            deletedRefused += await api.CheckAsync(token.TokenId, token.Secret) == HttpStatusCode.Unauthorized ? 1 : 0;
        }

        // Listing activates the organization, which hands any event it stored but had not handed over to the trail.
        var listed = (await adminAgain.ListTokenIdsAsync(org)).Select(Guid.Parse).Order().ToArray();
        var audit = await adminAgain.AuditEventsAsync(org);
        var auditedCreates = audit.Where(e => e.Action == "token.created").Select(e => Guid.Parse(e.TokenId!)).ToHashSet();
        var auditedDeletes = audit.Where(e => e.Action == "token.deleted").Select(e => Guid.Parse(e.TokenId!)).ToHashSet();

        output.WriteLine(
            $"acknowledged: {created.Count} creates, {deleted.Count} deletes (the last call); kill -9 of 2 silos, the gateway and " +
            $"redis-server {crashedAt.TotalSeconds:F1} s into the test; after the restart: {liveValid} of {live.Count} live tokens validate, " +
            $"{deletedRefused} of {deleted.Count} deleted tokens refused, {listed.Length} listed, audit trail: {auditedCreates.Count} creates " +
            $"and {auditedDeletes.Count} deletes of these tokens; whole test {elapsed.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(live.Count, liveValid);
        Assert.Equal(deleted.Count, deletedRefused);
        Assert.Equal(live.Select(t => Guid.Parse(t.TokenId)).Order(), listed);
        Assert.Superset(created.Select(t => Guid.Parse(t.TokenId)).ToHashSet(), auditedCreates);
        Assert.Superset(deleted.Select(t => Guid.Parse(t.TokenId)).ToHashSet(), auditedDeletes);
        Assert.Equal(created.Count + deleted.Count, audit.Count(e => e.Action is "token.created" or "token.deleted"));
        // Neither the storage's password nor a secret in any process's output (ZeroPath logs at Trace here).
        Assert.All(outputs, o => Assert.DoesNotContain(password, o(), StringComparison.Ordinal));
        Assert.All(outputs, o => Assert.All(created, t => Assert.DoesNotContain(t.Secret, o(), StringComparison.Ordinal)));
    }
}
