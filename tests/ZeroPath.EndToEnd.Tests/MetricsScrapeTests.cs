using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// Real silo and gateway processes with their Prometheus scrape listeners on: traffic that touches every project
/// instrument, then both <c>/metrics</c> endpoints must show every name in deploy/grafana/exported-metrics.txt and every
/// name the dashboard reads, and nothing else answers on the scrape ports or as <c>/metrics</c> on the main ports.
/// </summary>
public class MetricsScrapeTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Both_processes_export_every_listed_and_dashboard_metric_on_their_scrape_port_and_only_there()
    {
        var system = await LocalSystem.CreateAsync();
        var siloScrape = FreeTcpPort.Next();
        var gatewayScrape = FreeTcpPort.Next();
        // One Argon2 slot and no queue, so concurrent verifications are refused; low failure limits, so refusals happen.
        system.SiloSettings["ZeroPath:Argon2:MaxConcurrentOperations"] = "1";
        system.SiloSettings["ZeroPath:Argon2:MaxQueuedOperations"] = "0";
        system.SiloSettings["ZeroPath:FailureLimit:MaxFailures"] = "3";
        system.SiloSettings["ZeroPath:Admin:FailedAuthentication:MaxFailures"] = "3";
        system.SiloSettings["ZeroPath:Telemetry:Prometheus:Listen"] = $"http://127.0.0.1:{siloScrape}";
        system.GatewaySettings["ZeroPath:Telemetry:Prometheus:Listen"] = $"http://127.0.0.1:{gatewayScrape}";
        await using var upstream = new HangingUpstream(system.UpstreamPort);
        await using var silo = system.StartSilo();
        await silo.WaitUntilOkAsync("/readyz");
        await using var gateway = system.StartGateway();
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin = TokenApi.Admin(silo);
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        var org = TestSettings.UniqueId("metrics");
        await admin.AddMemberAsync(org, "alice", "scans:read");
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < 20; i++)
        {
            tokens.Add(await admin.CreateTokenAsync(org, "alice"));
        }

        // Valid (cluster, then cache), malformed, wrong.
        var first = tokens[0];
        using (var ok = await api.SendAsync(TokenApi.ApiRequest("/api/v2/vulnerabilities/search", first.TokenId, first.Secret)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(first.TokenId, first.Secret));
        Assert.Equal(HttpStatusCode.Unauthorized, await api.CheckAsync(first.TokenId, first.Secret[..^2] + "xx"));
        Assert.Equal(HttpStatusCode.Unauthorized, await api.CheckAsync(first.TokenId, TestSettings.FormatKeys.NewSecret(Guid.Parse(first.TokenId))));

        // A streaming response in flight when its token is revoked: the gateway aborts it.
        using (var streaming = await api.SendAsync(TokenApi.ApiRequest("/api/v1/hang", first.TokenId, first.Secret), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);
            await using var body = await streaming.Content.ReadAsStreamAsync();
            var drained = DrainAsync(body);
            (await admin.PostAsJsonAsync($"/admin/v1/tokens/{first.TokenId}/revoke", new { reason = "metrics" })).EnsureSuccessStatusCode();
            // The upstream never ends it: only the gateway's abort does.
            await drained.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/v1/orgs/{org}/tokens/{tokens[1].TokenId}")).StatusCode);

        // Wrong secrets for many tokens at once: more Argon2 verifications than the one slot takes.
        var burst = await Task.WhenAll(tokens.Skip(3).Select(t => api.CheckAsync(t.TokenId, TestSettings.FormatKeys.NewSecret(Guid.Parse(t.TokenId)))));
        Assert.Contains(HttpStatusCode.ServiceUnavailable, burst);

        // Wrong secrets for one token until its failure limit refuses it unchecked.
        var limited = tokens[2];
        for (var i = 0; i < 5; i++)
        {
            await api.CheckAsync(limited.TokenId, TestSettings.FormatKeys.NewSecret(Guid.Parse(limited.TokenId)));
        }

        // Wrong admin keys until this address is refused (last: the admin client is refused from now on too).
        using (var intruder = new HttpClient { BaseAddress = silo.BaseAddress })
        {
            intruder.DefaultRequestHeaders.Authorization = new("Bearer", "not-the-admin-key-0123456789");
            for (var i = 0; i < 5; i++)
            {
                using var refused = await intruder.GetAsync($"/admin/v1/orgs/{org}/tokens");
                Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
            }
        }

        var expected = new SortedSet<string>(GrafanaDashboard.ExportedNames(), StringComparer.Ordinal);
        expected.UnionWith(GrafanaDashboard.MetricNames(GrafanaDashboard.Load()));
        Assert.NotEmpty(expected);
        var siloNames = new SortedSet<string>(StringComparer.Ordinal);
        var gatewayNames = new SortedSet<string>(StringComparer.Ordinal);
        var missing = expected.ToList();
        // Observable instruments and propagation acknowledgements are read at scrape time: polled, bounded.
        for (var attempt = 0; attempt < 40 && missing.Count > 0; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(250);
            }

            siloNames = await ScrapeAsync(siloScrape);
            gatewayNames = await ScrapeAsync(gatewayScrape);
            missing = [.. expected.Where(n => !siloNames.Contains(n) && !gatewayNames.Contains(n))];
        }

        output.WriteLine("silo:\n" + string.Join('\n', siloNames));
        output.WriteLine("gateway:\n" + string.Join('\n', gatewayNames));
        Assert.True(missing.Count == 0, "Not exported: " + string.Join(", ", missing));

        // The scrape port answers /metrics only; the main ports do not serve metrics.
        foreach (var port in new[] { siloScrape, gatewayScrape })
        {
            foreach (var path in new[] { "/", "/metrics/", "/metrics.txt", "/healthz", "/readyz", "/auth/check", "/admin/v1/orgs" })
            {
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }

        foreach (var main in new[] { silo.BaseAddress, gateway.BaseAddress })
        {
            using var response = await Http.GetAsync(new Uri(main, "/metrics"));
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // No secret in any series.
        foreach (var port in new[] { siloScrape, gatewayScrape })
        {
            var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            Assert.All(tokens, t => Assert.DoesNotContain(t.Secret, text, StringComparison.Ordinal));
            Assert.DoesNotContain(first.TokenId, text, StringComparison.Ordinal);
        }
    }

    private static async Task DrainAsync(Stream body)
    {
        var buffer = new byte[256];
        try
        {
            while (await body.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // Aborted.
        }
    }

    private static async Task<SortedSet<string>> ScrapeAsync(int port)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var end = line.IndexOfAny(['{', ' ']);
            names.Add(end < 0 ? line : line[..end]);
        }

        return names;
    }

    /// <summary>
    /// An upstream on a raw socket: <c>/api/v1/hang</c> gets its response headers and a first chunk, then nothing until
    /// the connection closes; any other path a small 200.
    /// </summary>
    private sealed class HangingUpstream : IAsyncDisposable
    {
        private readonly TcpListener listener;
        private readonly CancellationTokenSource stop = new();
        private readonly Task accepting;

        public HangingUpstream(int port)
        {
            listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            accepting = AcceptAsync();
        }

        private async Task AcceptAsync()
        {
            var connections = new List<Task>();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var client = await listener.AcceptTcpClientAsync(stop.Token);
                    connections.Add(ServeAsync(client));
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            await Task.WhenAll(connections);
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var connection = client;
            var stream = client.GetStream();
            var buffer = new byte[16384];
            var received = new StringBuilder();
            try
            {
                while (true)
                {
                    received.Clear();
                    while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(buffer, stop.Token);
                        if (n == 0)
                        {
                            return;
                        }

                        received.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    var requestLine = received.ToString().Split("\r\n")[0];
                    if (requestLine.Contains(" /api/v1/hang ", StringComparison.Ordinal))
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n"), stop.Token);
                        await stream.FlushAsync(stop.Token);
                        // Until the gateway gives up on it.
                        while (await stream.ReadAsync(buffer, stop.Token) > 0)
                        {
                        }

                        return;
                    }

                    const string body = "{\"ok\":true}";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Create(
                        CultureInfo.InvariantCulture, $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}")), stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // The gateway closed the connection, or the test is over.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            await accepting;
            stop.Dispose();
        }
    }
}
