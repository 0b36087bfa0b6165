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

        return MaxQueuedOperations < 0 ? $"{SectionName}:MaxQueuedOperations must not be negative (was {MaxQueuedOperations})." : null;
    }
}
