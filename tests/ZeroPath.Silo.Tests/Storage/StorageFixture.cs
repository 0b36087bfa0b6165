using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using ZeroPath.Grains;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Storage;

/// <summary>
/// A real silo (the silo's own host and hosting code, <c>AddTokenStorage</c> included) on one storage provider and a real
/// server for it, with a service id of its own so its records and reminders are its own. The contract tests use the
/// <see cref="IGrainStorage"/> and <see cref="IReminderTable"/> that silo built, exactly as its grains do.
/// </summary>
public abstract class StorageFixture : IAsyncLifetime, IDisposable
{
    private SiloFactory? silo;

    public string ServiceId { get; } = TestSettings.UniqueId("contract");

    public SiloFactory Silo => silo ?? throw new InvalidOperationException("The fixture has not started.");

    public IGrainStorage Storage => Silo.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Tokens);

    public IReminderTable Reminders => Silo.Services.GetRequiredService<IReminderTable>();

    /// <summary>The <c>ZeroPath:Storage</c> settings of the provider under test.</summary>
    protected abstract Task<IReadOnlyDictionary<string, string?>> StorageSettingsAsync();

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>(await StorageSettingsAsync()) { ["ZeroPath:Cluster:ServiceId"] = ServiceId };
        silo = new SiloFactory { Overrides = settings };
        // Starting the host runs the silo lifecycle, which connects the grain storage and starts the reminder table.
        _ = silo.Services;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        silo?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Redis, the default provider, on the test Redis (the cluster's own, as <c>./run.sh</c> has it).</summary>
public sealed class RedisStorageFixture : StorageFixture
{
    protected override Task<IReadOnlyDictionary<string, string?>> StorageSettingsAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?> { ["ZeroPath:Storage:Provider"] = "Redis" });
}

/// <summary>Azure Table storage, on the test Azurite.</summary>
public sealed class AzureTableStorageFixture : StorageFixture
{
    protected override async Task<IReadOnlyDictionary<string, string?>> StorageSettingsAsync() =>
        TestSettings.AzureTableStorage(await TestServers.StorageAsync());
}
