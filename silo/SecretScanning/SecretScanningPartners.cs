using System.Collections.Frozen;
using System.Security.Cryptography;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.SecretScanning;

/// <summary>Whether a report's signature is one of a configured partner's keys over its body.</summary>
public enum ReportSignature
{
    Valid = 0,

    /// <summary>No key id, or one no configured partner has (a retired key, or never ours).</summary>
    UnknownKey = 1,

    /// <summary>No signature, not base64, or not that key's signature over this body.</summary>
    Invalid = 2,
}

/// <summary>
/// The secret-scanning partners allowed to report leaked secrets, section <c>ZeroPath:SecretScanning</c>:
/// <c>Partners:{name}:Keys:{key id}</c> = the partner's ECDSA P-256 public key in PEM (<c>-----BEGIN PUBLIC KEY-----</c>).
/// A partner signs each report's raw body with ECDSA P-256 / SHA-256 (DER, base64) and names its key, as GitHub's secret
/// scanning partner program does; several keys per partner allow rotation. No partner: the endpoint is not served.
/// </summary>
public sealed class SecretScanningPartners
{
    public const string SectionName = "ZeroPath:SecretScanning";

    /// <summary>The headers GitHub's secret scanning sends: the key id, and the signature over the body.</summary>
    public const string KeyIdHeader = "Github-Public-Key-Identifier";
    public const string SignatureHeader = "Github-Public-Key-Signature";

    public const int MaxNameLength = 32;
    public const int MaxKeyIdLength = 128;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>Key id to (partner, SubjectPublicKeyInfo). Key ids are matched ignoring case, as configuration keys are.</summary>
    private readonly FrozenDictionary<string, (string Partner, byte[] PublicKey)> keys;

    private SecretScanningPartners(Dictionary<string, (string Partner, byte[] PublicKey)> keys) =>
        this.keys = keys.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>At least one partner key is configured: the endpoint is served.</summary>
    public bool Enabled => keys.Count > 0;

    /// <summary>Every configured partner's name, sorted.</summary>
    public IReadOnlyList<string> Names => [.. keys.Values.Select(k => k.Partner).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Reads and checks the partners; every problem goes to <paramref name="settings"/> (none names a key's content).</summary>
    public static SecretScanningPartners Load(StartupSettings settings, IConfiguration configuration)
    {
        var found = new Dictionary<string, (string Partner, byte[] PublicKey)>(StringComparer.OrdinalIgnoreCase);
        foreach (var partner in configuration.GetSection($"{SectionName}:Partners").GetChildren())
        {
            var name = partner.Key.ToLowerInvariant();
            var section = $"{SectionName}:Partners:{partner.Key}";
            if (!IsValidName(name))
            {
                settings.Fail($"{SectionName}:Partners", partner.Key, $"is not a valid partner name: 1–{MaxNameLength} of a-z, 0-9, '-' and '_'.");
                continue;
            }

            var partnerKeys = partner.GetSection("Keys").GetChildren().ToList();
            if (partnerKeys.Count == 0)
            {
                settings.Fail(section, "Keys", "is required: at least one key, Keys:{key id} = the partner's ECDSA P-256 public key in PEM.");
            }

            foreach (var key in partnerKeys)
            {
                if (!IsValidKeyId(key.Key))
                {
                    settings.Fail($"{section}:Keys", key.Key, $"is not a valid key id: 1–{MaxKeyIdLength} of A-Z, a-z, 0-9, '.', '-' and '_'.");
                }
                else if (ReadPublicKey(key.Value) is not { } publicKey)
                {
                    settings.Fail($"{section}:Keys", key.Key, "must be an ECDSA P-256 public key in PEM (-----BEGIN PUBLIC KEY-----), not a private key.");
                }
                else if (found.TryGetValue(key.Key, out var other))
                {
                    settings.Fail($"{section}:Keys", key.Key, $"is also a key id of partner '{other.Partner}': key ids must be unique across partners.");
                }
                else
                {
                    found[key.Key] = (name, publicKey);
                }
            }
        }

        return new SecretScanningPartners(found);
    }

    /// <summary>
    /// Checks a report's signature: <paramref name="signature"/> (base64 of a DER ECDSA signature) over <paramref name="body"/>
    /// under the key <paramref name="keyId"/> names. <paramref name="partner"/>: whose key it is, when the signature is valid.
    /// </summary>
    public ReportSignature Verify(string? keyId, string? signature, ReadOnlySpan<byte> body, out string? partner)
    {
        partner = null;
        if (keyId is null || !keys.TryGetValue(keyId, out var key))
        {
            return ReportSignature.UnknownKey;
        }

        // A DER ECDSA P-256 signature is at most 72 bytes; anything much longer is not one.
        Span<byte> der = stackalloc byte[128];
        if (signature is null || !Convert.TryFromBase64String(signature, der, out var length))
        {
            return ReportSignature.Invalid;
        }

        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(key.PublicKey, out _);
        if (!ecdsa.VerifyData(body, der[..length], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            return ReportSignature.Invalid;
        }

        partner = key.Partner;
        return ReportSignature.Valid;
    }

    private static bool IsValidName(string name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    private static bool IsValidKeyId(string keyId) =>
        keyId is { Length: > 0 and <= MaxKeyIdLength } && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    /// <summary>The SubjectPublicKeyInfo of a PEM "PUBLIC KEY" holding an ECDSA P-256 key; null for anything else.</summary>
    private static byte[]? ReadPublicKey(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem) || !PemEncoding.TryFind(pem, out var fields)
            || !pem.AsSpan()[fields.Label].SequenceEqual("PUBLIC KEY"))
        {
            return null;
        }

        try
        {
            var spki = Convert.FromBase64String(pem[fields.Base64Data]);
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
            return ecdsa.ExportParameters(false).Curve.Oid.Value == P256Oid ? spki : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
