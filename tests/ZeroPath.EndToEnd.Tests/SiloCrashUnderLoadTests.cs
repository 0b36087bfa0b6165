using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace ZeroPath.EndToEnd.Tests;

[Collection(FaultTests.Name)]
public class SiloCrashUnderLoadTests(ITestOutputHelper output)
{
    private enum Kind
    {
        Valid,
        WrongSecret,
        UnknownId,
    }

    private sealed record Sample(TimeSpan At, Kind Kind, HttpStatusCode Status, TimeSpan Latency);

    [Fact]
    public async Task Killing_a_silo_under_load_never_accepts_an_invalid_token_and_valid_ones_recover_within_the_detection_window()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        await using var upstream = system.StartUpstream();
        await using var silo0 = system.StartSilo(0);
        await using var silo1 = system.StartSilo(1);
        await using var silo2 = system.StartSilo(2);
        await Task.WhenAll(silo0.WaitUntilOkAsync("/readyz"), silo1.WaitUntilOkAsync("/readyz"), silo2.WaitUntilOkAsync("/readyz"));
        await using var gateway0 = system.StartGateway(0);
        await using var gateway1 = system.StartGateway(1);
        await Task.WhenAll(gateway0.WaitUntilOkAsync("/readyz"), gateway1.WaitUntilOkAsync("/readyz"));

        // 1,000 tokens in 10 organizations, issued through two silos.
        using var admin0 = TokenApi.Admin(silo0);
        using var admin2 = TokenApi.Admin(silo2);
        var tokens = new ConcurrentBag<IssuedToken>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 10), async (org, _) =>
        {
            var admin = org % 2 == 0 ? admin0 : admin2;
            await admin.AddMemberAsync($"load-{org}", "alice", "scans:read");
            for (var i = 0; i < 100; i++)
            {
                tokens.Add(await admin.CreateTokenAsync($"load-{org}", "alice"));
            }
        });
        var issued = tokens.ToArray();
        Assert.Equal(1000, issued.Length);

        using var http0 = new HttpClient { BaseAddress = gateway0.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var http1 = new HttpClient { BaseAddress = gateway1.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        HttpClient[] gateways = [http0, http1];
        // Warm every token once, so activations are spread over all three silos before one dies.
        await Parallel.ForEachAsync(issued, async (token, _) => Assert.Equal(HttpStatusCode.OK, await http0.CheckAsync(token.TokenId, token.Secret)));

        var samples = new ConcurrentQueue<Sample>();
        var clock = Stopwatch.StartNew();
        var killAt = TimeSpan.FromSeconds(4);
        var stopAt = killAt + TimeSpan.FromSeconds(30);
        var load = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (clock.Elapsed < stopAt)
            {
                var token = issued[random.Next(issued.Length)];
                var roll = random.Next(10);
                var (kind, id, secret) = roll switch
                {
                    < 7 => (Kind.Valid, token.TokenId, token.Secret),
                    < 9 => (Kind.WrongSecret, token.TokenId, new string('A', 43)),
                    _ => (Kind.UnknownId, Guid.NewGuid().ToString(), token.Secret),
                };
                HttpStatusCode status;
                var started = clock.Elapsed;
                try
                {
                    status = await gateways[random.Next(2)].CheckAsync(id, secret);
                }
                catch (HttpRequestException)
                {
                    status = 0;
                }

                samples.Enqueue(new Sample(clock.Elapsed, kind, status, clock.Elapsed - started));
            }
        })).ToArray();

        await Task.Delay(killAt);
        var killedAt = clock.Elapsed;
        await silo1.KillAsync();
        await Task.WhenAll(load);

        var all = samples.ToArray();
        var invalidAccepted = all.Count(s => s.Kind != Kind.Valid && s.Status == HttpStatusCode.OK);
        var validFailed = all.Where(s => s.Kind == Kind.Valid && s.Status != HttpStatusCode.OK).ToArray();
        var valid = all.Count(s => s.Kind == Kind.Valid);
        var window = validFailed.Length == 0 ? TimeSpan.Zero : validFailed.Max(s => s.At) - killedAt;
        var lastFiveSeconds = all.Where(s => s.Kind == Kind.Valid && s.At > stopAt - TimeSpan.FromSeconds(5)).ToArray();
        output.WriteLine($"{all.Length} requests over {stopAt.TotalSeconds:F0} s ({all.Length / stopAt.TotalSeconds:F0}/s), 8 workers, 2 gateways, 3 silos, 1,000 tokens; silo-1 killed with SIGKILL at {killedAt.TotalSeconds:F1} s");
        output.WriteLine($"invalid requests accepted: {invalidAccepted} of {all.Length - valid}");
        output.WriteLine($"valid requests failed: {validFailed.Length} of {valid} ({string.Join(", ", validFailed.GroupBy(s => s.Status).Select(g => $"{(int)g.Key}: {g.Count()}"))})");
        var latencies = all.Where(s => s.Kind == Kind.Valid).Select(s => s.Latency.TotalMilliseconds).Order().ToArray();
        var slow = all.Where(s => s.Kind == Kind.Valid && s.Latency > TimeSpan.FromSeconds(1)).ToArray();
        output.WriteLine($"valid request latency: p50 {latencies[latencies.Length / 2]:F1} ms, p99 {latencies[(int)(latencies.Length * 0.99)]:F1} ms, max {latencies[^1]:F0} ms; {slow.Length} took over 1 s (all during the {(slow.Length == 0 ? 0 : (slow.Max(s => s.At) - killedAt).TotalSeconds):F1} s after the kill)");
        output.WriteLine($"window from the kill to the last failed valid request: {window.TotalSeconds:F1} s; valid requests in the last 5 s: {lastFiveSeconds.Length}, all 200: {lastFiveSeconds.All(s => s.Status == HttpStatusCode.OK)}");

        Assert.Equal(0, invalidAccepted);
        Assert.All(all.Where(s => s.Kind != Kind.Valid && s.Status != 0), s => Assert.True(s.Status is HttpStatusCode.Unauthorized or HttpStatusCode.ServiceUnavailable, $"unexpected {s.Status}"));
        // Detection (appsettings.json: ProbeTimeout 2 s x NumMissedProbesLimit 2, then 2 votes) plus re-activation
        // stays well inside 30 s; after it, every valid request succeeds again.
        Assert.True(window < TimeSpan.FromSeconds(25), $"valid tokens failed for {window.TotalSeconds:F1} s after the kill");
        Assert.NotEmpty(lastFiveSeconds);
        Assert.All(lastFiveSeconds, s => Assert.Equal(HttpStatusCode.OK, s.Status));
    }
}
