using System.Globalization;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>Ports and settings for one silo, one gateway and one demo upstream, unique to one test.</summary>
public sealed class LocalSystem(string redis, string storage)
{
    public const string AdminKey = "e2e-admin-key-0123456789";

    public string ClusterId { get; } = $"e2e-{Guid.NewGuid():N}";
    public string Redis { get; } = redis;
    public string Storage { get; } = storage;

    /// <summary>A system on the shared test Redis and Azurite.</summary>
    public static async Task<LocalSystem> CreateAsync() => new(await TestServers.RedisAsync(), await TestServers.StorageAsync());
    public int AdminPort { get; } = FreeTcpPort.Next();
    public int SiloPort { get; } = FreeTcpPort.Next();
    public int OrleansGatewayPort { get; } = FreeTcpPort.Next();
    public int GatewayPort { get; } = FreeTcpPort.Next();
    public int UpstreamPort { get; } = FreeTcpPort.Next();

    public ProductProcess StartSilo() => ProductProcess.Start(
        "silo",
        "ZeroPath.Silo",
        AdminPort,
        new Dictionary<string, string>
        {
            ["ZeroPath:Cluster:ClusterId"] = ClusterId,
            ["ZeroPath:Cluster:Redis"] = Redis,
            ["ZeroPath:Storage:ConnectionString"] = Storage,
            ["ZeroPath:Silo:SiloPort"] = Invariant(SiloPort),
            ["ZeroPath:Silo:GatewayPort"] = Invariant(OrleansGatewayPort),
            // The most verbose our own code logs, so "never logged" is checked against everything it could say.
            ["Logging:LogLevel:ZeroPath"] = "Trace",
        },
        new Dictionary<string, string> { ["ZP_ADMIN_KEY"] = AdminKey });

    public ProductProcess StartGateway() => ProductProcess.Start(
        "gateway",
        "ZeroPath.Gateway",
        GatewayPort,
        new Dictionary<string, string>
        {
            ["ZeroPath:Cluster:ClusterId"] = ClusterId,
            ["ZeroPath:Cluster:Redis"] = Redis,
            ["ZeroPath:Upstreams:V1"] = $"http://127.0.0.1:{UpstreamPort}",
            ["ZeroPath:Upstreams:V2"] = $"http://127.0.0.1:{UpstreamPort}",
            ["Logging:LogLevel:ZeroPath"] = "Trace",
        });

    public ProductProcess StartUpstream() =>
        ProductProcess.Start("tools/demo-upstream", "ZeroPath.DemoUpstream", UpstreamPort, new Dictionary<string, string>());

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
