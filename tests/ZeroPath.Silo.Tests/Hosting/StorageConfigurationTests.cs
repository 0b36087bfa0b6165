using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using StackExchange.Redis;
using ZeroPath.Grains;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Hosting;

public class StorageConfigurationTests
{
    private const string Azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;";

    public static TheoryData<Dictionary<string, string?>, string> BadSettings => new()
    {
        { new() { ["ZeroPath:Storage:Provider"] = "Mongo" }, "ZeroPath:Storage:Provider" },
        { new() { ["ZeroPath:Storage:Provider"] = "1" }, "ZeroPath:Storage:Provider" },
        { new() { ["ZeroPath:Storage:Provider"] = "Redis,AzureTable" }, "ZeroPath:Storage:Provider" },
        // An Azure connection string with no provider: a deployment from before Redis was the default must choose, not
        // silently start over on an empty Redis.
        { new() { ["ZeroPath:Storage:ConnectionString"] = Azurite }, "ZeroPath:Storage:Provider" },
        { new() { ["ZeroPath:Storage:Provider"] = "AzureTable" }, "ZeroPath:Storage:ConnectionString" },
        { new() { ["ZeroPath:Storage:Provider"] = "AzureTable", ["ZeroPath:Storage:ConnectionString"] = "not a connection string" }, "ZeroPath:Storage:ConnectionString" },
        { new() { ["ZeroPath:Storage:Provider"] = "AzureTable", ["ZeroPath:Storage:ConnectionString"] = Azurite, ["ZeroPath:Storage:Redis"] = "127.0.0.1:6379" }, "ZeroPath:Storage:Redis" },
        { new() { ["ZeroPath:Storage:Provider"] = "Redis", ["ZeroPath:Storage:ConnectionString"] = Azurite }, "ZeroPath:Storage:ConnectionString" },
        { new() { ["ZeroPath:Storage:Redis"] = "127.0.0.1:6379,abortConnect=maybe" }, "ZeroPath:Storage:Redis" },
        { new() { ["ZeroPath:Storage:RedisPassword"] = "only-for-a-separate-redis" }, "ZeroPath:Storage:RedisPassword" },
        { new() { ["ZeroPath:Storage:Redis"] = "127.0.0.1:6379", ["ZeroPath:Storage:RedisCaCertificatePath"] = "/nonexistent/ca.pem" }, "ZeroPath:Storage:RedisCaCertificatePath" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_wrong_storage_setting_stops_start_up_with_a_message_naming_it(Dictionary<string, string?> settings, string key)
    {
        using var factory = new SiloFactory { Overrides = settings };

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var configuration = Assert.IsType<InvalidOperationException>(error.GetBaseException());
        Assert.StartsWith("Invalid configuration:", configuration.Message, StringComparison.Ordinal);
        Assert.Contains(key + " (environment variable " + key.Replace(":", "__", StringComparison.Ordinal) + ")", configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("AZURETABLE")]
    public void Provider_names_are_matched_without_case(string provider)
    {
        var options = new ZeroPath.Silo.Hosting.StorageOptions { Provider = provider, ConnectionString = provider == "redis" ? "" : Azurite };
        var settings = new ZeroPath.ServiceDefaults.StartupSettings(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());

        options.Validate(settings);
        settings.ThrowIfInvalid();

        Assert.Equal(provider.ToUpperInvariant(), options.EffectiveProvider.ToString().ToUpperInvariant());
    }

    [Fact]
    public async Task With_nothing_set_state_and_reminders_go_to_the_cluster_Redis()
    {
        var serviceId = TestSettings.UniqueId("default-storage");
        await using var factory = new SiloFactory { Overrides = new Dictionary<string, string?> { ["ZeroPath:Cluster:ServiceId"] = serviceId } };
        var key = await WriteSampleAsync(factory);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(await TestServers.RedisAsync());
        Assert.True(await redis.GetDatabase().KeyExistsAsync($"{serviceId}/state/zp-config/{key}/state"));
        Assert.True(await redis.GetDatabase().KeyExistsAsync($"{serviceId}/reminders"));
    }

    [Fact]
    public async Task A_separate_storage_Redis_is_used_with_its_own_password_and_the_cluster_Redis_holds_no_state()
    {
        const string password = "storage-redis-password-0123456789";
        await using var storageRedis = await TestServers.StartRedisAsync(password: password);
        var serviceId = TestSettings.UniqueId("separate-storage");
        await using var factory = new SiloFactory
        {
            Overrides = new Dictionary<string, string?>
            {
                ["ZeroPath:Cluster:ServiceId"] = serviceId,
                ["ZeroPath:Storage:Provider"] = "Redis",
                ["ZeroPath:Storage:Redis"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{storageRedis.Port},abortConnect=false"),
                ["ZeroPath:Storage:RedisPassword"] = password,
            },
        };
        var key = await WriteSampleAsync(factory);

        var stateKey = $"{serviceId}/state/zp-config/{key}/state";
        await using var separate = await ConnectionMultiplexer.ConnectAsync(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{storageRedis.Port},password={password}"));
        await using var cluster = await ConnectionMultiplexer.ConnectAsync(await TestServers.RedisAsync());
        Assert.True(await separate.GetDatabase().KeyExistsAsync(stateKey));
        Assert.True(await separate.GetDatabase().KeyExistsAsync($"{serviceId}/reminders"));
        Assert.False(await cluster.GetDatabase().KeyExistsAsync(stateKey));
        Assert.False(await cluster.GetDatabase().KeyExistsAsync($"{serviceId}/reminders"));
    }

    /// <summary>A state and a reminder through the silo's own storage; returns the grain key.</summary>
    private static async Task<string> WriteSampleAsync(SiloFactory factory)
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = GrainId.Create("zp-config", key);
        await factory.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Tokens).WriteStateAsync("state", grain, new GrainState<string>("stored"));
        await factory.Services.GetRequiredService<IReminderTable>().UpsertRow(new ReminderEntry
        {
            GrainId = grain,
            ReminderName = "later",
            StartAt = new DateTime(2031, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            Period = TimeSpan.FromHours(1),
        });
        var read = new GrainState<string>();
        await factory.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Tokens).ReadStateAsync("state", grain, read);
        Assert.Equal("stored", read.State);
        return key;
    }
}
