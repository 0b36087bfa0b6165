using System.Globalization;

namespace ZeroPath.Bench.Edge;

/// <summary>What bench.sh hands the driver as <c>--Name=value</c> arguments; the addresses of every process it started.</summary>
internal sealed class BenchSettings
{
    private readonly Dictionary<string, string> values;

    private BenchSettings(Dictionary<string, string> values) => this.values = values;

    public Uri Admin => Url("Admin");
    public Uri Gateway1 => Url("Gateway1");
    public Uri Gateway2 => Url("Gateway2");
    public Uri GatewayNoCache => Url("GatewayNoCache");
    public Uri RedisEdge => Url("RedisEdge");
    public Uri PlainProxy => Url("PlainProxy");

    /// <summary>The gateway started for the refusal-timing scenario alone, after its tokens were made.</summary>
    public Uri GatewayTiming => Url("GatewayTiming");

    /// <summary>StackExchange.Redis connection string of the redis-server that RedisEdge reads.</summary>
    public string EdgeRedis => Required("EdgeRedis");

    public static string AdminKey => Environment.GetEnvironmentVariable("ZP_ADMIN_KEY") is { Length: > 0 } key
        ? key
        : throw new InvalidOperationException("ZP_ADMIN_KEY must be set.");

    /// <summary>
    /// The secret-format key (base64) bench.sh generated for this run, from the environment so that no command line
    /// shows it: the refusal-timing scenario makes secrets with valid tags, as only the cluster could.
    /// </summary>
    public static string FormatKey => Environment.GetEnvironmentVariable("ZP_BENCH_FORMAT_KEY") is { Length: > 0 } key
        ? key
        : throw new InvalidOperationException("ZP_BENCH_FORMAT_KEY must be set (bench.sh sets it for the timing steps).");

    public string LuaScript => Path.GetFullPath(Required("Lua"));
    public string Results => Path.GetFullPath(Required("Results"));
    public string ReportPath => Path.GetFullPath(Required("Report"));

    /// <summary>The secret format's current key id (2 characters), for well-formed new-format flood secrets.</summary>
    public string KeyId => Optional("KeyId", "b1");

    public int Threads => Int("Threads", 1);
    public int Connections => Int("Connections", 32);
    public int DurationSeconds => Int("Duration", 10);
    public int WarmupSeconds => Int("Warmup", 2);
    public int PrewarmSeconds => Int("Prewarm", 4);
    public int Tokens => Int("Tokens", 10_000);
    public int TokensPerOrg => Int("TokensPerOrg", 100);
    public int SeedParallelism => Int("SeedParallelism", 64);
    public int PropagationEvents => Int("PropagationEvents", 200);
    public int FloodRate => Int("FloodRate", 1_000);
    public int FloodConnections => Int("FloodConnections", 128);
    public int ColdTokens => Int("ColdTokens", 40);

    /// <summary>Refusal timing: which token sets timing-seed creates (cheap or argon2, see <see cref="TimingKinds"/>).</summary>
    public string TimingSet => Required("TimingSet");

    /// <summary>Refusal timing: ids per kind, each asked first once (the cold samples).</summary>
    public int TimingCold => Int("TimingCold", 200);

    /// <summary>Refusal timing: repeated requests per kind over those ids (the warm samples).</summary>
    public int TimingWarm => Int("TimingWarm", 2_000);

    /// <summary>Refusal timing: ids per kind in the discarded warm-up pass before the measurement.</summary>
    public int TimingWarmupIds => Int("TimingWarmupIds", 10);

    /// <summary>Refusal timing: the pause after each answer before the next request, in milliseconds.</summary>
    public int TimingGapMs => Int("TimingGapMs", 2);

    /// <summary>Refusal timing: the seed of the request order (random when not given; the report shows it).</summary>
    public int TimingSeed => Int("TimingSeed", Random.Shared.Next());

    /// <summary>Refusal timing: CPU seconds other processes used during the measurement (timing report).</summary>
    public string? TimingForeignCpu => values.GetValueOrDefault("TimingForeignCpu");

    /// <summary>How bench.sh was invoked, for the report.</summary>
    public string Invocation => Optional("Invocation", "./bench.sh");

    /// <summary>The SDK that built everything (<c>dotnet --version</c>, from bench.sh).</summary>
    public string Sdk => Optional("Sdk", "unknown");

    /// <summary>The load averages when bench.sh started, before it built or started anything.</summary>
    public string? LoadBefore => values.GetValueOrDefault("LoadBefore");

    /// <summary>How the silo hashed the seeded tokens, as said in the report.</summary>
    public string SeedArgon2 => Optional("SeedArgon2", "m=64 KiB, t=1");

    /// <summary>How the restarted silo hashes the tokens of scenario (i), as said in the report.</summary>
    public string ColdArgon2 => Optional("ColdArgon2", "m=19456 KiB, t=2, p=1");

    /// <summary>Seconds bench.sh has run so far (report phase), for the report.</summary>
    public double? ElapsedSeconds => values.TryGetValue("Elapsed", out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : null;

    /// <summary>CPU seconds that processes bench.sh did not start used during phase 1 (report phase).</summary>
    public string? ForeignCpu => values.GetValueOrDefault("ForeignCpu");

    public static BenchSettings Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in args)
        {
            var separator = arg.IndexOf('=', StringComparison.Ordinal);
            if (!arg.StartsWith("--", StringComparison.Ordinal) || separator < 3)
            {
                throw new ArgumentException($"Expected --Name=value, got '{arg}'.");
            }

            values[arg[2..separator]] = arg[(separator + 1)..];
        }

        return new BenchSettings(values);
    }

    private string Required(string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new ArgumentException($"--{name}= is required.");

    private string Optional(string name, string fallback) => values.TryGetValue(name, out var value) && value.Length > 0 ? value : fallback;

    private Uri Url(string name) => new(Required(name));

    private int Int(string name, int fallback) =>
        values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
