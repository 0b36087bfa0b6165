using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace ZeroPath.ServiceDefaults;

/// <summary>
/// One Redis connection as configured: a StackExchange.Redis connection string and, kept apart so they can come from
/// secrets, a password, an ACL user, TLS and a private CA. The cluster's membership Redis and a separate storage Redis
/// are both described this way.
/// </summary>
public static class RedisConnection
{
    public static ConfigurationOptions Configure(string connection, string password, string user, bool tls, string caCertificatePath)
    {
        var options = ConfigurationOptions.Parse(connection);
        // Keep retrying in the background instead of failing start-up or a call on a Redis blip.
        options.AbortOnConnectFail = false;
        if (password.Length > 0)
        {
            options.Password = password;
        }

        if (user.Length > 0)
        {
            options.User = user;
        }

        options.Ssl |= tls || caCertificatePath.Length > 0;
        if (caCertificatePath.Length > 0)
        {
            var authorities = ClusterSecurity.ClusterCertificates.LoadCertificates(caCertificatePath);
            options.CertificateValidation += (_, certificate, _, errors) => certificate is not null
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && ClusterSecurity.ClusterCertificates.IssuedBy(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), authorities);
        }

        return options;
    }

    /// <summary>Checks a connection string that is set and a CA file that is named; whether one is required is the caller's rule.</summary>
    public static void Validate(StartupSettings settings, string section, string connectionKey, string connection, string caKey, string caCertificatePath)
    {
        if (!string.IsNullOrWhiteSpace(connection))
        {
            try
            {
                _ = ConfigurationOptions.Parse(connection);
            }
            catch (ArgumentException exception)
            {
                settings.Fail(section, connectionKey, $"is not a valid Redis connection string ({exception.Message})");
            }
        }

        if (caCertificatePath.Length > 0)
        {
            try
            {
                _ = ClusterSecurity.ClusterCertificates.LoadCertificates(caCertificatePath);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                settings.Fail(section, caKey, $"could not be read as a PEM certificate ({exception.Message}).");
            }
        }
    }
}
