using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace ZeroPath.ServiceDefaults.ClusterSecurity;

/// <summary>
/// Mutual TLS on the cluster plane. Section <c>ZeroPath:Cluster:Tls</c>: the cluster CA and this process's certificate
/// and key, all PEM files. Required: a process without them does not start.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string SectionName = "ZeroPath:Cluster:Tls";

    /// <summary>
    /// The cluster CA certificate (no key): the only issuer a peer's certificate is accepted from. A PEM file may hold
    /// two CA certificates while the CA is replaced; peers of either are accepted.
    /// </summary>
    public string CaCertificatePath { get; set; } = "";

    /// <summary>This process's certificate, issued by the cluster CA with its role (<c>OU=zeropath-silo</c> or <c>OU=zeropath-gateway</c>).</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>The certificate's private key (PKCS#8 or SEC1 PEM).</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>Loads and checks the files for a process of <paramref name="role"/>; problems go to <paramref name="settings"/>.</summary>
    public ClusterTlsMaterial? Load(StartupSettings settings, ClusterRole role)
    {
        var ok = settings.RequireText(SectionName, nameof(CaCertificatePath), CaCertificatePath, "the cluster CA certificate (PEM) that signs every silo and gateway certificate");
        ok &= settings.RequireText(SectionName, nameof(CertificatePath), CertificatePath, $"this {RoleWord(role)}'s certificate (PEM), signed by the cluster CA with OU={ClusterCertificates.RoleName(role)}");
        ok &= settings.RequireText(SectionName, nameof(KeyPath), KeyPath, "the private key (PEM) of that certificate");
        if (!ok)
        {
            return null;
        }

        X509Certificate2Collection authorities;
        X509Certificate2 certificate;
        try
        {
            authorities = ClusterCertificates.LoadCertificates(CaCertificatePath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            settings.Fail(SectionName, nameof(CaCertificatePath), $"could not be read as a PEM certificate ({exception.Message}).");
            return null;
        }

        try
        {
            certificate = ClusterCertificates.LoadWithKey(CertificatePath, KeyPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            settings.Fail(SectionName, nameof(CertificatePath), $"and {nameof(KeyPath)} could not be read as a PEM certificate with its private key ({exception.Message}).");
            return null;
        }

        if (!ClusterCertificates.IsTrusted(certificate, authorities, role))
        {
            settings.Fail(SectionName, nameof(CertificatePath),
                $"must be a valid certificate signed by the cluster CA with OU={ClusterCertificates.RoleName(role)} (subject was '{certificate.Subject}', valid {certificate.NotBefore:u} to {certificate.NotAfter:u}).");
            return null;
        }

        return new ClusterTlsMaterial(authorities, certificate);
    }

    private static string RoleWord(ClusterRole role) => role == ClusterRole.Silo ? "silo" : "gateway";
}

/// <summary>The cluster CA and this process's certificate, loaded and checked.</summary>
public sealed record ClusterTlsMaterial(X509Certificate2Collection Authorities, X509Certificate2 Certificate)
{
    public ClusterTlsMaterial(X509Certificate2 authority, X509Certificate2 certificate)
        : this([authority], certificate)
    {
    }

    /// <summary>
    /// Silo side: silo-to-silo connections (both directions) require a silo certificate; client connections on the
    /// gateway port require a gateway certificate. Anything else fails the handshake before Orleans sees a byte.
    /// </summary>
    public void ApplyTo(SiloConnectionOptions connections)
    {
        var siloPeers = Options(ClusterRole.Silo);
        var gatewayPeers = Options(ClusterRole.Gateway);
        connections.ConfigureSiloInboundConnection(builder => builder.UseServerTls(siloPeers));
        connections.ConfigureSiloOutboundConnection(builder => builder.UseClientTls(siloPeers));
        connections.ConfigureGatewayInboundConnection(builder => builder.UseServerTls(gatewayPeers));
    }

    /// <summary>Client side (a gateway): presents its certificate and accepts only silos of the same cluster CA.</summary>
    public void ApplyTo(ClientConnectionOptions connections)
    {
        var silos = Options(ClusterRole.Silo);
        connections.ConfigureConnection(builder => builder.UseClientTls(silos));
    }

    private TlsOptions Options(ClusterRole peerRole)
    {
        var check = ClusterCertificates.PeerCheck(Authorities, peerRole);
        return new TlsOptions
        {
            LocalCertificate = Certificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
            SslProtocols = System.Security.Authentication.SslProtocols.Tls13,
            RemoteCertificateValidation = (certificate, _, errors) => check(certificate, errors),
        };
    }
}
