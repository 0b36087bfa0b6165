using System.Globalization;
using ZeroPath.ServiceDefaults.ClusterSecurity;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// Ports and settings for a local cluster of real processes (silos, gateways, a demo upstream) on a given Redis, unique
/// to one test. Grain state and reminders go to the default provider (that Redis) unless <paramref name="storage"/> says
/// otherwise (e.g. <see cref="TestSettings.AzureTableStorage"/>). Silo <c>i</c> keeps its ports across restarts, like a
/// pod keeps its name.
/// </summary>
public sealed class LocalSystem(string redis, IReadOnlyDictionary<string, string?>? storage = null)
{
    public const string AdminKey = "e2e-admin-key-0123456789";
    private readonly Dictionary<int, (int Admin, int Silo, int Gateway)> siloPorts = [];
    private readonly Dictionary<int, int> gatewayPorts = [];

    public string ClusterId { get; } = $"e2e-{Guid.NewGuid():N}";
    public string Redis { get; } = redis;

    /// <summary>The Redis password, handed to silos and gateways in their environment (not on their command line).</summary>
    public string RedisPassword { get; init; } = "";
    public int UpstreamPort { get; } = FreeTcpPort.Next();

    /// <summary>Extra environment for every silo and gateway (e.g. the OTEL_* variables of the telemetry tests).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>Extra settings for every silo (e.g. cheap Argon2 for tests that issue many tokens).</summary>
    public Dictionary<string, string> SiloSettings { get; } = new(
        TestSettings.SecretFormat.Concat(TestSettings.CallKey).Concat(TestCertificates.Settings(ClusterRole.Silo)).Select(s => KeyValuePair.Create(s.Key, s.Value!)))
    {
        // The most verbose our own code logs, so "never logged" is checked against everything it could say.
        ["Logging:LogLevel:ZeroPath"] = "Trace",
    };

    /// <summary>Extra settings for every gateway (e.g. a Prometheus scrape listener).</summary>
    public Dictionary<string, string> GatewaySettings { get; } = [];

    /// <summary>A system on the shared test Redis, grain state and reminders in it too.</summary>
    public static async Task<LocalSystem> CreateAsync() => new(await TestServers.RedisAsync());

    public LocalSystem WithCheapArgon2()
    {
        foreach (var (key, value) in TestSettings.FastArgon2)
        {
            SiloSettings[key] = value!;
        }

        return this;
    }

    public ProductProcess StartSilo(int index = 0)
    {
        if (!siloPorts.TryGetValue(index, out var ports))
        {
            ports = siloPorts[index] = (FreeTcpPort.Next(), FreeTcpPort.Next(), FreeTcpPort.Next());
        }

        var settings = new Dictionary<string, string>(SiloSettings)
        {
            ["ZeroPath:Cluster:ClusterId"] = ClusterId,
            ["ZeroPath:Cluster:Redis"] = Redis,
            ["ZeroPath:Silo:SiloName"] = $"silo-{index}",
            ["ZeroPath:Silo:SiloPort"] = Invariant(ports.Silo),
            ["ZeroPath:Silo:GatewayPort"] = Invariant(ports.Gateway),
        };
        foreach (var (key, value) in storage ?? new Dictionary<string, string?>())
        {
            settings[key] = value!;
        }

        return ProductProcess.Start("silo", "ZeroPath.Silo", ports.Admin, settings, ProcessEnvironment(new() { ["ZP_ADMIN_KEY"] = AdminKey }));
    }

    public ProductProcess StartGateway(int index = 0)
    {
        if (!gatewayPorts.TryGetValue(index, out var port))
        {
            port = gatewayPorts[index] = FreeTcpPort.Next();
        }

        var settings = new Dictionary<string, string>(TestSettings.SecretFormat.Concat(TestCertificates.Settings(ClusterRole.Gateway)).Select(s => KeyValuePair.Create(s.Key, s.Value!)))
        {
            ["ZeroPath:Cluster:ClusterId"] = ClusterId,
            ["ZeroPath:Cluster:Redis"] = Redis,
            ["ZeroPath:Upstreams:V1"] = $"http://127.0.0.1:{UpstreamPort}",
            ["ZeroPath:Upstreams:V2"] = $"http://127.0.0.1:{UpstreamPort}",
            ["Logging:LogLevel:ZeroPath"] = "Trace",
        };
        foreach (var (key, value) in GatewaySettings)
        {
            settings[key] = value;
        }

        return ProductProcess.Start("gateway", "ZeroPath.Gateway", port, settings, ProcessEnvironment([]));
    }

    public ProductProcess StartUpstream() =>
        ProductProcess.Start("tools/demo-upstream", "ZeroPath.DemoUpstream", UpstreamPort, new Dictionary<string, string>());

    private Dictionary<string, string> ProcessEnvironment(Dictionary<string, string> environment)
    {
        foreach (var (key, value) in Environment)
        {
            environment[key] = value;
        }

        if (RedisPassword.Length > 0)
        {
            environment["ZeroPath__Cluster__RedisPassword"] = RedisPassword;
        }

        return environment;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
