using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.TestingHost;
using ZeroPath.Grains;
using ZeroPath.ServiceDefaults.ClusterSecurity;

namespace ZeroPath.Testing;

/// <summary>
/// One real silo on free loopback ports with the production grains, real Redis membership, memory storage and a fake
/// clock, for tests that need an external Orleans client (the gateway) to find it and connect over TCP.
/// </summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost host;

    private TestSilo(IHost host, string redis, string clusterId, string serviceId, FakeTimeProvider clock)
    {
        this.host = host;
        Redis = redis;
        ClusterId = clusterId;
        ServiceId = serviceId;
        Clock = clock;
    }

    public string Redis { get; }
    public string ClusterId { get; }
    public string ServiceId { get; }
    public FakeTimeProvider Clock { get; }
    public IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();

    /// <param name="joining">Join this silo's cluster instead of starting a new one.</param>
    /// <param name="tls">The silo's TLS material; the test silo certificate by default.</param>
    /// <param name="configure">Applied last to the silo.</param>
    public static async Task<TestSilo> StartAsync(TestSilo? joining = null, ClusterTlsMaterial? tls = null, Action<ISiloBuilder>? configure = null)
    {
        var clock = joining?.Clock ?? new FakeTimeProvider(TestSettings.Epoch);
        var siloPort = FreeTcpPort.Next();
        var gatewayPort = FreeTcpPort.Next();
        var clusterId = joining?.ClusterId ?? $"test-{Guid.NewGuid():N}";
        const string serviceId = "zeropath-tests";
        var redis = await TestServers.RedisAsync();

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            silo.ConfigureEndpoints(System.Net.IPAddress.Loopback, siloPort, gatewayPort);
            silo.UseRedisClustering(redis);
            silo.AddMemoryGrainStorage(GrainStorageNames.Tokens);
            // The storage serializer production uses (plain System.Text.Json), so tests store state as production does.
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.UseInMemoryReminderService();
            silo.Configure<SiloConnectionOptions>((tls ?? TestCertificates.Silo).ApplyTo);
            configure?.Invoke(silo);
        });
        builder.Services.AddZeroPathGrains(TestSettings.FastArgon2Configuration());
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        var host = builder.Build();
        await host.StartAsync();
        return new TestSilo(host, redis, clusterId, serviceId, clock);
    }

    /// <summary>Gateway configuration that points an Orleans client at this silo and checks secrets with its format key.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ClientSettings() =>
    [
        new("ZeroPath:Cluster:ClusterId", ClusterId),
        new("ZeroPath:Cluster:ServiceId", ServiceId),
        new("ZeroPath:Cluster:Redis", Redis),
        .. TestSettings.SecretFormat,
        .. TestCertificates.Settings(ClusterRole.Gateway),
    ];

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
