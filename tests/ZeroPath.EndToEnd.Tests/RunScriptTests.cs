using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// <c>./run.sh</c> itself, in its own state folder and on its own ports: who gets which secret, and what it prints.
/// Reads the started processes' environments from /proc.
/// </summary>
[Collection(FaultTests.Name)]
public partial class RunScriptTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Run_sh_gives_the_admin_and_call_keys_to_silos_only_and_prints_the_admin_key_only_when_it_made_it()
    {
        var state = Directory.CreateTempSubdirectory("zeropath-run-").FullName;

        string made;
        await using (var run = await RunScript.StartAsync(state, adminKey: null))
        {
            made = Assert.Single(ExportedKey().Matches(run.Output).Select(m => m.Groups[1].Value));
            var processes = run.Children();
            var silo = Assert.Single(processes, p => p.CommandLine.Contains("ZeroPath.Silo.dll", StringComparison.Ordinal));
            var others = processes.Where(p => p.CommandLine.Contains("ZeroPath.Gateway.dll", StringComparison.Ordinal)
                || p.CommandLine.Contains("ZeroPath.DemoUpstream.dll", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, others.Count);

            Assert.Contains($"ZP_ADMIN_KEY={made}", silo.Environment);
            Assert.Contains(silo.Environment, v => v.StartsWith("ZeroPath__Cluster__CallKey=", StringComparison.Ordinal));
            Assert.All(others, p =>
            {
                Assert.DoesNotContain(p.Environment, v => v.StartsWith("ZP_ADMIN_KEY", StringComparison.Ordinal));
                Assert.DoesNotContain(p.Environment, v => v.StartsWith("ZeroPath__Cluster__CallKey=", StringComparison.Ordinal));
            });
            Assert.All(processes, p => Assert.DoesNotContain(made, p.CommandLine, StringComparison.Ordinal));

            // The printed key is the one the silo checks.
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{8081 + run.Offset}") };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", made);
            using var members = await admin.PutAsync(
                new Uri("/admin/v1/orgs/acme/members/alice", UriKind.Relative),
                new StringContent("""{"permissions": ["scans:read"]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, members.StatusCode);

            // The gateway's Envoy ext_authz gRPC listener (h2c): an empty CheckRequest is a missing_credentials denial.
            using var h2c = new HttpClient();
            using var check = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{9001 + run.Offset}/envoy.service.auth.v3.Authorization/Check"))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(new byte[5]),
            };
            check.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
            check.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
            using var answer = await h2c.SendAsync(check);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("missing_credentials", Encoding.UTF8.GetString(await answer.Content.ReadAsByteArrayAsync()), StringComparison.Ordinal);
            Assert.Equal("0", Assert.Single(answer.TrailingHeaders.GetValues("grpc-status")));

            // By default the grain state is in run.sh's redis-server, durable on acknowledgement, and no Azurite runs;
            // the Redis password is on no command line.
            var redisPassword = (await File.ReadAllTextAsync(Path.Combine(state, "redis-password"))).Trim();
            var redisEndpoint = $"127.0.0.1:{6379 + run.Offset}";
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{redisEndpoint},password={redisPassword},allowAdmin=true");
            var server = redis.GetServer(redisEndpoint);
            var persistence = (await server.ConfigGetAsync("append*")).ToDictionary(p => p.Key, p => p.Value);
            Assert.Equal(("yes", "always"), (persistence["appendonly"], persistence["appendfsync"]));
            Assert.True(await server.KeysAsync(pattern: "zeropath/state/*").AnyAsync(), "no grain state in run.sh's redis-server");
            Assert.DoesNotContain(processes, p => p.CommandLine.Contains("azurite", StringComparison.Ordinal));
            Assert.All(processes, p => Assert.DoesNotContain(redisPassword, p.CommandLine, StringComparison.Ordinal));
        }

        const string mine = "my-own-admin-key-0123456789";
        await using (var run = await RunScript.StartAsync(state, adminKey: mine))
        {
            Assert.DoesNotContain(mine, run.Output, StringComparison.Ordinal);
            Assert.Empty(ExportedKey().Matches(run.Output));
            var silo = Assert.Single(run.Children(), p => p.CommandLine.Contains("ZeroPath.Silo.dll", StringComparison.Ordinal));
            Assert.Contains($"ZP_ADMIN_KEY={mine}", silo.Environment);
            output.WriteLine(run.Output);
        }
    }

    [GeneratedRegex("export ZP_ADMIN_KEY='([^']+)'")]
    private static partial Regex ExportedKey();

    private sealed record ChildProcess(int Pid, string CommandLine, string[] Environment);

    private sealed class RunScript : IAsyncDisposable
    {
        private readonly Process process;
        private readonly ProcessOutput output;

        private RunScript(Process process, ProcessOutput output, int offset)
        {
            this.process = process;
            this.output = output;
            Offset = offset;
        }

        public int Offset { get; }

        public string Output => output.Text;

        public static async Task<RunScript> StartAsync(string state, string? adminKey)
        {
            var offset = FreeOffset();
            var start = new ProcessStartInfo("bash")
            {
                WorkingDirectory = Repository.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(Repository.Root, "run.sh"));
            start.ArgumentList.Add("--no-build");
            start.Environment["ZP_RUN_DIR"] = state;
            start.Environment["ZP_RUN_PORT_OFFSET"] = offset.ToString(CultureInfo.InvariantCulture);
            start.Environment["CONFIGURATION"] = Repository.Configuration;
            start.Environment.Remove("ZP_ADMIN_KEY");
            start.Environment.Remove("ZP_ADMIN_KEY_NEXT");
            if (adminKey is not null)
            {
                start.Environment["ZP_ADMIN_KEY"] = adminKey;
            }

            var process = new Process { StartInfo = start };
            var run = new RunScript(process, ProcessOutput.Start(process), offset);

            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!run.Output.Contains("Press Ctrl-C to stop.", StringComparison.Ordinal))
            {
                Assert.False(run.process.HasExited, $"run.sh exited:\n{run.Output}");
                Assert.True(DateTime.UtcNow < deadline, $"run.sh did not get ready in 3 minutes:\n{run.Output}");
                await Task.Delay(250);
            }

            return run;
        }

        /// <summary>Every process started below run.sh, with its command line and environment.</summary>
        public List<ChildProcess> Children()
        {
            var parents = new Dictionary<int, int>();
            foreach (var folder in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(folder), out var pid) && TryRead(Path.Combine(folder, "stat")) is { } stat)
                {
                    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                }
            }

            var children = new List<ChildProcess>();
            foreach (var (pid, _) in parents)
            {
                for (var ancestor = parents.GetValueOrDefault(pid); ancestor > 1; ancestor = parents.GetValueOrDefault(ancestor))
                {
                    if (ancestor == process.Id)
                    {
                        var commandLine = TryRead($"/proc/{pid}/cmdline")?.Replace('\0', ' ') ?? "";
                        var environment = (TryRead($"/proc/{pid}/environ") ?? "").Split('\0', StringSplitOptions.RemoveEmptyEntries);
                        children.Add(new ChildProcess(pid, commandLine, environment));
                        break;
                    }
                }
            }

            return children;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                await process.WaitForExitAsync(timeout.Token);
            }

            process.Dispose();
        }

        private static string? TryRead(string path)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        /// <summary>An offset at which every port run.sh uses (one silo, one gateway) is free on loopback.</summary>
        private static int FreeOffset()
        {
            int[] ports = [6379, 10002, 9090, 8081, 11111, 30000, 8080, 9001];
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var offset = Random.Shared.Next(1000, 25000);
                if (ports.All(p => IsFree(p + offset)))
                {
                    return offset;
                }
            }

            throw new InvalidOperationException("No free block of ports for run.sh.");
        }

        private static bool IsFree(int port)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
}
