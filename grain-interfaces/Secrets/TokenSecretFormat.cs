using System.IO.Hashing;
using System.Text;

namespace ZeroPath.Tokens;

/// <summary>What a presented secret looks like, judged from its characters alone (no key, no cluster).</summary>
public enum SecretShape
{
    /// <summary>Neither format, or the current format with a wrong checksum.</summary>
    Malformed = 0,

    /// <summary>Issued before the current format: 43 base64url characters with no checksum or tag.</summary>
    Legacy = 1,

    /// <summary>The current format with a correct checksum; its tag is checked with the format keys.</summary>
    Current = 2,
}

/// <summary>
/// The Token Secret format, in the style of GitHub's tokens:
/// <c>zp_</c> + key id (2 of <c>0-9a-z</c>) + random part (43 base62 characters, 256 bits from the OS CSPRNG)
/// + tag (11 base62 characters: the first 64 bits of HMAC-SHA256 under the format key named by the key id, over the
/// token id and the key id and random part) + checksum (6 base62 characters: CRC32 of everything before it).
/// Anyone can recognise a secret offline with <see cref="Pattern"/> and the checksum; only the cluster's format keys
/// can tell whether it belongs to a token id.
/// </summary>
public static class TokenSecretFormat
{
    public const string Prefix = "zp_";

    /// <summary>Base62 digits in ascending value: 0–9, A–Z, a–z.</summary>
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public const int KeyIdLength = 2;

    /// <summary>43 base62 characters carry 256.03 bits.</summary>
    public const int RandomLength = 43;

    /// <summary>A 64-bit value needs 11 base62 digits.</summary>
    public const int TagLength = 11;

    /// <summary>A 32-bit CRC needs 6 base62 digits.</summary>
    public const int ChecksumLength = 6;

    public const int KeyIdStart = 3;
    public const int RandomStart = KeyIdStart + KeyIdLength;
    public const int TagStart = RandomStart + RandomLength;
    public const int ChecksumStart = TagStart + TagLength;

    /// <summary>65 characters.</summary>
    public const int Length = ChecksumStart + ChecksumLength;

    /// <summary>Secrets issued before this format: unpadded base64url of 32 bytes.</summary>
    public const int LegacyLength = 43;

    /// <summary>The longest secret either format allows (buffers are sized by it).</summary>
    public const int MaxLength = Length;

    /// <summary>What secret scanners match; confirm a match with <see cref="Classify"/> (the checksum).</summary>
    public const string Pattern = @"\bzp_[0-9A-Za-z]{62}\b";

    public static SecretShape Classify(ReadOnlySpan<char> secret)
    {
        if (secret.Length == LegacyLength)
        {
            return IsBase64Url(secret) ? SecretShape.Legacy : SecretShape.Malformed;
        }

        if (secret.Length != Length || !secret.StartsWith(Prefix, StringComparison.Ordinal) ||
            !IsValidKeyId(secret.Slice(KeyIdStart, KeyIdLength)))
        {
            return SecretShape.Malformed;
        }

        foreach (var c in secret[RandomStart..])
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return SecretShape.Malformed;
            }
        }

        Span<char> expected = stackalloc char[ChecksumLength];
        WriteBase62(Checksum(secret[..ChecksumStart]), expected);
        return expected.SequenceEqual(secret[ChecksumStart..]) ? SecretShape.Current : SecretShape.Malformed;
    }

    public static bool IsWellFormed(ReadOnlySpan<char> secret) => Classify(secret) != SecretShape.Malformed;

    /// <summary>Key ids are 2 of <c>0-9a-z</c> (lower case: configuration keys are case-insensitive).</summary>
    public static bool IsValidKeyId(ReadOnlySpan<char> keyId)
    {
        if (keyId.Length != KeyIdLength)
        {
            return false;
        }

        foreach (var c in keyId)
        {
            if (!(char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>CRC32 (IEEE 802.3, as zlib) of the ASCII characters.</summary>
    public static uint Checksum(ReadOnlySpan<char> ascii)
    {
        Span<byte> bytes = stackalloc byte[MaxLength];
        var length = Encoding.ASCII.GetBytes(ascii, bytes);
        return Crc32.HashToUInt32(bytes[..length]);
    }

    /// <summary>Writes <paramref name="value"/> as base62, most significant digit first, left-padded with '0'.</summary>
    public static void WriteBase62(ulong value, Span<char> destination)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = Alphabet[(int)(value % 62)];
            value /= 62;
        }

        if (value != 0)
        {
            throw new ArgumentException("The value does not fit in the destination.", nameof(destination));
        }
    }

    private static bool IsBase64Url(ReadOnlySpan<char> secret)
    {
        foreach (var c in secret)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
