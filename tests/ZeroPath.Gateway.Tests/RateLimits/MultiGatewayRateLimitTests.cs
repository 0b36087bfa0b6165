using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.RateLimits;

/// <summary>A cluster whose gateways the test adds one at a time.</summary>
public class MultiGatewayFixture : EdgeFixture;

/// <summary>
/// How close a token's limit holds across 1, 2 and 3 gateways sent to evenly: a measurement printed in the output (and
/// in docs/edge.md), with only bounds that hold however loaded the machine is (the bucket itself is tested exactly with
/// a fake clock in <see cref="TokenRateLimiterTests"/>).
/// </summary>
public class MultiGatewayRateLimitTests(MultiGatewayFixture fixture, ITestOutputHelper output) : IClassFixture<MultiGatewayFixture>
{
    private const double Rate = 20;
    private const int Burst = 20;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    /// <summary>Attempts a second, over all gateways: four times the limit, so every gateway always has one to refuse.</summary>
    private const double AttemptsPerSecond = 4 * Rate;

    [Fact]
    public async Task Gateways_share_a_tokens_limit_and_together_admit_about_the_rate()
    {
        List<WebApplicationFactory<Program>> gateways = [fixture.Gateway];
        output.WriteLine($"limit {Rate.ToString(CultureInfo.InvariantCulture)}/s, burst {Burst}, {Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s, attempts {AttemptsPerSecond.ToString(CultureInfo.InvariantCulture)}/s spread evenly");
        for (var n = 1; n <= 3; n++)
        {
            if (n > 1)
            {
                gateways.Add(await fixture.StartGatewayAsync());
            }

            // Every gateway has heard from the hub that there are n of them.
            await Poll.UntilAsync(
                () => gateways.All(g => g.Services.GetRequiredService<TokenRateLimiter>().Gateways == n),
                TimeSpan.FromSeconds(30),
                $"every gateway to count {n} gateways");

            await MeasureAsync(gateways, $"{n} gateway(s), even");
        }

        // Uneven: every request to one of the three, which admits only its third.
        await MeasureAsync(gateways[..1], "3 gateways, all to one");
    }

    private async Task MeasureAsync(List<WebApplicationFactory<Program>> gateways, string what)
    {
        var (attempts, admitted, elapsed) = await SendAsync(gateways);

        var seconds = elapsed.TotalSeconds;
        var sustained = (admitted - Burst) / seconds;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{what}: {attempts} attempts, {admitted} admitted in {seconds:0.00} s; r*t+b = {Rate * seconds + Burst:0.0}; " +
            $"admitted/(r*t+b) = {admitted / (Rate * seconds + Burst):0.00}; (admitted - b)/t = {sustained:0.0}/s = {sustained / Rate:0.00} of r"));

        // Loose bounds: no gateway may admit more than its share (r/n a second, b/n at once), so together at most
        // r*t + b (the 1.5 covers rounding and clock reads, not a tolerated excess); and the first attempts are admitted
        // until a burst is spent.
        Assert.InRange(admitted, Math.Min(attempts, Burst / 3), (Rate * seconds * 1.5) + Burst);
    }

    private async Task<(int Attempts, int Admitted, TimeSpan Elapsed)> SendAsync(List<WebApplicationFactory<Program>> gateways)
    {
        var org = fixture.Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var token = (await org.CreateToken(new CreateTokenCommand("alice", null, 30, RateLimit: new TokenRateLimit(Rate, Burst)))).Token!;
        var clients = gateways.Select(g => g.CreateClient()).ToList();
        try
        {
            // Each gateway's first request is a cache miss (one grain call, one Argon2 verify, a cold grain): made before
            // the measurement, then the buckets are left to refill (one request is N/r seconds of a share).
            foreach (var client in clients)
            {
                await SendAsync(client, token, () => { });
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            var attempts = 0;
            var admitted = 0;
            var clock = Stopwatch.StartNew();
            var interval = TimeSpan.FromSeconds(1 / AttemptsPerSecond);
            var sends = new List<Task>();
            while (clock.Elapsed < Duration)
            {
                var due = interval * attempts;
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed);
                }

                var client = clients[attempts % clients.Count];
                attempts++;
                sends.Add(SendAsync(client, token, () => Interlocked.Increment(ref admitted)));
            }

            await Task.WhenAll(sends);
            return (attempts, admitted, clock.Elapsed);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task SendAsync(HttpClient client, IssuedToken token, Action onAdmitted)
    {
        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check", token.TokenId, token.Secret));
        if (response.StatusCode == HttpStatusCode.OK)
        {
            onAdmitted();
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }
}
