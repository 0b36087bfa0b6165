using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using ZeroPath.ServiceDefaults;
using ZeroPath.Silo.SecretScanning;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.SecretScanning;

/// <summary>Partner keys from configuration, and the signature check with generated ECDSA keys.</summary>
public class SecretScanningPartnersTests
{
    private static (SecretScanningPartners? Partners, string? Problems) Load(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var startup = new StartupSettings(configuration);
        var partners = SecretScanningPartners.Load(startup, configuration);
        try
        {
            startup.ThrowIfInvalid();
            return (partners, null);
        }
        catch (InvalidOperationException exception)
        {
            return (null, exception.Message);
        }
    }

    private static string Key(string partner, string keyId) => $"ZeroPath:SecretScanning:Partners:{partner}:Keys:{keyId}";

    [Fact]
    public void A_partners_key_verifies_its_signature_over_the_exact_body_and_nothing_else()
    {
        using var github = new ScanningPartner();
        using var other = new ScanningPartner();
        var (partners, problems) = Load(new Dictionary<string, string?>
        {
            [Key("GitHub", github.KeyId)] = github.PublicKeyPem,
            [Key("other-scanner", other.KeyId)] = other.PublicKeyPem,
        });
        Assert.Null(problems);
        Assert.True(partners!.Enabled);
        Assert.Equal(["github", "other-scanner"], partners.Names);

        const string body = "[{\"token\":\"zp_x\",\"type\":\"t\",\"url\":\"u\",\"source\":\"content\"}]";
        var bytes = Encoding.UTF8.GetBytes(body);

        Assert.Equal(ReportSignature.Valid, partners.Verify(github.KeyId, github.Sign(body), bytes, out var partner));
        Assert.Equal("github", partner);
        // Key ids are matched ignoring case, as configuration keys are.
        Assert.Equal(ReportSignature.Valid, partners.Verify(github.KeyId.ToUpperInvariant(), github.Sign(body), bytes, out _));
        Assert.Equal(ReportSignature.Valid, partners.Verify(other.KeyId, other.Sign(body), bytes, out partner));
        Assert.Equal("other-scanner", partner);

        Assert.Equal(ReportSignature.Invalid, partners.Verify(github.KeyId, other.Sign(body), bytes, out partner));
        Assert.Null(partner);
        Assert.Equal(ReportSignature.Invalid, partners.Verify(github.KeyId, github.Sign(body + " "), bytes, out _));
        Assert.Equal(ReportSignature.Invalid, partners.Verify(github.KeyId, github.Sign(body), Encoding.UTF8.GetBytes(body.Replace("zp_x", "zp_y", StringComparison.Ordinal)), out _));
        Assert.Equal(ReportSignature.Invalid, partners.Verify(github.KeyId, null, bytes, out _));
        Assert.Equal(ReportSignature.Invalid, partners.Verify(github.KeyId, "%%%", bytes, out _));
        Assert.Equal(ReportSignature.Invalid, partners.Verify(github.KeyId, Convert.ToBase64String(RandomNumberGenerator.GetBytes(70)), bytes, out _));
        Assert.Equal(ReportSignature.UnknownKey, partners.Verify("0000", github.Sign(body), bytes, out _));
        Assert.Equal(ReportSignature.UnknownKey, partners.Verify(null, github.Sign(body), bytes, out _));
    }

    [Fact]
    public void No_partner_configured_means_not_enabled()
    {
        var (partners, problems) = Load(new Dictionary<string, string?>());

        Assert.Null(problems);
        Assert.False(partners!.Enabled);
    }

    [Fact]
    public void Private_keys_other_curves_garbage_bad_names_and_shared_key_ids_stop_the_silo_without_quoting_a_key()
    {
        using var p256 = new ScanningPartner();
        using var p384 = new ScanningPartner(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        using var shared = new ScanningPartner();
        var cases = new Dictionary<string, string?>
        {
            [Key("github", "private")] = p256.PrivateKeyPem,
            [Key("github", "p384")] = p384.PublicKeyPem,
            [Key("github", "rsa")] = rsa.ExportSubjectPublicKeyInfoPem(),
            [Key("github", "garbage")] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            [Key("github", "empty")] = "",
            [Key("github", "bad*id")] = p256.PublicKeyPem,
            [Key("git hub", "k")] = p256.PublicKeyPem,
            [Key("first", "shared")] = shared.PublicKeyPem,
            [Key("second", "shared")] = shared.PublicKeyPem,
        };

        var (partners, problems) = Load(cases);

        Assert.Null(partners);
        foreach (var bad in new[] { "private", "p384", "rsa", "garbage", "empty", "bad*id", "git hub", "shared" })
        {
            Assert.Contains(bad, problems, StringComparison.Ordinal);
        }

        foreach (var pem in new[] { p256.PrivateKeyPem, p256.PublicKeyPem, p384.PublicKeyPem, shared.PublicKeyPem })
        {
            Assert.DoesNotContain(pem.Split('\n')[1], problems, StringComparison.Ordinal);
        }
    }
}
