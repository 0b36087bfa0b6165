using System.Collections.Concurrent;
using System.Net;
using Xunit.Abstractions;

namespace ZeroPath.EndToEnd.Tests;

[Collection(FaultTests.Name)]
public class ConcurrencyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Parallel_creates_and_deletes_on_one_organization_lose_nothing_and_orphan_nothing()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        await using var silo0 = system.StartSilo(0);
        await using var silo1 = system.StartSilo(1);
        await silo0.WaitUntilOkAsync("/readyz");
        await silo1.WaitUntilOkAsync("/readyz");
        await using var gateway = system.StartGateway(0);
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin0 = TokenApi.Admin(silo0);
        using var admin1 = TokenApi.Admin(silo1);
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress };
        var org = ZeroPath.Testing.TestSettings.UniqueId("concurrent");
        await admin0.AddMemberAsync(org, "alice", "scans:read");
        await admin0.AddMemberAsync(org, "bob", "scans:read");

        // 16 workers through both silos' admin APIs: each creates tokens and deletes every other one it created,
        // so creates and deletes of the same organization interleave.
        const int workers = 16;
        const int tokensPerWorker = 8;
        var created = new ConcurrentBag<IssuedToken>();
        var deleted = new ConcurrentBag<IssuedToken>();
        await Parallel.ForEachAsync(Enumerable.Range(0, workers), new ParallelOptions { MaxDegreeOfParallelism = workers }, async (worker, cancellationToken) =>
        {
            var admin = worker % 2 == 0 ? admin0 : admin1;
            for (var i = 0; i < tokensPerWorker; i++)
            {
                var token = await admin.CreateTokenAsync(org, worker % 3 == 0 ? "bob" : "alice");
                created.Add(token);
                if (i % 2 == 1)
                {
                    Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/v1/orgs/{org}/tokens/{token.TokenId}", cancellationToken)).StatusCode);
                    deleted.Add(token);
                }
            }
        });

        var listed = (await admin1.ListTokenIdsAsync(org)).ToHashSet();
        var expected = created.Select(t => t.TokenId).Except(deleted.Select(t => t.TokenId)).ToHashSet();
        Assert.Equal(workers * tokensPerWorker, created.Select(t => t.TokenId).Distinct().Count());
        Assert.Equal(expected.Order(), listed.Order());
        foreach (var token in created)
        {
            var status = await api.CheckAsync(token.TokenId, token.Secret);
            Assert.Equal(listed.Contains(token.TokenId) ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, status);
        }

        output.WriteLine($"{workers} workers on 2 silos: {created.Count} created, {deleted.Count} deleted concurrently; index lists {listed.Count} = created - deleted; all {listed.Count} listed validate, all {deleted.Count} deleted are rejected (no orphan validates)");
    }
}
