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

    public const string FormatKeyId = "t1";

    /// <summary>A fixed test key (never a production one): tests can mint correctly tagged secrets with it.</summary>
    public static readonly byte[] FormatKey = System.Security.Cryptography.SHA256.HashData("zeropath test format key"u8);

    /// <summary>The secret format key every test silo issues under and every test gateway checks with.</summary>
    public static readonly IReadOnlyDictionary<string, string?> SecretFormat = new Dictionary<string, string?>
    {
        ["ZeroPath:SecretFormat:CurrentKeyId"] = FormatKeyId,
        [$"ZeroPath:SecretFormat:Keys:{FormatKeyId}"] = Convert.ToBase64String(FormatKey),
    };

    /// <summary>The key ring test silos use: <c>FormatKeys.NewSecret(id)</c> is a well-tagged secret that is not the token's.</summary>
    public static readonly ZeroPath.Tokens.SecretFormatKeyRing FormatKeys =
        new(new Dictionary<string, byte[]> { [FormatKeyId] = FormatKey }, FormatKeyId, acceptLegacySecrets: true);

    /// <summary>A fixed test cluster call key (never a production one): silos sign their grain calls with it.</summary>
    public static readonly IReadOnlyDictionary<string, string?> CallKey = new Dictionary<string, string?>
    {
        ["ZeroPath:Cluster:CallKey"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("zeropath test call key"u8)),
    };

    /// <summary>A fixed test webhook signing key (never a production one); only the silos of webhook tests get it.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Webhooks = new Dictionary<string, string?>
    {
        ["ZeroPath:Webhooks:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("zeropath test webhook key"u8)),
    };

    /// <summary>Cheap Argon2, the test format key and the call key: what a test silo needs (TLS files: <see cref="TestCertificates"/>).</summary>
    public static readonly IReadOnlyDictionary<string, string?> Silo = FastArgon2.Concat(SecretFormat).Concat(CallKey).ToDictionary();

    /// <summary>The format key and the call key, without cheap Argon2.</summary>
    public static IConfiguration ProductionArgon2Configuration() => new ConfigurationBuilder().AddInMemoryCollection(SecretFormat.Concat(CallKey)).Build();

    public static IConfiguration FastArgon2Configuration() => new ConfigurationBuilder().AddInMemoryCollection(Silo).Build();


    /// <summary>Grain state and reminders in Azure Table storage (Azurite) instead of the default, Redis.</summary>
    public static IReadOnlyDictionary<string, string?> AzureTableStorage(string connectionString) => new Dictionary<string, string?>
    {
        ["ZeroPath:Storage:Provider"] = "AzureTable",
        ["ZeroPath:Storage:ConnectionString"] = connectionString,
    };

    /// <summary>A random secret of the format issued before <c>zp_</c> secrets: 43 base64url characters.</summary>
    public static string LegacySecret() => System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>A fixed instant far from any real clock, so a test that forgets the fake clock fails loudly.</summary>
    public static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 33)];
}
