using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.ApiFuzz;

/// <summary>
/// The admin API against a fuzzer that is not ours: <c>tools/api-fuzz/fuzz.mjs</c> (json-schema-faker, fast-check and
/// Ajv from npm, pinned by its package-lock.json) reads only the OpenAPI document the silo serves and sends thousands
/// of valid and hostile requests to a real silo over a real socket. No answer may be a 5xx, a status or content type
/// the document does not declare, a problem code outside the response's <c>x-problem-codes</c>, or a 2xx body that
/// does not match its schema.
/// </summary>
public sealed partial class IndependentApiFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 5000;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_admin_api_answers_an_independent_fuzzer_only_as_its_OpenAPI_document_says()
    {
        var fuzzer = Path.Combine(TestServers.RepositoryRoot(), "tools", "api-fuzz");
        Assert.True(
            File.Exists(Path.Combine(fuzzer, "node_modules", "ajv", "package.json")) && File.Exists(Path.Combine(fuzzer, "node_modules", "json-schema-faker", "package.json")),
            $"The independent API fuzzer is not installed: run `npm ci` in {fuzzer} (./test.sh does, through ensure_servers_installed in scripts-lib.sh).");

        var key = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var silo = new SiloFactory
        {
            Key = key,
            // Every wrong-key case would otherwise lock the fuzzer's one address out after ten (429 is declared, so
            // the run would still pass, but would test nothing more); the limiter has its own tests.
            Overrides = new Dictionary<string, string?>(TestSettings.Webhooks) { ["ZeroPath:Admin:FailedAuthentication:MaxFailures"] = "1000000" },
            // Webhooks are on (their routes answer 2xx only with a signing key), but the fuzzer's URLs name hosts
            // anywhere: no delivery may leave the machine, so every attempt is refused before it is sent.
            TestServices = services => services.AddHttpClient(ZeroPath.Grains.Webhooks.WebhookGrain.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => new NoNetwork()),
        };
        silo.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        silo.StartServer();
        var address = silo.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        Assert.StartsWith("http://127.0.0.1:", address, StringComparison.Ordinal);

        var keyFile = Path.Combine(Path.GetTempPath(), $"zeropath-api-fuzz-{Guid.NewGuid():N}.key");
        try
        {
            // Mode 600 from its creation: the key is never readable by anyone else, not even briefly.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var stream = new FileStream(keyFile, create))
            await using (var writer = new StreamWriter(stream))
            {
                await writer.WriteAsync(key);
            }

            // ZP_FUZZ_SEED replays a run (the seed is printed with every failure).
            var seed = int.TryParse(Environment.GetEnvironmentVariable("ZP_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given) ? given : Random.Shared.Next(1, 1_000_000);
            var (exitCode, lines) = await RunNodeAsync(fuzzer, [
                Path.Combine(fuzzer, "fuzz.mjs"), "--base", address, "--key-file", keyFile,
                "--cases", Cases.ToString(CultureInfo.InvariantCulture), "--seed", seed.ToString(CultureInfo.InvariantCulture),
                // Bounded however the silo behaves, without timing it: the per-request limit is above the silo's own 30 s
                // response timeout, so a request stuck in the cluster comes back as a 503 (a failure that names the
                // route) rather than as a guess about a slow machine; a broken silo stops the run early.
                "--timeout-ms", "45000", "--max-seconds", "270", "--max-failures", "100"]);

            Assert.DoesNotContain(lines, l => l.Contains(key, StringComparison.Ordinal));
            var summary = lines.LastOrDefault(l => l.StartsWith("api fuzz (independent): ", StringComparison.Ordinal));
            Assert.True(summary is not null, $"the fuzzer printed no summary line (exit code {exitCode}):\n{string.Join('\n', lines.TakeLast(40))}");
            var counts = Summary().Match(summary);
            Assert.True(counts.Success, summary);
            Assert.True(
                exitCode == 0 && counts.Groups["failures"].Value == "0",
                $"seed {seed}: the admin API answered the fuzzer as its OpenAPI document does not say (exit code {exitCode}):\n" +
                string.Join('\n', lines.Where(l => l.StartsWith("FAIL", StringComparison.Ordinal) || l.StartsWith("     ", StringComparison.Ordinal)).Take(80)));
            Assert.Equal(Cases, int.Parse(counts.Groups["cases"].Value, CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    /// <summary>Runs node with the arguments, each line of its output streamed to the test output as it comes.</summary>
    private async Task<(int ExitCode, IReadOnlyList<string> Lines)> RunNodeAsync(string workingDirectory, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var lines = new List<string>();
        void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line);
                output.WriteLine(line);
            }
        }

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            Assert.Fail($"Node.js (`node`) is needed to run the independent API fuzzer and could not be started: {exception.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"the fuzzer did not finish within {Limit}:\n{string.Join('\n', lines.TakeLast(40))}");
        }

        // WaitForExitAsync also waits for the end of both redirected streams, so every line is in.
        lock (lines)
        {
            return (process.ExitCode, lines.ToArray());
        }
    }

    [GeneratedRegex(@"^api fuzz \(independent\): (?<cases>\d+) cases, (?<failures>\d+) failures$")]
    private static partial Regex Summary();

    /// <summary>Refuses every request: webhook deliveries in this test go nowhere.</summary>
    private sealed class NoNetwork : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromException<HttpResponseMessage>(new HttpRequestException("Webhook deliveries are refused in the API fuzz test."));
    }
}
