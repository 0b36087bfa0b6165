using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using ZeroPath.Grains.Secrets;

namespace ZeroPath.Benchmarks;

/// <summary>
/// The two ways a token grain checks a secret: Argon2id verify at the production cost (the first validation of an
/// activation) against the HMAC digest it leaves behind (every later one).
/// </summary>
[MemoryDiagnoser]
public class SecretCheckBenchmarks
{
    private readonly TokenSecretHasher hasher = new(Options.Create(new TokenHashingOptions()));
    private readonly VerifiedSecretDigest digest = new();
    private string secret = "";
    private string hash = "";

    [GlobalSetup]
    public void Setup()
    {
        secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        hash = hasher.Hash(secret);
        digest.Remember(secret);
    }

    [Benchmark(Baseline = true, Description = "cold: Argon2id verify (m=19456, t=2, p=1)")]
    public bool Argon2Verify() => hasher.Verify(hash, secret);

    [Benchmark(Description = "warm: HMAC-SHA256 digest match")]
    public bool DigestMatch() => digest.Matches(secret);
}
