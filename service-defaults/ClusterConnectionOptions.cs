using StackExchange.Redis;

namespace ZeroPath.ServiceDefaults;

/// <summary>Which cluster a silo joins or a gateway talks to, and where its membership lives. Section <c>ZeroPath:Cluster</c>.</summary>
public sealed class ClusterConnectionOptions
{
    public const string SectionName = "ZeroPath:Cluster";

    public string ClusterId { get; set; } = "zeropath-local";

    /// <summary>Stable across deployments: stored state and reminders are keyed by it.</summary>
    public string ServiceId { get; set; } = "zeropath";

    /// <summary>StackExchange.Redis connection string of the membership store, e.g. <c>127.0.0.1:6379</c>.</summary>
    public string Redis { get; set; } = "";

    public ConfigurationOptions RedisConfiguration()
    {
        var options = ConfigurationOptions.Parse(Redis);
        // Keep retrying in the background instead of failing start-up or a call on a Redis blip.
        options.AbortOnConnectFail = false;
        return options;
    }

    public void Validate(StartupSettings settings)
    {
        settings.RequireText(SectionName, nameof(ClusterId), ClusterId, "the Orleans cluster id; silos and gateways must agree");
        settings.RequireText(SectionName, nameof(ServiceId), ServiceId, "the Orleans service id; stored state is keyed by it");
        if (settings.RequireText(SectionName, nameof(Redis), Redis, "the Redis connection for cluster membership, e.g. 127.0.0.1:6379"))
        {
            try
            {
                _ = ConfigurationOptions.Parse(Redis);
            }
            catch (ArgumentException exception)
            {
                settings.Fail(SectionName, nameof(Redis), $"is not a valid Redis connection string ({exception.Message})");
            }
        }
    }
}
