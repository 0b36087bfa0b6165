using System.Security.Cryptography;
using System.Text;

namespace ZeroPath.Testing;

/// <summary>A secret-scanning partner as a test plays it: a fresh ECDSA P-256 key pair under a key id, signing reports as GitHub does.</summary>
public sealed class ScanningPartner : IDisposable
{
    private readonly ECDsa key;

    public ScanningPartner(ECCurve? curve = null)
    {
        key = ECDsa.Create(curve ?? ECCurve.NamedCurves.nistP256);
        KeyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    }

    public string KeyId { get; }

    public string PublicKeyPem => key.ExportSubjectPublicKeyInfoPem();

    public string PrivateKeyPem => key.ExportECPrivateKeyPem();

    /// <summary>Base64 of the DER ECDSA signature over the body, SHA-256: the <c>Github-Public-Key-Signature</c> value.</summary>
    public string Sign(string body) =>
        Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(body), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    /// <summary>A signed report request for <paramref name="body"/>, as GitHub sends one.</summary>
    public HttpRequestMessage Report(string body, string? keyId = null, string? signature = null) => new(HttpMethod.Post, "/secret-scanning/v1/revoke")
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
        Headers =
        {
            { "Github-Public-Key-Identifier", keyId ?? KeyId },
            { "Github-Public-Key-Signature", signature ?? Sign(body) },
        },
    };

    public void Dispose() => key.Dispose();
}
