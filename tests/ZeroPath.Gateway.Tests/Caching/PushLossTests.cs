using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace ZeroPath.Gateway.Tests.Caching;

/// <summary>A gateway with short staleness bounds on a silo of its own, which the test stops.</summary>
public sealed class PushLossFixture : EdgeFixture
{
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(4);

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings =>
    [
        GatewayFactory.Setting("ZeroPath:Gateway:Cache:MaxStaleness", MaxStaleness),
        GatewayFactory.Setting("ZeroPath:Gateway:Cache:ConfirmEvery", TimeSpan.FromMilliseconds(500)),
        GatewayFactory.Setting("ZeroPath:Cluster:ResponseTimeout", TimeSpan.FromSeconds(2)),
    ];
}

public class PushLossTests(PushLossFixture fixture, ITestOutputHelper output) : IClassFixture<PushLossFixture>
{
    private const string Check = "/auth/check";

    [Fact]
    public async Task Without_the_cluster_a_cached_token_answers_until_the_staleness_bound_then_fails_closed()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        using (var ready = await probe.Client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var healthy = await ReadinessAsync(ready);
            Assert.Equal(("Healthy", "Healthy", "Healthy"), (healthy.Status, healthy.Cluster.Status, healthy.Push.Status));
        }

        var stopping = Stopwatch.StartNew();
        await fixture.StopSiloAsync();
        var stopped = Stopwatch.StartNew();
        output.WriteLine($"silo stopped in {stopping.Elapsed.TotalSeconds:F1} s");

        // Within the bound the cached validation still answers; past it the request goes to the cluster, which cannot answer.
        var answers = new List<(TimeSpan At, AuthAnswer Answer)>();
        AuthAnswer last;
        do
        {
            Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(20), $"still answered from the cache {stopped.Elapsed} after the cluster went away");
            if (answers.Count > 0)
            {
                // Nothing to await: the bound passes silently. Poll the observable effect.
                await Task.Delay(200);
            }

            last = await probe.SendAsync(Check, token.TokenId, token.Secret);
            answers.Add((stopped.Elapsed, last));
        }
        while (last.Response.StatusCode == HttpStatusCode.OK);

        Assert.True(answers.Count > 1, "the first request after the cluster went away should still be answered from the cache");
        output.WriteLine($"{answers.Count - 1} answers from the cache, the last {answers[^2].At.TotalSeconds:F1} s after the silo stopped; then {(int)last.Response.StatusCode} at {answers[^1].At.TotalSeconds:F1} s");
        Assert.All(answers[..^1], a => Assert.Equal((HttpStatusCode.OK, "ok", "cache"), (a.Answer.Response.StatusCode, a.Answer.Result, a.Answer.DecidedBy)));
        Assert.Equal(("cluster_unavailable", "cluster"), (last.Result, last.DecidedBy));
        await GatewayProblemAssert.IsProblemAsync(last.Response, HttpStatusCode.ServiceUnavailable, "cluster_unavailable");

        // From then on every request fails closed, on both route kinds.
        var proxied = await probe.SendAsync("/api/v1/x", token.TokenId, token.Secret);
        await GatewayProblemAssert.IsProblemAsync(proxied.Response, HttpStatusCode.ServiceUnavailable, "cluster_unavailable");
        Assert.Equal("cluster", proxied.DecidedBy);

        using var notReady = await probe.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var why = await ReadinessAsync(notReady);
        Assert.Equal(("Unhealthy", "Unhealthy", "Degraded"), (why.Status, why.Cluster.Status, why.Push.Status));
        Assert.Contains("unconfirmed", why.Push.Description, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(why.Cluster.Description));

        foreach (var (_, answer) in answers)
        {
            answer.Response.Dispose();
        }

        proxied.Response.Dispose();
    }

    private static async Task<Readiness> ReadinessAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var checks = json.RootElement.GetProperty("checks");
        return new Readiness(json.RootElement.GetProperty("status").GetString()!, Check("orleans-cluster"), Check("push-channel"));

        CheckResult Check(string name)
        {
            var check = checks.GetProperty(name);
            return new CheckResult(check.GetProperty("status").GetString()!, check.GetProperty("description").GetString() ?? "");
        }
    }

    private sealed record Readiness(string Status, CheckResult Cluster, CheckResult Push);

    private sealed record CheckResult(string Status, string Description);
}
