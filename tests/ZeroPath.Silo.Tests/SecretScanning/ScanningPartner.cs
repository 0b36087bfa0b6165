using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ZeroPath.Silo.Tests.SecretScanning;

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

/// <summary>Keeps every formatted log message (and its exception) of a host, to check what was never logged.</summary>
public sealed class SiloLogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(SiloLogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {state} {exception}");
    }
}
