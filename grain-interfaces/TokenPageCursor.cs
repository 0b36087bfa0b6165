using System.Buffers.Binary;
using System.Buffers.Text;

namespace ZeroPath.Tokens;

/// <summary>
/// The opaque cursor of a token list page: where the next page starts (the index sequence of the page's last token,
/// base64url). Clients pass it back unchanged; anything else is refused.
/// </summary>
public static class TokenPageCursor
{
    public static string After(long sequence)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, sequence);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The sequence a page starts below; null for no cursor (the first page). False when it is not one this API made.</summary>
    public static bool TryParse(string? cursor, out long? before)
    {
        before = null;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[sizeof(long)];
        try
        {
            if (cursor.Length != 11 || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != sizeof(long))
            {
                return false;
            }
        }
        catch (FormatException)
        {
            // Unused trailing bits set: the decoder throws instead of answering false.
            return false;
        }

        var sequence = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (sequence < 0 || After(sequence) != cursor)
        {
            return false;
        }

        before = sequence;
        return true;
    }

    /// <summary>As <see cref="TryParse"/>, for callers that checked it already.</summary>
    public static long? Parse(string? cursor) =>
        TryParse(cursor, out var before) ? before : throw new ArgumentException("Not a token list cursor.", nameof(cursor));
}
