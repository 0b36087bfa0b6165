using ZeroPath.Tokens;
namespace ZeroPath.Grains.Secrets;

/// <summary>Argon2id cost and the bound on concurrent Argon2 work. Section <c>ZeroPath:Argon2</c>.</summary>
public sealed class TokenHashingOptions
{
    public const string SectionName = "ZeroPath:Argon2";

    /// <summary>Memory cost in KiB (OWASP's Argon2id minimum: 19456 KiB = 19 MiB).</summary>
    public int MemoryKiB { get; set; } = 19456;

    /// <summary>Time cost (passes over memory).</summary>
    public int Iterations { get; set; } = 2;

    /// <summary>Lanes; the hash is computed on one thread per lane.</summary>
    public int Parallelism { get; set; } = 1;

    /// <summary>Argon2 operations allowed to run at once in this process; the rest of the CPU stays for warm validations.</summary>
    public int MaxConcurrentOperations { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Operations allowed to wait for a slot; beyond this a verify answers Busy at once instead of queueing.</summary>
    public int MaxQueuedOperations { get; set; } = 64;

    /// <summary>The optional Argon2 secret key (pepper), section <c>ZeroPath:Argon2:Pepper</c>.</summary>
    public TokenPepperOptions Pepper { get; set; } = new();

    /// <summary>The first wrong setting, named as in configuration; null when all are fine.</summary>
    public string? Validate()
    {
        if (MemoryKiB < 8 * Parallelism || MemoryKiB > 4 * 1024 * 1024)
        {
            return $"{SectionName}:MemoryKiB must be between 8 x Parallelism and 4194304 (was {MemoryKiB}).";
        }

        if (Iterations is < 1 or > 100)
        {
            return $"{SectionName}:Iterations must be between 1 and 100 (was {Iterations}).";
        }

        if (Parallelism is < 1 or > 16)
        {
            return $"{SectionName}:Parallelism must be between 1 and 16 (was {Parallelism}).";
        }

        if (MaxConcurrentOperations < 1)
        {
            return $"{SectionName}:MaxConcurrentOperations must be at least 1 (was {MaxConcurrentOperations}).";
        }

        if (MaxQueuedOperations < 0)
        {
            return $"{SectionName}:MaxQueuedOperations must not be negative (was {MaxQueuedOperations}).";
        }

        return Pepper.Validate();
    }
}

/// <summary>
/// Argon2's secret input (a pepper): a key kept out of storage, so stored hashes alone cannot be checked against guesses.
/// <c>Keys:{id}</c> = base64 of at least 32 random bytes; <c>CurrentKeyId</c> = the key new and upgraded hashes use (empty:
/// none). Every stored hash names the key it was made with, so a hash keeps verifying as long as its key is configured.
/// </summary>
public sealed class TokenPepperOptions
{
    public const string SectionName = TokenHashingOptions.SectionName + ":Pepper";
    public const int MinKeyBytes = 32;
    public const int MaxKeyIdLength = 16;

    /// <summary>The key new hashes are made with; empty: no pepper.</summary>
    public string CurrentKeyId { get; set; } = "";

    /// <summary>Key id (1 to 16 of <c>0-9a-z</c>) to base64 key.</summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    public static bool IsValidKeyId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxKeyIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first wrong setting, named as in configuration (never its value); null when all are fine.</summary>
    public string? Validate()
    {
        foreach (var (id, value) in Keys.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            if (!IsValidKeyId(id))
            {
                return $"{SectionName}:Keys:{id} has an invalid key id: 1 to {MaxKeyIdLength} characters of 0-9 and a-z.";
            }

            if (KeyText.DecodeBase64(value) is not { Length: >= MinKeyBytes })
            {
                return $"{SectionName}:Keys:{id} must be base64 of at least {MinKeyBytes} bytes (openssl rand -base64 32).";
            }
        }

        return CurrentKeyId.Length > 0 && !Keys.ContainsKey(CurrentKeyId)
            ? $"{SectionName}:CurrentKeyId must be empty or name one of the configured {SectionName}:Keys (was '{CurrentKeyId}')."
            : null;
    }

    /// <summary>The decoded keys; call only when <see cref="Validate"/> found nothing wrong.</summary>
    public Dictionary<string, byte[]> DecodeKeys() =>
        Keys.ToDictionary(k => k.Key, k => KeyText.DecodeBase64(k.Value) ?? throw new InvalidOperationException(Validate()), StringComparer.Ordinal);
}
