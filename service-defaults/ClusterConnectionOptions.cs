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

    /// <summary>
    /// The Redis password (<c>requirepass</c> or an ACL user's), kept apart from the connection string so it can come
    /// from a secret (<c>ZeroPath__Cluster__RedisPassword</c>). Overrides a password in the connection string.
    /// </summary>
    public string RedisPassword { get; set; } = "";

    /// <summary>The ACL user name, if the password is a user's rather than <c>requirepass</c>.</summary>
    public string RedisUser { get; set; } = "";

    /// <summary>TLS to Redis (also <c>ssl=true</c> in the connection string).</summary>
    public bool RedisTls { get; set; }

    /// <summary>
    /// With TLS: a CA certificate (PEM) that must have issued the Redis server's certificate, for a private CA the
    /// machine does not trust. Without it the machine's trust store decides.
    /// </summary>
    public string RedisCaCertificatePath { get; set; } = "";

    public ConfigurationOptions RedisConfiguration() =>
        RedisConnection.Configure(Redis, RedisPassword, RedisUser, RedisTls, RedisCaCertificatePath);

    public void Validate(StartupSettings settings)
    {
        settings.RequireText(SectionName, nameof(ClusterId), ClusterId, "the Orleans cluster id; silos and gateways must agree");
        settings.RequireText(SectionName, nameof(ServiceId), ServiceId, "the Orleans service id; stored state is keyed by it");
        settings.RequireText(SectionName, nameof(Redis), Redis, "the Redis connection for cluster membership, e.g. 127.0.0.1:6379");
        RedisConnection.Validate(settings, SectionName, nameof(Redis), Redis, nameof(RedisCaCertificatePath), RedisCaCertificatePath);
    }
}
