namespace ZeroPath.Tokens;

/// <summary>
/// The shape of a Token Secret: unpadded base64url of 32 CSPRNG bytes (43 characters). The gateway rejects anything
/// outside these bounds as malformed without a cluster call; the bounds leave room for longer secrets later.
/// </summary>
public static class TokenSecretFormat
{
    public const int SecretBytes = 32;
    public const int MinLength = 43;
    public const int MaxLength = 128;

    public static bool IsWellFormed(ReadOnlySpan<char> secret)
    {
        if (secret.Length is < MinLength or > MaxLength)
        {
            return false;
        }

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
