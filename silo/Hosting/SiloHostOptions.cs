using System.Net;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

/// <summary>Where this silo listens and what address it advertises. Section <c>ZeroPath:Silo</c>.</summary>
public sealed class SiloHostOptions
{
    public const string SectionName = "ZeroPath:Silo";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port the gateways (Orleans clients) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP other silos and gateways reach this silo at (in Kubernetes: the pod IP, never a Service IP).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface instead of only the advertised address (containers).</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>Name shown in membership and logs (in Kubernetes: the pod name). Empty: Orleans picks one.</summary>
    public string SiloName { get; set; } = "";

    public IPAddress Address => IPAddress.Parse(AdvertisedAddress);

    public void Validate(StartupSettings settings)
    {
        settings.RequireRange(SectionName, nameof(SiloPort), SiloPort, 1, 65535);
        settings.RequireRange(SectionName, nameof(GatewayPort), GatewayPort, 1, 65535);
        if (!IPAddress.TryParse(AdvertisedAddress, out _))
        {
            settings.Fail(SectionName, nameof(AdvertisedAddress), $"must be an IP address (was '{AdvertisedAddress}').");
        }
    }
}

/// <summary>Durable grain state and reminders in Azure Table storage (Azurite locally). Section <c>ZeroPath:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "ZeroPath:Storage";

    /// <summary>Azure Storage connection string; <c>UseDevelopmentStorage=true</c> for Azurite on its default ports.</summary>
    public string ConnectionString { get; set; } = "";

    public string StateTable { get; set; } = "ZeroPathState";

    public string ReminderTable { get; set; } = "ZeroPathReminders";

    /// <summary>Retries of one storage request before it fails; with <see cref="NetworkTimeout"/> this bounds how long an admin call waits on a storage outage.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Time allowed for one storage request.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public Azure.Data.Tables.TableServiceClient CreateClient()
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
        if (settings.RequireText(SectionName, nameof(ConnectionString), ConnectionString, "the Azure Storage connection string for grain state and reminders"))
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
