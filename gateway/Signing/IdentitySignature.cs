using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ZeroPath.Gateway.Signing;

/// <summary>Why a signature was or was not accepted.</summary>
public enum IdentitySignatureCheck
{
    Valid = 0,

    /// <summary>No <c>X-ZeroPath-Identity-Signature</c> header (or more than one).</summary>
    Missing = 1,

    /// <summary>Not <c>kid=...;ts=...;sig=...</c>.</summary>
    Malformed = 2,

    /// <summary>Signed under a key id this verifier does not have.</summary>
    UnknownKey = 3,

    /// <summary>The timestamp is further from now than the verifier's maximum age (either way).</summary>
    Stale = 4,

    /// <summary>The HMAC does not match: some field differs from what the gateway signed, or the key differs.</summary>
    Mismatch = 5,
}

/// <summary>
/// The gateway's signature over the identity it forwards. Self-contained (base class library and the HttpRequest type
/// only), so an upstream can copy or link this one file: <c>tools/demo-upstream</c> does.
/// <para>
/// Header: <c>X-ZeroPath-Identity-Signature: kid=&lt;key id&gt;;ts=&lt;unix seconds&gt;;sig=&lt;base64url HMAC&gt;</c>.
/// The HMAC is HMAC-SHA256 under the key named by <c>kid</c>, over the UTF-8 bytes of eight lines joined by <c>\n</c>
/// (no trailing newline): <c>ZeroPath-Identity-v1</c>, the timestamp (decimal unix seconds, as in <c>ts</c>), the
/// request method (upper case), the request path (percent-decoded, without the query string; an encoded slash
/// <c>%2F</c> stays encoded, as ASP.NET Core and the gateway read it), the organization id, the user id, the token id
/// (hyphenated lower-case UUID), and the permissions (exactly as in <c>X-ZeroPath-Permissions</c>). No field but the
/// path can contain a newline, so the lines decode one way only.
/// </para>
/// </summary>
public static class IdentitySignature
{
    public const string HeaderName = "X-ZeroPath-Identity-Signature";
    public const string Version = "ZeroPath-Identity-v1";

    /// <summary>How far a signature's timestamp may be from the verifier's clock by default.</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The header value for these fields under <paramref name="key"/>.</summary>
    public static string Create(string keyId, ReadOnlySpan<byte> key, long timestamp, in IdentityFields fields)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(key, timestamp, fields, mac);
        return Format(keyId, timestamp, mac);
    }

    /// <summary>The same with an HMAC already keyed (reused per thread by the gateway: no key set-up per request).</summary>
    public static string Create(string keyId, IncrementalHash hmac, long timestamp, in IdentityFields fields)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        WithCanonical(timestamp, fields, hmac, static (bytes, h) => h.AppendData(bytes));
        hmac.GetHashAndReset(mac);
        return Format(keyId, timestamp, mac);
    }

    /// <summary>HMAC-SHA256 of the canonical string, written to <paramref name="mac"/> (32 bytes).</summary>
    public static void Compute(ReadOnlySpan<byte> key, long timestamp, in IdentityFields fields, Span<byte> mac)
    {
        var rented = ArrayPool<byte>.Shared.Rent(MaxCanonicalBytes(fields));
        try
        {
            var written = WriteCanonical(timestamp, fields, rented);
            HMACSHA256.HashData(key, rented.AsSpan(0, written), mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string Format(string keyId, long timestamp, ReadOnlySpan<byte> mac) =>
        string.Create(CultureInfo.InvariantCulture, $"kid={keyId};ts={timestamp};sig={Base64Url.EncodeToString(mac)}");

    private static void WithCanonical(long timestamp, in IdentityFields fields, IncrementalHash hmac, Action<ReadOnlySpan<byte>, IncrementalHash> use)
    {
        var rented = ArrayPool<byte>.Shared.Rent(MaxCanonicalBytes(fields));
        try
        {
            use(rented.AsSpan(0, WriteCanonical(timestamp, fields, rented)), hmac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int MaxCanonicalBytes(in IdentityFields f) =>
        Version.Length + 20 + 8 + Encoding.UTF8.GetMaxByteCount(
            f.Method.Length + f.Path.Length + f.OrganizationId.Length + f.UserId.Length + f.TokenId.Length + f.Permissions.Length);

    /// <summary>The UTF-8 bytes of <see cref="Canonical"/>, without building the string.</summary>
    private static int WriteCanonical(long timestamp, in IdentityFields f, Span<byte> destination)
    {
        var at = Encoding.UTF8.GetBytes(Version, destination);
        destination[at++] = (byte)'\n';
        timestamp.TryFormat(destination[at..], out var digits, provider: CultureInfo.InvariantCulture);
        at += digits;
        foreach (var field in (ReadOnlySpan<string>)[f.Method, f.Path, f.OrganizationId, f.UserId, f.TokenId, f.Permissions])
        {
            destination[at++] = (byte)'\n';
            at += Encoding.UTF8.GetBytes(field, destination[at..]);
        }

        return at;
    }

    /// <summary>The string that is signed (see the class summary).</summary>
    public static string Canonical(long timestamp, in IdentityFields fields) => string.Join(
        '\n',
        Version,
        timestamp.ToString(CultureInfo.InvariantCulture),
        fields.Method,
        fields.Path,
        fields.OrganizationId,
        fields.UserId,
        fields.TokenId,
        fields.Permissions);

    /// <summary>Splits <c>kid=...;ts=...;sig=...</c>; false when it is not exactly that.</summary>
    public static bool TryParse(string? header, out string keyId, out long timestamp, out byte[] mac)
    {
        keyId = "";
        timestamp = 0;
        mac = [];
        if (header is null)
        {
            return false;
        }

        var parts = header.Split(';');
        if (parts.Length != 3 || !parts[0].StartsWith("kid=", StringComparison.Ordinal) ||
            !parts[1].StartsWith("ts=", StringComparison.Ordinal) || !parts[2].StartsWith("sig=", StringComparison.Ordinal))
        {
            return false;
        }

        keyId = parts[0][4..];
        var encoded = parts[2][4..];
        if (keyId.Length == 0 ||
            !long.TryParse(parts[1].AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out timestamp) ||
            encoded.Length != Base64Url.GetEncodedLength(HMACSHA256.HashSizeInBytes) || !Base64Url.IsValid(encoded))
        {
            return false;
        }

        mac = Base64Url.DecodeFromChars(encoded);
        return mac.Length == HMACSHA256.HashSizeInBytes;
    }
}

/// <summary>What the signature covers, as the upstream reads it from the request.</summary>
public readonly record struct IdentityFields(
    string Method, string Path, string OrganizationId, string UserId, string TokenId, string Permissions)
{
    /// <summary>The fields of a request as an ASP.NET Core upstream receives it from the gateway.</summary>
    public static IdentityFields From(Microsoft.AspNetCore.Http.HttpRequest request) => new(
        request.Method,
        (request.PathBase + request.Path).Value is { Length: > 0 } path ? path : "/",
        request.Headers["X-ZeroPath-Org-Id"].ToString(),
        request.Headers["X-ZeroPath-User-Id"].ToString(),
        request.Headers["X-ZeroPath-Token-Id"].ToString(),
        request.Headers["X-ZeroPath-Permissions"].ToString());
}

/// <summary>
/// Checks <c>X-ZeroPath-Identity-Signature</c> for an upstream: any of the listed keys (so a rotation can add the new
/// key here before the gateway signs with it), and a timestamp within <c>maxAge</c> of this verifier's clock.
/// </summary>
public sealed class IdentitySignatureVerifier(IReadOnlyDictionary<string, byte[]> keys, TimeSpan? maxAge = null, TimeProvider? time = null)
{
    private readonly TimeSpan maxAge = maxAge ?? IdentitySignature.DefaultMaxAge;
    private readonly TimeProvider time = time ?? TimeProvider.System;

    /// <summary>Verifies the signature header of <paramref name="request"/> against the identity headers it carries.</summary>
    public IdentitySignatureCheck Verify(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var headers = request.Headers[IdentitySignature.HeaderName];
        return headers.Count != 1 ? IdentitySignatureCheck.Missing : Verify(headers[0], IdentityFields.From(request));
    }

    public IdentitySignatureCheck Verify(string? header, in IdentityFields fields)
    {
        if (string.IsNullOrEmpty(header))
        {
            return IdentitySignatureCheck.Missing;
        }

        if (!IdentitySignature.TryParse(header, out var keyId, out var timestamp, out var presented))
        {
            return IdentitySignatureCheck.Malformed;
        }

        if (!keys.TryGetValue(keyId, out var key))
        {
            return IdentitySignatureCheck.UnknownKey;
        }

        var age = time.GetUtcNow().ToUnixTimeSeconds() - timestamp;
        if (Math.Abs(age) > (long)maxAge.TotalSeconds)
        {
            return IdentitySignatureCheck.Stale;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        IdentitySignature.Compute(key, timestamp, fields, expected);
        return CryptographicOperations.FixedTimeEquals(expected, presented) ? IdentitySignatureCheck.Valid : IdentitySignatureCheck.Mismatch;
    }
}
