using System.Buffers.Text;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace ZeroPath.Bench.Edge;

/// <summary>
/// Well-formed but wrong secrets for the floods. New format: <c>zp_</c> + 2-character key id + 43 random + 11-character
/// tag + 6-character CRC32 (IEEE) of the first 59 characters, as a big-endian base62 number padded with '0'. Legacy:
/// 43 base64url characters (32 bytes).
/// </summary>
internal static class SecretShapes
{
    public const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    public const int NewFormatLength = 65;
    public const int LegacyLength = 43;
    private const int ChecksumStart = 59;

    /// <summary>Random body and tag with a correct checksum: passes any shape and checksum test, never the tag's HMAC.</summary>
    public static string NewFormat(string keyId)
    {
        Span<char> secret = stackalloc char[NewFormatLength];
        "zp_".CopyTo(secret);
        keyId.CopyTo(secret[3..]);
        RandomNumberGenerator.GetItems(Base62, secret[5..ChecksumStart]);
        WriteChecksum(secret);
        return new string(secret);
    }

    public static string Legacy() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether <paramref name="secret"/> is a new-format secret whose checksum this code computes the same way.</summary>
    public static bool HasValidChecksum(string secret)
    {
        if (secret.Length != NewFormatLength || !secret.StartsWith("zp_", StringComparison.Ordinal))
        {
            return false;
        }

        Span<char> copy = stackalloc char[NewFormatLength];
        secret.CopyTo(copy);
        WriteChecksum(copy);
        return copy.SequenceEqual(secret);
    }

    public static string Describe(IReadOnlyList<IssuedToken> tokens)
    {
        var newFormat = tokens.Count(t => t.Secret.Length == NewFormatLength && t.Secret.StartsWith("zp_", StringComparison.Ordinal));
        var checksummed = tokens.Count(t => HasValidChecksum(t.Secret));
        var legacy = tokens.Count(t => t.Secret.Length == LegacyLength);
        return newFormat == tokens.Count
            ? $"new format (zp_ + key id, 65 characters); checksum of {checksummed} of {tokens.Count} issued secrets recomputed by the bench"
            : legacy == tokens.Count
                ? "legacy (43 base64url characters): the silo does not issue the new format yet"
                : $"mixed: {newFormat} new format, {legacy} legacy of {tokens.Count}";
    }

    private static void WriteChecksum(Span<char> secret)
    {
        Span<byte> ascii = stackalloc byte[ChecksumStart];
        Encoding.ASCII.GetBytes(secret[..ChecksumStart], ascii);
        var crc = Crc32.HashToUInt32(ascii);
        for (var i = NewFormatLength - 1; i >= ChecksumStart; i--)
        {
            secret[i] = Base62[(int)(crc % 62)];
            crc /= 62;
        }
    }
}
