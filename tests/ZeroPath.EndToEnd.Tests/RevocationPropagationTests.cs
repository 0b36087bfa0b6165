using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Xunit.Abstractions;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>Measured with real processes; serial with the fault tests so no other test shares the two cores.</summary>
[Collection(FaultTests.Name)]
public class RevocationPropagationTests(ITestOutputHelper output)
{
    private const int Revocations = 50;

    [Fact]
    public async Task After_the_revoke_call_returns_no_gateway_process_accepts_the_token()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        await using var silo = system.StartSilo();
        await silo.WaitUntilOkAsync("/readyz");
        await using var gateway0 = system.StartGateway(0);
        await using var gateway1 = system.StartGateway(1);
        await Task.WhenAll(gateway0.WaitUntilOkAsync("/readyz"), gateway1.WaitUntilOkAsync("/readyz"));
        using var admin = TokenApi.Admin(silo);
        using var http0 = new HttpClient { BaseAddress = gateway0.BaseAddress };
        using var http1 = new HttpClient { BaseAddress = gateway1.BaseAddress };
        HttpClient[] gateways = [http0, http1];
        var org = ZeroPath.Testing.TestSettings.UniqueId("propagation");
        await admin.AddMemberAsync(org, "alice", "scans:read");
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < Revocations; i++)
        {
            tokens.Add(await admin.CreateTokenAsync(org, "alice"));
        }

        var propagation = new List<double>();
        var acceptedBeforeReturn = 0;
        foreach (var token in tokens)
        {
            Assert.All(await Task.WhenAll(gateways.Select(g => g.CheckAsync(token.TokenId, token.Secret))), s => Assert.Equal(HttpStatusCode.OK, s));

            // Each gateway is asked about the token back to back while an operator revokes it.
            using var stop = new CancellationTokenSource();
            var returned = long.MaxValue;
            var pollers = gateways.Select(g => Task.Run(async () =>
            {
                var checks = new List<(long Sent, long Done, HttpStatusCode Status)>();
                while (!stop.IsCancellationRequested)
                {
                    var sent = Stopwatch.GetTimestamp();
                    var status = await g.CheckAsync(token.TokenId, token.Secret);
                    checks.Add((sent, Stopwatch.GetTimestamp(), status));
                    if (status == HttpStatusCode.Unauthorized && sent > Volatile.Read(ref returned))
                    {
                        break;
                    }
                }

                return checks;
            })).ToArray();
            await Task.Delay(5);
            using (var response = await admin.PostAsJsonAsync($"/admin/v1/tokens/{token.TokenId}/revoke", new { reason = "propagation" }))
            {
                Volatile.Write(ref returned, Stopwatch.GetTimestamp());
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var perGateway = await Task.WhenAll(pollers).WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var checks in perGateway)
            {
                // Revoked before the call returned: nothing asked after that may be accepted.
                Assert.DoesNotContain(checks, c => c.Sent > returned && c.Status != HttpStatusCode.Unauthorized);
                acceptedBeforeReturn += checks.Count(c => c.Status == HttpStatusCode.OK);
                var firstRejected = checks.First(c => c.Status == HttpStatusCode.Unauthorized);
                propagation.Add(Math.Max(0, Stopwatch.GetElapsedTime(returned, firstRejected.Done).TotalMilliseconds));
            }
        }

        propagation.Sort();
        output.WriteLine(
            $"revoke call returned → gateway process answers 401, {Revocations} revocations x 2 gateway processes: " +
            $"p50 {Percentile(propagation, 0.50):F2} ms, p99 {Percentile(propagation, 0.99):F2} ms, max {propagation[^1]:F2} ms; " +
            $"{propagation.Count(p => p == 0)} of {propagation.Count} were rejecting before the call returned; " +
            $"{acceptedBeforeReturn} checks sent during the call were still accepted, none after it");
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Ceiling(p * sorted.Count) - 1];
}
