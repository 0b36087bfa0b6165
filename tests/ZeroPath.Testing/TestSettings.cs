using Microsoft.Extensions.Configuration;

namespace ZeroPath.Testing;

public static class TestSettings
{
    /// <summary>
    /// Cheap Argon2id parameters for tests that create many tokens; the hashing tests and the end-to-end test use the
    /// production defaults.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> FastArgon2 = new Dictionary<string, string?>
    {
        ["ZeroPath:Argon2:MemoryKiB"] = "256",
        ["ZeroPath:Argon2:Iterations"] = "1",
        ["ZeroPath:Argon2:Parallelism"] = "1",
        ["ZeroPath:Argon2:MaxConcurrentOperations"] = "4",
    };

    public static IConfiguration FastArgon2Configuration() => new ConfigurationBuilder().AddInMemoryCollection(FastArgon2).Build();

    /// <summary>A fixed instant far from any real clock, so a test that forgets the fake clock fails loudly.</summary>
    public static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 33)];
}
