namespace ZeroPath.Tokens;

/// <summary>Keys as configuration gives them: base64 text.</summary>
public static class KeyText
{
    /// <summary>The key's bytes, or null when the setting is missing, empty or not base64 (callers then name the setting).</summary>
    public static byte[]? DecodeBase64(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
