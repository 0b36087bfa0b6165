using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    public ConfigurationOptions RedisConfiguration()
    {
        var options = ConfigurationOptions.Parse(Redis);
        // Keep retrying in the background instead of failing start-up or a call on a Redis blip.
        options.AbortOnConnectFail = false;
        if (RedisPassword.Length > 0)
        {
            options.Password = RedisPassword;
        }

        if (RedisUser.Length > 0)
        {
            options.User = RedisUser;
        }

        options.Ssl |= RedisTls || RedisCaCertificatePath.Length > 0;
        if (RedisCaCertificatePath.Length > 0)
        {
            var authorities = ClusterSecurity.ClusterCertificates.LoadCertificates(RedisCaCertificatePath);
            options.CertificateValidation += (_, certificate, _, errors) => certificate is not null
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && ClusterSecurity.ClusterCertificates.IssuedBy(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), authorities);
        }

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

        if (RedisCaCertificatePath.Length > 0)
        {
            try
            {
                _ = ClusterSecurity.ClusterCertificates.LoadCertificates(RedisCaCertificatePath);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                settings.Fail(SectionName, nameof(RedisCaCertificatePath), $"could not be read as a PEM certificate ({exception.Message}).");
            }
        }
    }
}
