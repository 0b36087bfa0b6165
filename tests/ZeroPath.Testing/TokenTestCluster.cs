using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Reminders;
using Orleans.TestingHost;
using ZeroPath.Grains;

namespace ZeroPath.Testing;

/// <summary>An in-process Orleans test cluster running the production grains on memory storage and a fake clock.</summary>
public sealed class TokenTestCluster : IAsyncDisposable
{
    private TokenTestCluster(InProcessTestCluster cluster, FakeTimeProvider clock)
    {
        Cluster = cluster;
        Clock = clock;
    }

    public InProcessTestCluster Cluster { get; }
    public FakeTimeProvider Clock { get; }
    public IGrainFactory Grains => Cluster.Client;

    /// <param name="silos">How many silos.</param>
    /// <param name="productionArgon2">Production Argon2 cost instead of the cheap test parameters (for benchmarks).</param>
    /// <param name="remindersOnFakeClock">Reminders follow the fake clock (expiry ticks fire as it moves) or real time (they never fire in a test).</param>
    /// <param name="configure">Applied to each silo after the defaults (e.g. to observe storage).</param>
    public static async Task<TokenTestCluster> StartAsync(
        short silos = 1, bool productionArgon2 = false, bool remindersOnFakeClock = true, Action<ISiloBuilder>? configure = null)
    {
        var clock = new FakeTimeProvider(TestSettings.Epoch);
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(GrainStorageNames.Tokens);
            // The storage serializer production uses (plain System.Text.Json), so tests store state as production does.
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.Services.AddZeroPathGrains(
                productionArgon2 ? TestSettings.ProductionArgon2Configuration() : TestSettings.FastArgon2Configuration());
            silo.Services.AddSingleton<TimeProvider>(clock);
            silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            // Reminders on the fake clock too, re-read every second, so an expiry tick follows an Advance promptly.
            silo.UseInMemoryReminderService();
            if (remindersOnFakeClock)
            {
                silo.Services.AddKeyedSingleton<TimeProvider>(ReminderTimeProviderNames.Reminders, clock);
            }

            silo.Configure<ReminderOptions>(o => o.RefreshReminderListPeriod = TimeSpan.FromSeconds(1));
            silo.Configure<SiloConnectionOptions>(TestCertificates.Silo.ApplyTo);
            configure?.Invoke(silo);
        });
        // The test client is a trusted tool: a gateway certificate to connect, and the call key to call any grain.
        builder.ConfigureClient(client =>
        {
            client.Configure<ClientConnectionOptions>(TestCertificates.Gateway.ApplyTo);
            client.Services.AddClusterCallProof(new ConfigurationBuilder().AddInMemoryCollection(TestSettings.CallKey).Build());
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new TokenTestCluster(cluster, clock);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
