using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace ZeroPath.EndToEnd.Tests;

[Collection(FaultTests.Name)]
public partial class RevocationCrashTests(ITestOutputHelper output)
{
    private const int TokenCount = 2000;

    [Fact]
    public async Task Kill_9_of_the_organizations_silo_mid_fan_out_no_revoked_token_validates_and_the_revocation_completes()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        var org = $"crash-{Guid.NewGuid():N}"[..20];
        ProductProcess[] silos = [system.StartSilo(0), system.StartSilo(1)];
        await using var silo0 = silos[0];
        await using var silo1 = silos[1];
        await Task.WhenAll(silo0.WaitUntilOkAsync("/readyz"), silo1.WaitUntilOkAsync("/readyz"));
        using var admin0 = TokenApi.Admin(silo0);
        using var admin1 = TokenApi.Admin(silo1);

        await admin0.AddMemberAsync(org, "alice", "scans:read");
        var issuing = Stopwatch.StartNew();
        var tokens = new List<IssuedToken>(TokenCount);
        for (var i = 0; i < TokenCount; i++)
        {
            tokens.Add(await admin0.CreateTokenAsync(org, "alice"));
        }

        output.WriteLine($"issued {TokenCount} tokens in one organization in {issuing.Elapsed.TotalSeconds:F1} s");

        // Revoke, and kill -9 whichever silo runs the organization once its fan-out is under way.
        var revoking = Stopwatch.StartNew();
        var revoke = RevokeAsync(admin0, org);
        var (orgSilo, endedAtKill) = await WaitForFanOutUnderWayAsync(silos, org, revoke);
        await silos[orgSilo].KillAsync();
        output.WriteLine($"killed silo-{orgSilo} (runs the organization) {revoking.Elapsed.TotalSeconds:F1} s after the revoke call, with {endedAtKill} of {TokenCount} tokens ended in the logs");
        var survivor = silos[1 - orgSilo];
        var surviving = orgSilo == 0 ? admin1 : admin0;

        var revokeStatus = await revoke;
        Assert.NotEqual(HttpStatusCode.OK, revokeStatus);
        output.WriteLine($"the interrupted revoke call answered: {(revokeStatus == 0 ? "connection lost" : revokeStatus.ToString())}");

        // A gateway started now never got the push of the ended ids, so it asks the token grains (the lapsed-subscription
        // case): every token must be refused while the revocation is still unfinished.
        await using var gateway = system.StartGateway(0);
        await gateway.WaitUntilOkAsync("/readyz");
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var meanwhile = Stopwatch.StartNew();
        var refused = 0;
        var unavailable = 0;
        await Parallel.ForEachAsync(tokens, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (token, _) =>
        {
            var status = await api.CheckAsync(token.TokenId, token.Secret);
            Assert.NotEqual(HttpStatusCode.OK, status);
            Interlocked.Increment(ref status == HttpStatusCode.Unauthorized ? ref refused : ref unavailable);
        });
        output.WriteLine($"meanwhile, through a gateway that missed the push: {TokenCount} checks in {meanwhile.Elapsed.TotalSeconds:F1} s, 0 accepted, {refused} refused (401), {unavailable} unavailable (503, the dead silo not yet declared)");

        // Which tokens the fan-out had not reached: revoked by the raised marks alone (no revokedAt yet).
        var markedOnly = 0;
        foreach (var token in tokens)
        {
            var details = await DescribeAsync(surviving, token.TokenId);
            Assert.Equal("revoked", details.GetProperty("status").GetString());
            markedOnly += details.GetProperty("revokedAt").ValueKind == JsonValueKind.Null ? 1 : 0;
        }

        output.WriteLine($"before the revocation resumed: {markedOnly} of {TokenCount} tokens not yet reached by the fan-out, all refused");
        Assert.True(markedOnly > 0, "the fan-out finished before the kill, so this run did not test an interrupted one");

        // Restart the killed silo as an orchestrator would; nobody calls the organization: its resume reminder finishes it.
        await using var restarted = system.StartSilo(orgSilo);
        var resumed = Stopwatch.StartNew();
        var deadline = TimeSpan.FromMinutes(3);
        while (true)
        {
            var unreached = 0;
            foreach (var token in tokens.Where((_, i) => i % 50 == 0))
            {
                unreached += (await DescribeAsync(surviving, token.TokenId)).GetProperty("revokedAt").ValueKind == JsonValueKind.Null ? 1 : 0;
            }

            if (unreached == 0)
            {
                break;
            }

            Assert.True(resumed.Elapsed < deadline, $"the revocation was not resumed within {deadline}:\n{survivor.Output}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        output.WriteLine($"the resume reminder finished the revocation {resumed.Elapsed.TotalSeconds:F1} s after the restart began");
        foreach (var token in tokens)
        {
            var details = await DescribeAsync(surviving, token.TokenId);
            Assert.Equal(("revoked", "incident 99"), (details.GetProperty("status").GetString(), details.GetProperty("reason").GetString()));
            Assert.NotEqual(JsonValueKind.Null, details.GetProperty("revokedAt").ValueKind);
        }

        Assert.Empty(await surviving.ListTokenIdsAsync(org));
        Assert.Matches(ResumedLog(), survivor.Output + restarted.Output);
        var fresh = await surviving.CreateTokenAsync(org, "alice");
        Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(fresh.TokenId, fresh.Secret));
    }

    private static async Task<HttpStatusCode> RevokeAsync(HttpClient admin, string org)
    {
        try
        {
            using var response = await admin.PostAsJsonAsync($"/admin/v1/orgs/{org}/revoke", new { reason = "incident 99" });
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    /// <summary>Waits for the "Revoking" line in one silo's log and then for a tenth of the tokens to be ended.</summary>
    private static async Task<(int Silo, int Ended)> WaitForFanOutUnderWayAsync(ProductProcess[] silos, string org, Task<HttpStatusCode> revoke)
    {
        var started = $"Revoking {TokenCount} tokens of organization {org} (resumed: False)";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(revoke.IsCompleted, $"the revocation completed before the kill ({(revoke.IsCompleted ? revoke.Result : 0)})");
            var orgSilo = Array.FindIndex(silos, s => s.Output.Contains(started, StringComparison.Ordinal));
            var ended = silos.Sum(s => Regex.Count(s.Output, $"of organization {org} ended: Revoked"));
            if (orgSilo >= 0 && ended >= TokenCount / 10)
            {
                return (orgSilo, ended);
            }

            await Task.Delay(10);
        }

        Assert.Fail("the fan-out did not get under way");
        return default;
    }

    private static async Task<JsonElement> DescribeAsync(HttpClient admin, string tokenId)
    {
        // The dead silo's activations answer 503 until it is declared dead; retry those, bounded.
        for (var attempt = 0; ; attempt++)
        {
            using var response = await admin.GetAsync($"/admin/v1/tokens/{tokenId}");
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 60)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }

            await Task.Delay(500);
        }
    }

    [GeneratedRegex(@"Revoking \d+ tokens of organization \S+ \(resumed: True\)")]
    private static partial Regex ResumedLog();
}
