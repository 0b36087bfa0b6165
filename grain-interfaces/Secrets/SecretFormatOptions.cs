namespace ZeroPath.Tokens;

/// <summary>
/// The secret format keys. Section <c>ZeroPath:SecretFormat</c>, on silos (which issue) and gateways (which check):
/// <c>Keys:{id}</c> = base64 of at least 32 random bytes, <c>CurrentKeyId</c> = the key silos issue new secrets under.
/// To rotate: add a new key everywhere, then make it current on the silos; remove the old key once the tokens issued
/// under it have expired (removing it earlier ends them all).
/// </summary>
public sealed class SecretFormatOptions
{
    public const string SectionName = "ZeroPath:SecretFormat";
    public const int MinKeyBytes = 32;

    public string CurrentKeyId { get; set; } = "";

    /// <summary>Key id (2 of <c>0-9a-z</c>) to base64 key.</summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Accept the 43-character secrets issued before this format until they expire (at most 365 days).</summary>
    public bool AcceptLegacySecrets { get; set; } = true;

    /// <summary>Every problem with these settings as (setting name, problem); <paramref name="issuing"/>: a current key is needed.</summary>
    public IEnumerable<(string Key, string Problem)> Problems(bool issuing)
    {
        if (Keys.Count == 0)
        {
            yield return (nameof(Keys), "is required: at least one format key, e.g. Keys:k1 = base64 of 32 random bytes (openssl rand -base64 32); silos and gateways need the same keys.");
        }

        foreach (var (id, value) in Keys)
        {
            if (!TokenSecretFormat.IsValidKeyId(id))
            {
                yield return ($"{nameof(Keys)}:{id}", "has an invalid key id: 2 characters of 0-9 and a-z.");
            }
            else if (KeyText.DecodeBase64(value) is not { Length: >= MinKeyBytes })
            {
                yield return ($"{nameof(Keys)}:{id}", $"must be base64 of at least {MinKeyBytes} bytes.");
            }
        }

        if (issuing && !Keys.ContainsKey(CurrentKeyId))
        {
            yield return (nameof(CurrentKeyId), $"must name one of the configured keys (was '{CurrentKeyId}').");
        }
    }

    /// <summary>The key ring; call only when <see cref="Problems"/> found none.</summary>
    public SecretFormatKeyRing ToKeyRing(bool issuing) => new(
        Keys.ToDictionary(k => k.Key, k => KeyText.DecodeBase64(k.Value)!, StringComparer.Ordinal),
        issuing ? CurrentKeyId : null,
        AcceptLegacySecrets);
}
