using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Security;

/// <summary>
/// The cluster call key. Section <c>ZeroPath:Cluster</c>: <c>CallKey</c> signs this silo's grain calls;
/// <c>AcceptedCallKey</c> (optional) is also accepted, for rotating the key without downtime.
/// </summary>
public sealed class ClusterCallOptions
{
    public const string SectionName = "ZeroPath:Cluster";
    public const int MinKeyBytes = 32;

    public string CallKey { get; set; } = "";

    public string AcceptedCallKey { get; set; } = "";

    public IEnumerable<(string Key, string Problem)> Problems()
    {
        if (KeyText.DecodeBase64(CallKey) is not { Length: >= MinKeyBytes })
        {
            yield return (nameof(CallKey), $"is required: base64 of at least {MinKeyBytes} random bytes (openssl rand -base64 32), the same on every silo and given to no gateway.");
        }

        if (AcceptedCallKey.Length > 0 && KeyText.DecodeBase64(AcceptedCallKey) is not { Length: >= MinKeyBytes })
        {
            yield return (nameof(AcceptedCallKey), $"must be base64 of at least {MinKeyBytes} bytes when set.");
        }
    }

    /// <summary>The proof maker; call only when <see cref="Problems"/> found none.</summary>
    public ClusterCallProof ToProof() => new(KeyText.DecodeBase64(CallKey)!, AcceptedCallKey.Length > 0 ? KeyText.DecodeBase64(AcceptedCallKey) : null);
}

/// <summary>
/// Proof that a grain call was made by a silo (or another holder of the call key): HMAC-SHA256, truncated to 128 bits,
/// over the minute it was made, the caller it names, the target grain and the interface method. A proof is bound to
/// one target and method, so a client that sees proofs on calls to its own observers cannot reuse them on a grain,
/// and it lapses after <see cref="Window"/>.
/// </summary>
public sealed class ClusterCallProof : IDisposable
{
    /// <summary>The request-context entry that carries the proof.</summary>
    public const string RequestContextKey = "zp.call";

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private const int MacBytes = 16;
    private const int MacChars = 22;

    private readonly ThreadLocal<IncrementalHash> signer;
    private readonly ThreadLocal<IncrementalHash>? alternate;

    public ClusterCallProof(byte[] key, byte[]? acceptedKey = null)
    {
        signer = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));
        if (acceptedKey is not null)
        {
            alternate = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, acceptedKey));
        }
    }

    /// <summary><c>minute:mac:caller</c>, the caller last since a grain id may contain any character.</summary>
    public string Create(string caller, string target, string interfaceName, string methodName, DateTimeOffset now)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        Span<byte> mac = stackalloc byte[SHA256.HashSizeInBytes];
        Compute(signer.Value!, minute, caller, target, interfaceName, methodName, mac);
        return $"{minute}:{Base64Url.EncodeToString(mac[..MacBytes])}:{caller}";
    }

    /// <summary>The caller a valid proof names, or null when the proof is malformed, stale or not for this call.</summary>
    public string? Verify(string proof, string target, string interfaceName, string methodName, DateTimeOffset now)
    {
        var first = proof.IndexOf(':', StringComparison.Ordinal);
        if (first <= 0 || proof.Length < first + 1 + MacChars + 1 || proof[first + 1 + MacChars] != ':'
            || !long.TryParse(proof.AsSpan(0, first), System.Globalization.NumberStyles.None, null, out var minute))
        {
            return null;
        }

        var age = now.ToUnixTimeSeconds() / 60 - minute;
        if (age < -Window.TotalMinutes || age > Window.TotalMinutes)
        {
            return null;
        }

        Span<byte> presented = stackalloc byte[MacBytes];
        if (!Base64Url.TryDecodeFromChars(proof.AsSpan(first + 1, MacChars), presented, out var written) || written != MacBytes)
        {
            return null;
        }

        var caller = proof[(first + 2 + MacChars)..];
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        Compute(signer.Value!, minute, caller, target, interfaceName, methodName, expected);
        if (CryptographicOperations.FixedTimeEquals(presented, expected[..MacBytes]))
        {
            return caller;
        }

        if (alternate is null)
        {
            return null;
        }

        Compute(alternate.Value!, minute, caller, target, interfaceName, methodName, expected);
        return CryptographicOperations.FixedTimeEquals(presented, expected[..MacBytes]) ? caller : null;
    }

    public void Dispose()
    {
        signer.Dispose();
        alternate?.Dispose();
    }

    private static void Compute(IncrementalHash hmac, long minute, string caller, string target, string interfaceName, string methodName, Span<byte> destination)
    {
        Span<byte> number = stackalloc byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(number, minute);
        hmac.AppendData(number);
        Append(hmac, caller);
        Append(hmac, target);
        Append(hmac, interfaceName);
        Append(hmac, methodName);
        hmac.GetHashAndReset(destination);
    }

    /// <summary>Length-prefixed, so no two different field lists hash the same bytes.</summary>
    private static void Append(IncrementalHash hmac, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Span<byte> buffer = length <= 512 ? stackalloc byte[4 + length] : new byte[4 + length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer, length);
        Encoding.UTF8.GetBytes(value, buffer[4..]);
        hmac.AppendData(buffer);
    }
}
