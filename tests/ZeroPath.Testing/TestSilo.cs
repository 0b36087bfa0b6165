using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using ZeroPath.Grains;

namespace ZeroPath.Testing;

/// <summary>
/// One real silo on free loopback ports with the production grains, memory storage and a fake clock, for tests that
/// need an external Orleans client (the gateway) to connect over TCP.
/// </summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost host;

    private TestSilo(IHost host, int gatewayPort, string clusterId, string serviceId, FakeTimeProvider clock)
    {
        this.host = host;
        GatewayPort = gatewayPort;
        ClusterId = clusterId;
        ServiceId = serviceId;
        Clock = clock;
    }

    public int GatewayPort { get; }
    public string ClusterId { get; }
    public string ServiceId { get; }
    public FakeTimeProvider Clock { get; }
    public IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();

    public static async Task<TestSilo> StartAsync()
    {
        var clock = new FakeTimeProvider(TestSettings.Epoch);
        var siloPort = FreeTcpPort.Next();
        var gatewayPort = FreeTcpPort.Next();
        var clusterId = $"test-{Guid.NewGuid():N}";
        const string serviceId = "zeropath-tests";

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: serviceId, clusterId: clusterId);
            silo.AddMemoryGrainStorage(GrainStorageNames.Tokens);
        });
        builder.Services.AddZeroPathGrains(TestSettings.FastArgon2Configuration());
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        var host = builder.Build();
        await host.StartAsync();
        return new TestSilo(host, gatewayPort, clusterId, serviceId, clock);
    }

    /// <summary>Gateway configuration that points an Orleans client at this silo.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ClientSettings() =>
    [
        new("ZeroPath:Cluster:ClusterId", ClusterId),
        new("ZeroPath:Cluster:ServiceId", ServiceId),
        new("ZeroPath:Cluster:GatewayPorts:0", GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
