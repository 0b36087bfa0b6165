using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// A bulk revocation answers once no covered token validates; its fan-out (ending each token, recording each event,
/// emptying the index) then runs in the background. Kill -9 the organization's silo in the middle of it: nothing may
/// validate meanwhile, and the fan-out must resume and finish by itself. Judged only by what operators and clients see:
/// the audit trail, token status and list through the admin API, and validation through a gateway.
/// </summary>
[Collection(FaultTests.Name)]
public class RevocationCrashTests(ITestOutputHelper output)
{
    private const int TokenCount = 2000;
    private const string Reason = "incident 99";

    [Fact]
    public async Task Kill_9_of_the_organizations_silo_mid_fan_out_no_revoked_token_validates_and_the_fan_out_resumes_and_finishes()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        var org = $"crash-{Guid.NewGuid():N}"[..20];

        // The organization (and its tokens) activate on silo-0 while it is the only silo, so silo-0 runs the fan-out.
        await using var silo0 = system.StartSilo(0);
        await silo0.WaitUntilOkAsync("/readyz");
        using var admin0 = TokenApi.Admin(silo0);
        await admin0.AddMemberAsync(org, "alice", "scans:read");
        var issuing = Stopwatch.StartNew();
        var tokens = new List<IssuedToken>(TokenCount);
        for (var i = 0; i < TokenCount; i++)
        {
            tokens.Add(await admin0.CreateTokenAsync(org, "alice"));
        }

        output.WriteLine($"issued {TokenCount} tokens in one organization in {issuing.Elapsed.TotalSeconds:F1} s");
        await using var silo1 = system.StartSilo(1);
        await silo1.WaitUntilOkAsync("/readyz");
        using var admin1 = TokenApi.Admin(silo1);
        var created = await AuditCountAsync(admin1, org);
        Assert.Equal(TokenCount, created);

        // The revoke answers before the fan-out has ended every token: all are refused from then on.
        var revoking = Stopwatch.StartNew();
        using (var revoke = await admin1.PostAsJsonAsync($"/admin/v1/orgs/{org}/revoke", new { reason = Reason }))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
            Assert.Equal(TokenCount, (await revoke.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revoked").GetInt32());
        }

        output.WriteLine($"the revoke call answered 200 in {revoking.Elapsed.TotalMilliseconds:F0} ms");

        // Kill -9 silo-0 once the fan-out has recorded its first events, long before it records them all.
        var recordedAtKill = await WaitForFanOutUnderWayAsync(admin1, org);
        await silo0.KillAsync();
        output.WriteLine($"killed silo-0 (runs the organization) {revoking.Elapsed.TotalSeconds:F1} s after the revoke call, with {recordedAtKill} of {TokenCount} token.revoked events recorded");

        // A gateway started now never got the push of the ended ids, so it asks the token grains (the lapsed-subscription
        // case): every token must be refused while the fan-out is unfinished.
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

        // Tokens the fan-out had not reached: revoked by the raised marks alone (status revoked, no revokedAt yet).
        var markedOnly = 0;
        foreach (var token in tokens)
        {
            var details = await DescribeAsync(admin1, token.TokenId);
            Assert.Equal("revoked", details.GetProperty("status").GetString());
            markedOnly += details.GetProperty("revokedAt").ValueKind == JsonValueKind.Null ? 1 : 0;
        }

        output.WriteLine($"before the fan-out resumed: {markedOnly} of {TokenCount} tokens not yet reached, all refused");
        Assert.True(markedOnly > 0, "the fan-out finished before the kill, so this run did not test an interrupted one");

        // Restart the killed silo as an orchestrator would. Nobody calls the organization: its resume reminder (or its
        // reactivation) carries the fan-out on. Only the trail and the tokens are read until it has finished.
        await using var restarted = system.StartSilo(0);
        var resumed = Stopwatch.StartNew();
        var deadline = TimeSpan.FromMinutes(3);
        while (await AuditCountAsync(admin1, org) < 2 * TokenCount)
        {
            Assert.True(resumed.Elapsed < deadline, $"the fan-out did not resume and finish within {deadline}:\n{silo1.Output}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        output.WriteLine($"the fan-out resumed and recorded every event {resumed.Elapsed.TotalSeconds:F1} s after the restart began");

        // Exactly one token.revoked event per token, with the operator's reason, after its token.created.
        var trail = await AuditTrailAsync(admin1, org);
        Assert.Equal(2 * TokenCount, trail.Count);
        var ends = trail.Where(e => e.GetProperty("action").GetString() != "token.created").ToList();
        Assert.All(ends, e => Assert.Equal(("token.revoked", Reason), (e.GetProperty("action").GetString(), e.GetProperty("reason").GetString())));
        Assert.Equal(tokens.Select(t => t.TokenId).Order(), ends.Select(e => e.GetProperty("tokenId").GetString()!).Order());

        foreach (var token in tokens)
        {
            var details = await DescribeAsync(admin1, token.TokenId);
            Assert.Equal(("revoked", Reason), (details.GetProperty("status").GetString(), details.GetProperty("reason").GetString()));
            Assert.NotEqual(JsonValueKind.Null, details.GetProperty("revokedAt").ValueKind);
        }

        var list = await admin1.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        Assert.Empty(list.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, list.GetProperty("nextCursor").ValueKind);
        var fresh = await admin1.CreateTokenAsync(org, "alice");
        Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(fresh.TokenId, fresh.Secret));
    }

    /// <summary>
    /// How many events the organization's trail holds: its newest event's sequence plus one (the trail numbers events from
    /// zero, with no gaps). Retries while the trail's silo is not yet declared dead.
    /// </summary>
    private static async Task<long> AuditCountAsync(HttpClient admin, string org)
    {
        var page = await GetWithRetryAsync(admin, $"/admin/v1/orgs/{org}/audit?limit=1");
        return page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64() + 1).FirstOrDefault();
    }

    /// <summary>The whole trail, oldest first, page by page.</summary>
    private static async Task<List<JsonElement>> AuditTrailAsync(HttpClient admin, string org)
    {
        var events = new List<JsonElement>();
        var path = $"/admin/v1/orgs/{org}/audit?limit=500";
        while (true)
        {
            var page = await GetWithRetryAsync(admin, path);
            events.AddRange(page.GetProperty("events").EnumerateArray());
            if (page.GetProperty("nextBefore") is not { ValueKind: JsonValueKind.Number } next)
            {
                events.Reverse();
                return events;
            }

            path = $"/admin/v1/orgs/{org}/audit?limit=500&before={next.GetInt64()}";
        }
    }

    /// <summary>Waits until the fan-out has recorded its first token.revoked events; how many were recorded then.</summary>
    private static async Task<long> WaitForFanOutUnderWayAsync(HttpClient admin, string org)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var revoked = await AuditCountAsync(admin, org) - TokenCount;
            Assert.True(revoked < TokenCount, "the fan-out finished before the kill");
            if (revoked > 0)
            {
                return revoked;
            }

            await Task.Delay(5);
        }

        Assert.Fail("the fan-out did not get under way");
        return 0;
    }

    private static Task<JsonElement> DescribeAsync(HttpClient admin, string tokenId) => GetWithRetryAsync(admin, $"/admin/v1/tokens/{tokenId}");

    private static async Task<JsonElement> GetWithRetryAsync(HttpClient admin, string path)
    {
        // The dead silo's activations answer 503 until it is declared dead; retry those, bounded.
        for (var attempt = 0; ; attempt++)
        {
            using var response = await admin.GetAsync(path);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 60)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }

            await Task.Delay(500);
        }
    }
}
