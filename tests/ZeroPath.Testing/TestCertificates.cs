using ZeroPath.ServiceDefaults.ClusterSecurity;

namespace ZeroPath.Testing;

/// <summary>
/// One cluster CA per test process with a silo and a gateway certificate, written as PEM files to a temporary folder:
/// every test cluster runs with mutual TLS on, as production does.
/// </summary>
public static class TestCertificates
{
    private static readonly Lazy<Files> Written = new(Write);

    public static string Folder => Written.Value.Folder;

    public static ClusterTlsMaterial Silo => Written.Value.Silo;

    public static ClusterTlsMaterial Gateway => Written.Value.Gateway;

    /// <summary>The <c>ZeroPath:Cluster:Tls</c> settings of a process with <paramref name="role"/>.</summary>
    public static IReadOnlyDictionary<string, string?> Settings(ClusterRole role)
    {
        var name = role == ClusterRole.Silo ? "silo" : "gateway";
        return new Dictionary<string, string?>
        {
            [$"{ClusterTlsOptions.SectionName}:{nameof(ClusterTlsOptions.CaCertificatePath)}"] = Path.Combine(Folder, "ca.pem"),
            [$"{ClusterTlsOptions.SectionName}:{nameof(ClusterTlsOptions.CertificatePath)}"] = Path.Combine(Folder, $"{name}.pem"),
            [$"{ClusterTlsOptions.SectionName}:{nameof(ClusterTlsOptions.KeyPath)}"] = Path.Combine(Folder, $"{name}.key"),
        };
    }

    private static Files Write()
    {
        var folder = Directory.CreateTempSubdirectory("zeropath-tls-").FullName;
        using var authority = ClusterCertificates.CreateAuthority("ZeroPath test cluster CA");
        var silo = ClusterCertificates.Issue(authority, ClusterRole.Silo, "test-silo");
        var gateway = ClusterCertificates.Issue(authority, ClusterRole.Gateway, "test-gateway");
        // A server certificate with the loopback address as its name, for a Redis server with TLS.
        ClusterCertificates.WritePem(
            ClusterCertificates.Issue(authority, ClusterRole.Silo, "test-redis", 365, "127.0.0.1", "localhost"),
            Path.Combine(folder, "redis.pem"),
            Path.Combine(folder, "redis.key"));
        ClusterCertificates.WritePem(authority, Path.Combine(folder, "ca.pem"), null);
        ClusterCertificates.WritePem(silo, Path.Combine(folder, "silo.pem"), Path.Combine(folder, "silo.key"));
        ClusterCertificates.WritePem(gateway, Path.Combine(folder, "gateway.pem"), Path.Combine(folder, "gateway.key"));
        var ca = ClusterCertificates.LoadCertificate(Path.Combine(folder, "ca.pem"));
        return new Files(folder, new ClusterTlsMaterial(ca, silo), new ClusterTlsMaterial(ca, gateway));
    }

    private sealed record Files(string Folder, ClusterTlsMaterial Silo, ClusterTlsMaterial Gateway);
}
