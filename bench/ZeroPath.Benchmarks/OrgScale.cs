using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using ZeroPath.Gateway.Hosting;
using ZeroPath.Grains;
using ZeroPath.Grains.Secrets;
using ZeroPath.ServiceDefaults;
using ZeroPath.ServiceDefaults.ClusterSecurity;
using ZeroPath.Tokens;

namespace ZeroPath.Benchmarks;

/// <summary>
/// <c>./bench.sh --org-scale</c>: one organization of many tokens and members through real silo processes, and creates/s
/// into one organization against the hasher's own rate. bench.sh starts Redis and the silo and calls one phase at a time:
/// <list type="bullet">
/// <item><c>hasher</c>: <see cref="TokenSecretHasher.HashAsync"/> in this process, N hashes from C callers, bound B</item>
/// <item><c>creates</c>: N creates into one new organization through the cluster from C callers</item>
/// <item><c>scale</c>: seeds one organization (members, tokens) and times list, delete, member removal, a permission
/// change and revoke-all</item>
/// <item><c>report</c>: the org-scale section of docs/benchmarks.md from the phases' JSON</item>
/// </list>
/// Every phase writes <c>{Results}/{name}.json</c>. The cluster phases connect as a trusted client: a gateway certificate
/// and the call key (<c>ZeroPath__Cluster__CallKey</c>, from the environment).
/// </summary>
public static partial class OrgScale
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1)
        {
            await Console.Error.WriteLineAsync("usage: ZeroPath.Benchmarks org-scale hasher|creates|scale|report --Name=value ... (see bench.sh --org-scale)");
            return 2;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args[1..]).Build();
        var results = configuration["Results"] ?? throw new InvalidOperationException("--Results is required.");
        Directory.CreateDirectory(results);
        switch (args[0])
        {
            case "hasher":
                {
                    var result = await HasherAsync(configuration);
                    await WriteAsync(results, configuration["Name"] ?? "hasher", result);
                    return 0;
                }

            case "creates":
                {
                    using var host = await ConnectAsync(configuration);
                    var result = await CreatesAsync(host.Services.GetRequiredService<IClusterClient>(), configuration);
                    await WriteAsync(results, configuration["Name"] ?? "creates", result);
                    await host.StopAsync();
                    return 0;
                }

            case "scale":
                {
                    using var host = await ConnectAsync(configuration);
                    var result = await new ScaleRun(host.Services.GetRequiredService<IClusterClient>(), configuration).RunAsync();
                    await WriteAsync(results, "scale", result);
                    await host.StopAsync();
                    return 0;
                }

            case "report":
                await OrgScaleReport.WriteAsync(configuration, results);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown org-scale phase {args[0]}");
                return 2;
        }
    }

    private static async Task WriteAsync(string results, string name, JsonObject result)
    {
        var text = result.ToJsonString(Json);
        await File.WriteAllTextAsync(Path.Combine(results, name + ".json"), text);
        Console.WriteLine(text);
    }

    private static int Int(IConfiguration configuration, string key, int fallback) =>
        configuration[key] is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>
    /// The hasher's own rate: N hashes of fresh secrets from C callers through one <see cref="TokenSecretHasher"/> with the
    /// production parameters (the defaults of <see cref="TokenHashingOptions"/>) and the given concurrency bound.
    /// </summary>
    private static async Task<JsonObject> HasherAsync(IConfiguration configuration)
    {
        var count = Int(configuration, "Hashes", 200);
        var callers = Int(configuration, "Callers", 8);
        var options = new TokenHashingOptions();
        if (configuration["Bound"] is { Length: > 0 } bound)
        {
            options.MaxConcurrentOperations = int.Parse(bound, CultureInfo.InvariantCulture);
        }

        using var hasher = new TokenSecretHasher(Options.Create(options));
        var ring = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["h1"] = new byte[32] }, "h1", acceptLegacySecrets: false);
        // Warm-up: JIT and the first allocation of Argon2's memory.
        for (var i = 0; i < 2; i++)
        {
            _ = await hasher.HashAsync(ring.NewSecret(Guid.NewGuid()));
        }

        var cpu = CpuMeter.Start(configuration);
        var next = -1;
        var busy = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                if (await hasher.HashAsync(ring.NewSecret(Guid.NewGuid())) is null)
                {
                    Interlocked.Increment(ref busy);
                }
            }
        })));
        watch.Stop();
        return new JsonObject
        {
            ["hashes"] = count,
            ["callers"] = callers,
            ["bound"] = options.MaxConcurrentOperations,
            ["argon2"] = $"m={options.MemoryKiB} KiB, t={options.Iterations}, p={options.Parallelism}",
            ["busy"] = busy,
            ["seconds"] = Round(watch.Elapsed.TotalSeconds, 2),
            ["perSecond"] = Round(count / watch.Elapsed.TotalSeconds, 2),
            ["foreignCpu"] = cpu.Foreign(),
        };
    }

    /// <summary>N creates into one new organization (one member) from C callers, after a short warm-up.</summary>
    private static async Task<JsonObject> CreatesAsync(IClusterClient client, IConfiguration configuration)
    {
        var count = Int(configuration, "Hashes", 200);
        var callers = Int(configuration, "Callers", 8);
        var org = client.GetGrain<IOrganizationGrain>($"bench-creates-{Guid.NewGuid():N}");
        await org.SetMember("creator", ["bench:create"]);
        for (var i = 0; i < 2; i++)
        {
            await CreateOneAsync(org, "creator");
        }

        var cpu = CpuMeter.Start(configuration);
        var next = -1;
        var latencies = new ConcurrentBag<double>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var started = Stopwatch.GetTimestamp();
                await CreateOneAsync(org, "creator");
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        watch.Stop();
        var sorted = latencies.Order().ToArray();
        return new JsonObject
        {
            ["creates"] = count,
            ["callers"] = callers,
            ["seconds"] = Round(watch.Elapsed.TotalSeconds, 2),
            ["perSecond"] = Round(count / watch.Elapsed.TotalSeconds, 2),
            ["meanMs"] = Round(sorted.Average(), 1),
            ["p50Ms"] = Round(Percentile(sorted, 0.5), 1),
            ["p99Ms"] = Round(Percentile(sorted, 0.99), 1),
            ["foreignCpu"] = cpu.Foreign(),
        };
    }

    /// <summary>One create, retried while the hasher answers Busy (its queue full); fails on anything else.</summary>
    internal static async Task<IssuedToken> CreateOneAsync(IOrganizationGrain org, string userId)
    {
        for (var attempt = 0; ; attempt++)
        {
            var result = await org.CreateToken(new CreateTokenCommand(userId, null, 365));
            switch (result.Status)
            {
                case CreateTokenStatus.Created:
                    return result.Token!;
                case CreateTokenStatus.Busy when attempt < 100:
                    await Task.Delay(20);
                    break;
                default:
                    throw new InvalidOperationException($"Create for {userId} answered {result.Status}.");
            }
        }
    }

    internal static double Round(double value, int digits) => Math.Round(value, digits);

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>A trusted cluster client: a gateway certificate for the silo's gateway port, and the call key.</summary>
    private static async Task<IHost> ConnectAsync(IConfiguration configuration)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var settings = new StartupSettings(builder.Configuration);
        var cluster = settings.Bind<ClusterConnectionOptions>(ClusterConnectionOptions.SectionName);
        cluster.Validate(settings);
        var tls = settings.Bind<ClusterTlsOptions>(ClusterTlsOptions.SectionName).Load(settings, ClusterRole.Gateway);
        settings.ThrowIfInvalid();
        builder.UseOrleansClient(client =>
        {
            client.UseTokenCluster(cluster, tls!);
            // Bulk calls on a 100,000-token organization (revoke-all reads every shard) may take longer than the default.
            client.Configure<ClientMessagingOptions>(m => m.ResponseTimeout = TimeSpan.FromMinutes(5));
            client.Services.AddClusterCallProof(builder.Configuration);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

/// <summary>
/// CPU time since a start, in clock ticks: the machine's (busy, not idle) and this benchmark's own (this process and the
/// pids given with <c>--Pids</c>: the silo and redis-server). The difference is what other processes took meanwhile.
/// </summary>
internal sealed class CpuMeter
{
    /// <summary>In /proc/stat's cpu line: user nice system (idle iowait) irq softirq steal.</summary>
    private static readonly int[] MachineFields = [1, 2, 3, 6, 7, 8];

    /// <summary>In /proc/pid/stat after the name: utime stime cutime cstime (fields 14-17 of the whole line).</summary>
    private static readonly int[] ProcessFields = [11, 12, 13, 14];

    private readonly int[] pids;
    private readonly long machineBefore;
    private readonly long ownBefore;
    private readonly Stopwatch watch = Stopwatch.StartNew();

    private CpuMeter(int[] pids)
    {
        this.pids = pids;
        machineBefore = MachineTicks();
        ownBefore = OwnTicks();
    }

    public static CpuMeter Start(IConfiguration configuration) =>
        new([Environment.ProcessId, .. (configuration["Pids"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))]);

    /// <summary>"X of Y s x 2 cores": CPU seconds other processes used during the measurement.</summary>
    public string Foreign()
    {
        const double ticks = 100.0; // USER_HZ on Linux
        var foreign = Math.Max(0, (MachineTicks() - machineBefore) - (OwnTicks() - ownBefore)) / ticks;
        return $"{foreign:F0} of {watch.Elapsed.TotalSeconds:F0} s x {Environment.ProcessorCount} cores";
    }

    private static long MachineTicks()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // user nice system (idle iowait) irq softirq steal
            return MachineFields.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private long OwnTicks() => pids.Sum(ProcessTicks);

    private static long ProcessTicks(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // After the name: utime stime cutime cstime are fields 12-15 (1-based), so 11-14 here.
            return ProcessFields.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Resident set (VmRSS) and its peak (VmHWM) of a process, in MiB; null when not readable.</summary>
    public static (double Rss, double Peak)? Memory(int pid)
    {
        try
        {
            var lines = File.ReadAllLines($"/proc/{pid}/status");
            double Field(string name) =>
                long.Parse(lines.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            return (Math.Round(Field("VmRSS:"), 0), Math.Round(Field("VmHWM:"), 0));
        }
        catch (IOException)
        {
            return null;
        }
    }
}
