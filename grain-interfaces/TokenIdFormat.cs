namespace ZeroPath.Tokens;

/// <summary>The shape of a Token ID wherever one is read from outside: a UUID in its 36-character hyphenated form.</summary>
public static class TokenIdFormat
{
    public const int Length = 36;

    public static bool TryParse(ReadOnlySpan<char> value, out Guid tokenId)
    {
        tokenId = default;
        return value.Length == Length && Guid.TryParseExact(value, "D", out tokenId);
    }
}
