using System.Net;
using Xunit.Abstractions;

namespace ZeroPath.EndToEnd.Tests;

[Collection(FaultTests.Name)]
public class WholeClusterRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task After_kill_9_of_every_process_tokens_validate_deleted_ones_stay_dead_and_lists_are_unchanged()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        const int tokensPerOrg = 15;
        string[] orgs = ["restart-a", "restart-b", "restart-c"];
        var kept = new List<IssuedToken>();
        var deleted = new List<IssuedToken>();
        var listsBefore = new Dictionary<string, string[]>();

        await using (var upstream = system.StartUpstream())
        await using (var silo0 = system.StartSilo(0))
        await using (var silo1 = system.StartSilo(1))
        {
            await silo0.WaitUntilOkAsync("/readyz");
            await silo1.WaitUntilOkAsync("/readyz");
            await using var gateway = system.StartGateway(0);
            await gateway.WaitUntilOkAsync("/readyz");
            using var admin = TokenApi.Admin(silo0);
            using var api = new HttpClient { BaseAddress = gateway.BaseAddress };

            foreach (var org in orgs)
            {
                await admin.AddMemberAsync(org, "alice", "scans:read");
                for (var i = 0; i < tokensPerOrg; i++)
                {
                    var token = await admin.CreateTokenAsync(org, "alice");
                    // Every third token is deleted: a third of N.
                    if (i % 3 == 0)
                    {
                        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/v1/orgs/{org}/tokens/{token.TokenId}")).StatusCode);
                        deleted.Add(token);
                    }
                    else
                    {
                        kept.Add(token);
                    }
                }

                listsBefore[org] = [.. (await admin.ListTokenIdsAsync(org)).Order()];
            }

            Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(kept[0].TokenId, kept[0].Secret));

            // kill -9 everything at once: no graceful shutdown, no deactivation, no goodbye to membership.
            await Task.WhenAll(gateway.KillAsync(), silo0.KillAsync(), silo1.KillAsync(), upstream.KillAsync());
        }

        var restart = System.Diagnostics.Stopwatch.StartNew();
        await using var silo0Again = system.StartSilo(0);
        await using var silo1Again = system.StartSilo(1);
        await silo0Again.WaitUntilOkAsync("/readyz", TimeSpan.FromMinutes(3));
        await silo1Again.WaitUntilOkAsync("/readyz", TimeSpan.FromMinutes(3));
        await using var gatewayAgain = system.StartGateway(0);
        await gatewayAgain.WaitUntilOkAsync("/readyz", TimeSpan.FromMinutes(3));
        output.WriteLine($"cluster ready again {restart.Elapsed.TotalSeconds:F1} s after the restart began (same cluster id)");
        using var adminAgain = TokenApi.Admin(silo1Again);
        using var apiAgain = new HttpClient { BaseAddress = gatewayAgain.BaseAddress };

        var keptOk = 0;
        foreach (var token in kept)
        {
            Assert.Equal(HttpStatusCode.OK, await apiAgain.CheckAsync(token.TokenId, token.Secret));
            keptOk++;
        }

        var deletedRejected = 0;
        foreach (var token in deleted)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await apiAgain.CheckAsync(token.TokenId, token.Secret));
            deletedRejected++;
        }

        foreach (var org in orgs)
        {
            Assert.Equal(listsBefore[org], (await adminAgain.ListTokenIdsAsync(org)).Order());
        }

        output.WriteLine($"tokens created {kept.Count + deleted.Count}, deleted {deleted.Count}; after restart: {keptOk} of {kept.Count} kept tokens validate, {deletedRejected} of {deleted.Count} deleted tokens rejected, {orgs.Length} org lists identical");
    }
}
