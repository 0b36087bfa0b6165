using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZeroPath.ServiceDefaults.ClusterSecurity;

/// <summary>What a cluster certificate lets its holder be. Carried as the subject's OU, signed by the cluster CA.</summary>
public enum ClusterRole
{
    /// <summary>A silo: joins the cluster and accepts both silo and gateway connections.</summary>
    Silo,

    /// <summary>An edge gateway: an Orleans client that may only validate and subscribe to token events.</summary>
    Gateway,
}

/// <summary>
/// The cluster's own PKI: a CA whose certificates carry a role (<c>OU=zeropath-silo</c> or <c>OU=zeropath-gateway</c>).
/// Peers are checked against this CA only (never the machine's trust store) and by role, not by host name: silos reach
/// each other by IP address.
/// </summary>
public static class ClusterCertificates
{
    public const string SiloRoleName = "zeropath-silo";
    public const string GatewayRoleName = "zeropath-gateway";

    private const string OrganizationalUnitOid = "2.5.4.11";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    public static string RoleName(ClusterRole role) => role == ClusterRole.Silo ? SiloRoleName : GatewayRoleName;

    /// <summary>The role a certificate's subject names, or null when it names none or several.</summary>
    public static ClusterRole? RoleOf(X509Certificate2 certificate)
    {
        ClusterRole? found = null;
        foreach (var name in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (name.HasMultipleElements || name.GetSingleElementType().Value != OrganizationalUnitOid)
            {
                continue;
            }

            ClusterRole? role = name.GetSingleElementValue() switch
            {
                SiloRoleName => ClusterRole.Silo,
                GatewayRoleName => ClusterRole.Gateway,
                _ => null,
            };
            if (role is null || (found is not null && found != role))
            {
                return null;
            }

            found = role;
        }

        return found;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> was issued by <paramref name="authority"/> (chain built against it alone),
    /// is in its validity period and carries one of <paramref name="roles"/>.
    /// </summary>
    public static bool IsTrusted(X509Certificate2 certificate, X509Certificate2 authority, params ClusterRole[] roles) =>
        IsTrusted(certificate, [authority], roles);

    /// <summary>As above, with any of <paramref name="authorities"/> (two while the CA is replaced).</summary>
    public static bool IsTrusted(X509Certificate2 certificate, X509Certificate2Collection authorities, params ClusterRole[] roles)
    {
        if (RoleOf(certificate) is not { } role || Array.IndexOf(roles, role) < 0)
        {
            return false;
        }

        return IssuedBy(certificate, authorities);
    }

    /// <summary>Whether a chain from <paramref name="certificate"/> ends at one of <paramref name="authorities"/>, trusting nothing else.</summary>
    public static bool IssuedBy(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(certificate))
        {
            return false;
        }

        var root = chain.ChainElements[^1].Certificate.RawDataMemory;
        foreach (var authority in authorities)
        {
            if (root.Span.SequenceEqual(authority.RawDataMemory.Span))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A TLS peer check for Orleans connections: a certificate must be presented, and it must be trusted as above.
    /// Name mismatches are ignored on purpose (peers are addressed by IP); chain errors are ignored because the chain
    /// is rebuilt against the cluster CA alone.
    /// </summary>
    public static Func<X509Certificate2?, SslPolicyErrors, bool> PeerCheck(X509Certificate2Collection authorities, params ClusterRole[] roles) =>
        (certificate, errors) => certificate is not null
            && (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0
            && IsTrusted(certificate, authorities, roles);

    /// <summary>A new self-signed cluster CA (ECDSA P-256), for tests and local runs.</summary>
    public static X509Certificate2 CreateAuthority(string name = "ZeroPath cluster CA", int days = 3650)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
    }

    /// <summary>A certificate for <paramref name="role"/> signed by <paramref name="authority"/> (which must hold its key).</summary>
    /// <param name="authority">The issuing CA, with its private key.</param>
    /// <param name="role">The role the certificate names.</param>
    /// <param name="name">Its common name.</param>
    /// <param name="days">How long it is valid.</param>
    /// <param name="hostNames">Host names or IP addresses for the subject alternative name (servers verified by name, e.g. Redis).</param>
    public static X509Certificate2 Issue(X509Certificate2 authority, ClusterRole role, string name, int days = 365, params string[] hostNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, OU={RoleName(role)}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection { new Oid(ClientAuthOid) };
        if (role == ClusterRole.Silo)
        {
            usages.Add(new Oid(ServerAuthOid));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        if (hostNames.Length > 0)
        {
            var alternativeNames = new SubjectAlternativeNameBuilder();
            foreach (var host in hostNames)
            {
                if (System.Net.IPAddress.TryParse(host, out var address))
                {
                    alternativeNames.AddIpAddress(address);
                }
                else
                {
                    alternativeNames.AddDnsName(host);
                }
            }

            request.CertificateExtensions.Add(alternativeNames.Build());
        }

        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(days) < authority.NotAfter ? now.AddDays(days) : authority.NotAfter.ToUniversalTime();
        using var issued = request.Create(authority, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        return WithKey(issued, key);
    }

    /// <summary>Writes a certificate and its private key as PEM files (the key readable by the owner only).</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string? keyPath)
    {
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        if (keyPath is null)
        {
            return;
        }

        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The certificate has no ECDSA private key.");
        File.WriteAllText(keyPath, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Loads a PEM certificate with its PEM private key in a form TLS can use on every platform.</summary>
    public static X509Certificate2 LoadWithKey(string certificatePath, string keyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public static X509Certificate2 LoadCertificate(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    /// <summary>Every certificate in a PEM file (a CA bundle); at least one.</summary>
    public static X509Certificate2Collection LoadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(File.ReadAllText(path));
        return certificates.Count > 0 ? certificates : throw new CryptographicException($"No certificate in {path}.");
    }

    private static X509Certificate2 WithKey(X509Certificate2 certificate, ECDsa key)
    {
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
