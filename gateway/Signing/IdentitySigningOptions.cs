using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Signing;

/// <summary>
/// Keys the gateway signs the identity headers with, shared with the upstreams. Section
/// <c>ZeroPath:Gateway:IdentitySigning</c>: <c>Keys:&lt;id&gt;</c> = base64 of at least 32 random bytes,
/// <c>CurrentKeyId</c> = the key that signs. No keys and no current key id: nothing is signed.
/// </summary>
public sealed class IdentitySigningOptions
{
    public const string SectionName = "ZeroPath:Gateway:IdentitySigning";
    public const int MinKeyBytes = 32;
    public const int MaxKeyIdLength = 32;

    public string CurrentKeyId { get; set; } = "";

    /// <summary>Key id (1–32 of letters, digits, '-', '_') to base64 key.</summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    public bool Enabled => Keys.Count > 0 || !string.IsNullOrWhiteSpace(CurrentKeyId);

    public void Validate(StartupSettings settings)
    {
        if (!Enabled)
        {
            return;
        }

        foreach (var (id, value) in Keys)
        {
            if (!IsValidKeyId(id))
            {
                settings.Fail(SectionName, $"{nameof(Keys)}:{id}", $"has an invalid key id: 1–{MaxKeyIdLength} of letters, digits, '-' and '_'.");
            }
            else if (KeyText.DecodeBase64(value) is not { Length: >= MinKeyBytes })
            {
                settings.Fail(SectionName, $"{nameof(Keys)}:{id}", $"must be base64 of at least {MinKeyBytes} bytes (openssl rand -base64 32).");
            }
        }

        if (!Keys.ContainsKey(CurrentKeyId))
        {
            settings.Fail(SectionName, nameof(CurrentKeyId), $"must name one of the configured Keys (was '{CurrentKeyId}'); to sign nothing, configure neither.");
        }
    }

    /// <summary>The signing key; call only when <see cref="Validate"/> found no problem and <see cref="Enabled"/>.</summary>
    public byte[] CurrentKey() => KeyText.DecodeBase64(Keys[CurrentKeyId])!;

    public static bool IsValidKeyId(string id) =>
        id.Length is > 0 and <= MaxKeyIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
