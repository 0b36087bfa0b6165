using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Xunit.Abstractions;
using ZeroPath.Testing;
using SpanKind = ZeroPath.EndToEnd.Tests.Telemetry.Otlp.Span.Types.SpanKind;

namespace ZeroPath.EndToEnd.Tests.Telemetry;

/// <summary>
/// A silo and a gateway as real processes exporting to a real OTLP/HTTP receiver (traces, metrics and logs, as to a
/// collector) and serving Prometheus scrapes, through one create → validate → wrong secret → revoke run.
/// </summary>
public sealed class TelemetryRun : IAsyncLifetime
{
    public const string Path = "/api/v2/vulnerabilities/search";

    private readonly List<ProductProcess> processes = [];

    public OtlpReceiver Receiver { get; private set; } = null!;

    /// <summary>The trace the test started: the client's <c>traceparent</c> on the one validated request.</summary>
    public string TraceId { get; } = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    public IssuedToken Token { get; private set; } = null!;
    public string SiloScrape { get; private set; } = "";
    public string GatewayScrape { get; private set; } = "";
    public IReadOnlyList<string> ProcessOutputs => [.. processes.Select(p => p.Output)];
    public string Log { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var log = new StringBuilder();
        var clock = Stopwatch.StartNew();
        Receiver = await OtlpReceiver.StartAsync();
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        var siloScrape = FreeTcpPort.Next();
        var gatewayScrape = FreeTcpPort.Next();
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Exported within a fraction of a second, so the test waits for data, not for timers.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
        })
        {
            system.Environment[key] = value;
        }

        system.SiloSettings["ZeroPath:Telemetry:Prometheus:Listen"] = $"http://127.0.0.1:{siloScrape}";
        var silo = Started(system.StartSilo());
        var upstream = Started(system.StartUpstream());
        await silo.WaitUntilOkAsync("/readyz");
        system.GatewaySettings["ZeroPath:Telemetry:Prometheus:Listen"] = $"http://127.0.0.1:{gatewayScrape}";
        var gateway = Started(system.StartGateway());
        await upstream.WaitUntilOkAsync("/anything");
        await gateway.WaitUntilOkAsync("/readyz");

        using var admin = TokenApi.Admin(silo);
        var org = TestSettings.UniqueId("telemetry");
        await admin.AddMemberAsync(org, "alice", "scans:read");
        Token = await admin.CreateTokenAsync(org, "alice");
        // The create's own telemetry is out before the silo goes: wait for its server span.
        await WaitForAsync(() => Receiver.Spans().Any(s => s.Service == "zeropath-silo" && s.Kind == SpanKind.Server && s.Name.StartsWith("POST", StringComparison.Ordinal)), "the create's span");
        log.AppendLine($"token created, its span exported: {clock.Elapsed.TotalSeconds:F1} s");

        // A restart, so the validation below activates the token's grain and reads its state: one request, every layer.
        await silo.KillAsync();
        silo = Started(system.StartSilo());
        await silo.WaitUntilOkAsync("/readyz");
        await WaitForAsync(async () => (await Status(gateway, "/readyz")) == HttpStatusCode.OK, "the gateway back on the restarted silo");
        log.AppendLine($"silo restarted, gateway ready: {clock.Elapsed.TotalSeconds:F1} s");

        using var api = new HttpClient { BaseAddress = gateway.BaseAddress };
        using (var request = TokenApi.ApiRequest(Path, Token.TokenId, Token.Secret))
        {
            request.Headers.Add("traceparent", $"00-{TraceId}-{Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()))}-01");
            using var response = await api.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var wrong = TokenApi.ApiRequest(Path, Token.TokenId, Token.Secret[..^4] + "AAAA"))
        using (var response = await api.SendAsync(wrong))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var admin2 = TokenApi.Admin(silo);
        using (var wrongKey = new HttpClient { BaseAddress = silo.BaseAddress })
        {
            wrongKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-" + LocalSystem.AdminKey);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrongKey.GetAsync($"/admin/v1/orgs/{org}/tokens")).StatusCode);
        }

        (await admin2.PostAsJsonAsync($"/admin/v1/tokens/{Token.TokenId}/revoke", new { reason = "telemetry test" })).EnsureSuccessStatusCode();
        using (var revoked = TokenApi.ApiRequest(Path, Token.TokenId, Token.Secret))
        using (var response = await api.SendAsync(revoked))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await WaitForAsync(() => TraceComplete(Receiver.Spans().Where(s => s.TraceId == TraceId).ToList()), "the validation's trace");
        log.AppendLine($"validated, refused, revoked; the validation's trace exported: {clock.Elapsed.TotalSeconds:F1} s");

        using var scraper = new HttpClient();
        await WaitForAsync(
            async () =>
            {
                SiloScrape = await scraper.GetStringAsync(new Uri($"http://127.0.0.1:{siloScrape}/metrics"));
                GatewayScrape = await scraper.GetStringAsync(new Uri($"http://127.0.0.1:{gatewayScrape}/metrics"));
                return SiloScrape.Contains("zeropath_revocations_total", StringComparison.Ordinal) &&
                    GatewayScrape.Contains("zeropath_gateway_authentications_total", StringComparison.Ordinal);
            },
            "both scrapes");

        // Metrics and logs of the last steps are exported too before anything is searched.
        var exports = Receiver.Exports.Count;
        await WaitForAsync(() => Receiver.Exports.Count(e => e.Signal == "metrics") > 2 && Receiver.Exports.Count > exports + 4, "later exports");
        log.AppendLine($"exports received: {string.Join(", ", Receiver.Exports.GroupBy(e => e.Signal).Select(g => $"{g.Key} {g.Count()} ({g.Sum(e => e.Body.Length) / 1024} KiB)"))}; {clock.Elapsed.TotalSeconds:F1} s");
        Log = log.ToString();

        ProductProcess Started(ProductProcess process)
        {
            processes.Add(process);
            return process;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        await Receiver.DisposeAsync();
    }

    /// <summary>The gateway's server span, the proxy's, the grain call from the gateway, its handling and the state read on the silo.</summary>
    public static bool TraceComplete(IReadOnlyList<OtlpReceiver.ReceivedSpan> spans) =>
        spans.Any(s => s.Service == "zeropath-gateway" && s.Kind == SpanKind.Server) &&
        spans.Any(s => s.Scope == "Yarp.ReverseProxy") &&
        spans.Any(s => s.Service == "zeropath-gateway" && s.Scope == "Microsoft.Orleans.Application" && s.Kind == SpanKind.Client) &&
        spans.Any(s => s.Service == "zeropath-silo" && s.Scope == "Microsoft.Orleans.Application" && s.Kind == SpanKind.Server) &&
        spans.Any(s => s.Service == "zeropath-silo" && s.Scope == "Microsoft.Orleans.Storage");

    /// <summary>Exports and restarts have no event to await: polled, bounded.</summary>
    private static Task WaitForAsync(Func<bool> condition, string what) => Poll.UntilAsync(condition, TimeSpan.FromSeconds(60), what, TimeSpan.FromMilliseconds(100));

    private static Task WaitForAsync(Func<Task<bool>> condition, string what) => Poll.UntilAsync(condition, TimeSpan.FromSeconds(60), what, TimeSpan.FromMilliseconds(100));

    private static async Task<HttpStatusCode> Status(ProductProcess process, string path)
    {
        using var client = new HttpClient();
        try
        {
            using var response = await client.GetAsync(new Uri(process.BaseAddress, path));
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }
}

public class TelemetryTests(TelemetryRun run, ITestOutputHelper output) : IClassFixture<TelemetryRun>
{
    [Fact]
    public void One_gateway_request_is_one_trace_through_the_proxy_the_grain_call_the_activation_and_the_storage_read()
    {
        output.WriteLine(run.Log);
        var spans = run.Receiver.Spans().Where(s => s.TraceId == run.TraceId).ToList();
        output.WriteLine(string.Join('\n', spans));
        Assert.True(TelemetryRun.TraceComplete(spans), "the trace lacks a layer:\n" + string.Join('\n', spans));

        // One tree: every span but the client's (our traceparent) has its parent in the trace, across both processes.
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        var roots = spans.Where(s => !ids.Contains(s.ParentId)).ToList();
        var root = Assert.Single(roots);
        Assert.Equal("zeropath-gateway", root.Service);
        Assert.Equal(SpanKind.Server, root.Kind);
        Assert.Equal(TelemetryRun.Path, root.Tag("url.path"));

        // The storage read descends from the grain call the gateway made, through the silo's handling of it.
        var storage = spans.First(s => s.Scope == "Microsoft.Orleans.Storage");
        var chain = Ancestors(storage, spans).ToList();
        Assert.Contains(chain, s => s.Service == "zeropath-gateway" && s.Scope == "Microsoft.Orleans.Application" && s.Kind == SpanKind.Client);
        Assert.Equal(root.SpanId, chain[^1].SpanId);
        Assert.Equal("read storage", storage.Name);
    }

    [Fact]
    public void No_secret_hash_or_key_appears_in_any_span_metric_log_scrape_or_process_output()
    {
        output.WriteLine(run.Log);
        var secret = run.Token.Secret;
        var needles = new Dictionary<string, string>
        {
            ["the token secret"] = secret,
            ["the random part of the secret"] = secret[4..^8],
            ["an Argon2 hash"] = "$argon2id$",
            ["the admin key"] = LocalSystem.AdminKey,
        };
        var places = run.Receiver.Exports.Select((e, i) => ($"OTLP {e.Signal} export {i}", Encoding.UTF8.GetString(e.Body)))
            .Append(("the silo's Prometheus scrape", run.SiloScrape))
            .Append(("the gateway's Prometheus scrape", run.GatewayScrape))
            .Concat(run.ProcessOutputs.Select((o, i) => ($"process output {i}", o)))
            .ToList();

        // The search can fail: what it looks in holds the run (the token id, the organization's spans and logs).
        Assert.Contains(places, p => p.Item1.StartsWith("OTLP logs", StringComparison.Ordinal) && p.Item2.Contains(run.Token.TokenId, StringComparison.Ordinal));
        Assert.Contains(places, p => p.Item1.StartsWith("OTLP traces", StringComparison.Ordinal) && p.Item2.Contains(TelemetryRun.Path, StringComparison.Ordinal));
        Assert.Contains("zeropath_argon2_duration_seconds_bucket", run.SiloScrape, StringComparison.Ordinal);

        var found = (from place in places from needle in needles where place.Item2.Contains(needle.Value, StringComparison.Ordinal) select $"{needle.Key} in {place.Item1}").ToList();
        Assert.True(found.Count == 0, string.Join('\n', found));
        output.WriteLine($"searched {places.Count} places ({places.Sum(p => p.Item2.Length) / 1024} KiB) for {needles.Count} needles: none found");
    }

    private static IEnumerable<OtlpReceiver.ReceivedSpan> Ancestors(OtlpReceiver.ReceivedSpan span, IReadOnlyList<OtlpReceiver.ReceivedSpan> spans)
    {
        var byId = spans.ToDictionary(s => s.SpanId);
        for (var current = span; byId.TryGetValue(current.ParentId, out var parent); current = parent)
        {
            yield return parent;
        }
    }
}
