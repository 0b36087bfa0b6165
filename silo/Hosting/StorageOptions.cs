using StackExchange.Redis;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

/// <summary>Where grain state and reminders are stored.</summary>
public enum StorageProvider
{
    /// <summary>Redis (the default): the cluster's own Redis unless <c>ZeroPath:Storage:Redis</c> names another.</summary>
    Redis,

    /// <summary>Azure Table storage (Azurite locally).</summary>
    AzureTable,
}

/// <summary>
/// Durable grain state and reminders, both in the one store chosen by <see cref="Provider"/>. Section
/// <c>ZeroPath:Storage</c>. Nothing moves between providers by itself: a silo reads only the store it is configured with.
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "ZeroPath:Storage";

    /// <summary>
    /// <c>Redis</c> or <c>AzureTable</c>. Empty means Redis, unless an Azure <see cref="ConnectionString"/> is set: then
    /// start-up stops and asks for an explicit choice, so a deployment that stored its tokens in Azure Table storage
    /// does not silently start over on an empty Redis.
    /// </summary>
    public string Provider { get; set; } = "";

    /// <summary>A separate Redis for state and reminders (StackExchange.Redis connection string). Empty: the cluster's Redis, with its password, user and TLS settings.</summary>
    public string Redis { get; set; } = "";

    /// <summary>The password of the separate storage Redis (<c>ZeroPath__Storage__RedisPassword</c>, from a secret). Only with <see cref="Redis"/>.</summary>
    public string RedisPassword { get; set; } = "";

    /// <summary>The ACL user of the separate storage Redis. Only with <see cref="Redis"/>.</summary>
    public string RedisUser { get; set; } = "";

    /// <summary>TLS to the separate storage Redis (also <c>ssl=true</c> in its connection string). Only with <see cref="Redis"/>.</summary>
    public bool RedisTls { get; set; }

    /// <summary>A CA certificate (PEM) that must have issued the separate storage Redis' certificate. Only with <see cref="Redis"/>.</summary>
    public string RedisCaCertificatePath { get; set; } = "";

    /// <summary>Azure Storage connection string (<c>AzureTable</c> only); <c>UseDevelopmentStorage=true</c> for Azurite on its default ports.</summary>
    public string ConnectionString { get; set; } = "";

    public string StateTable { get; set; } = "ZeroPathState";

    public string ReminderTable { get; set; } = "ZeroPathReminders";

    /// <summary>Retries of one Azure Table request before it fails; with <see cref="NetworkTimeout"/> this bounds how long an admin call waits on a storage outage.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Time allowed for one Azure Table request.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The chosen provider; call after <see cref="Validate"/> found no problem.</summary>
    public StorageProvider EffectiveProvider =>
        Provider.Length == 0 ? StorageProvider.Redis : Enum.Parse<StorageProvider>(KnownProvider(Provider)!);

    /// <summary>A new client configuration for the storage Redis: the separate one if configured, else the cluster's.</summary>
    public ConfigurationOptions RedisConfiguration(ClusterConnectionOptions cluster) =>
        Redis.Length > 0
            ? RedisConnection.Configure(Redis, RedisPassword, RedisUser, RedisTls, RedisCaCertificatePath)
            : cluster.RedisConfiguration();

    public Azure.Data.Tables.TableServiceClient CreateTableClient()
    {
        var options = new Azure.Data.Tables.TableClientOptions();
        options.Retry.MaxRetries = MaxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = NetworkTimeout;
        return new Azure.Data.Tables.TableServiceClient(ConnectionString, options);
    }

    public void Validate(StartupSettings settings)
    {
        if (Provider.Length == 0)
        {
            if (ConnectionString.Length > 0)
            {
                settings.Fail(SectionName, nameof(Provider), "must be set when ZeroPath:Storage:ConnectionString is: AzureTable keeps using the state stored there, Redis starts from what the storage Redis holds (nothing moves between them).");
            }
        }
        else if (KnownProvider(Provider) is null)
        {
            settings.Fail(SectionName, nameof(Provider), $"must be Redis or AzureTable (was '{Provider}').");
            return;
        }

        if (EffectiveProvider == StorageProvider.AzureTable)
        {
            ValidateAzureTable(settings);
            foreach (var (key, value) in new[] { (nameof(Redis), Redis), (nameof(RedisPassword), RedisPassword), (nameof(RedisUser), RedisUser), (nameof(RedisCaCertificatePath), RedisCaCertificatePath) })
            {
                if (value.Length > 0)
                {
                    settings.Fail(SectionName, key, "is a Redis storage setting, but ZeroPath:Storage:Provider is AzureTable.");
                }
            }
        }
        else
        {
            if (Provider.Length > 0 && ConnectionString.Length > 0)
            {
                settings.Fail(SectionName, nameof(ConnectionString), "is an Azure Table storage setting, but ZeroPath:Storage:Provider is Redis: remove it, or set the provider to AzureTable.");
            }

            RedisConnection.Validate(settings, SectionName, nameof(Redis), Redis, nameof(RedisCaCertificatePath), RedisCaCertificatePath);
            if (Redis.Length == 0)
            {
                foreach (var (key, value) in new[] { (nameof(RedisPassword), RedisPassword), (nameof(RedisUser), RedisUser), (nameof(RedisCaCertificatePath), RedisCaCertificatePath) })
                {
                    if (value.Length > 0)
                    {
                        settings.Fail(SectionName, key, "applies to a separate storage Redis only: set ZeroPath:Storage:Redis too, or use the ZeroPath:Cluster setting of the same name.");
                    }
                }
            }
        }
    }

    /// <summary>The provider's name as declared, matched without case; null for anything else (numbers, lists).</summary>
    private static string? KnownProvider(string name) =>
        Enum.GetNames<StorageProvider>().FirstOrDefault(known => known.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));

    private void ValidateAzureTable(StartupSettings settings)
    {
        if (settings.RequireText(SectionName, nameof(ConnectionString), ConnectionString, "the Azure Storage connection string for grain state and reminders when the provider is AzureTable"))
        {
            try
            {
                _ = new Azure.Data.Tables.TableServiceClient(ConnectionString);
            }
            catch (Exception exception) when (exception is FormatException or ArgumentException or InvalidOperationException)
            {
                settings.Fail(SectionName, nameof(ConnectionString), "is not a valid Azure Storage connection string.");
            }
        }

        settings.RequireText(SectionName, nameof(StateTable), StateTable, "the table holding grain state");
        settings.RequireText(SectionName, nameof(ReminderTable), ReminderTable, "the table holding reminders");
        settings.RequireRange(SectionName, nameof(MaxRetries), MaxRetries, 0, 10);
    }
}
