namespace ZeroPath.Tokens;

/// <summary>The input rules every layer agrees on: the admin API rejects with 400, grains refuse as a programming error.</summary>
public static class TokenRules
{
    public const int MinExpiresInDays = 1;
    public const int MaxExpiresInDays = 365;
    public const int DefaultExpiresInDays = 30;
    public const int MaxNameLength = 100;
    public const int MaxIdLength = 64;
    public const int MaxPermissionLength = 64;
    public const int MaxPermissions = 100;

    /// <summary>Organization and user ids: 1–64 of letters, digits, '-' and '_'.</summary>
    public static bool IsValidId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Permissions travel comma-separated in a header, so they are 1–64 of letters, digits and ':', '.', '_', '-', '*'.
    /// </summary>
    public static bool IsValidPermission(ReadOnlySpan<char> permission)
    {
        if (permission.IsEmpty || permission.Length > MaxPermissionLength)
        {
            return false;
        }

        foreach (var c in permission)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is ':' or '.' or '_' or '-' or '*'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidExpiresInDays(int days) => days is >= MinExpiresInDays and <= MaxExpiresInDays;

    /// <summary>Trims a token name; null or blank means unnamed. False when the trimmed name is too long.</summary>
    public static bool TryNormalizeName(string? name, out string? normalized)
    {
        normalized = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        return normalized is null || normalized.Length <= MaxNameLength;
    }
}
