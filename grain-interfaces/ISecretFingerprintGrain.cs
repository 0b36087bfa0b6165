using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// Which token a secret belongs to, for secret-scanning reports (a <c>zp_</c> secret does not carry its token id). Keyed
/// by the secret's fingerprint (<see cref="SecretFormatKeyRing.Fingerprint"/>), never by the secret; written once when the
/// token is created, before it is stored. Tokens created before fingerprints were recorded have none.
/// </summary>
[Alias("zp.secret-fingerprint")]
public interface ISecretFingerprintGrain : IGrainWithStringKey
{
    [Alias("record")]
    Task Record(Guid tokenId);

    /// <summary>The token recorded for this fingerprint; null when none was.</summary>
    [ReadOnly]
    [Alias("token-id")]
    Task<Guid?> TokenId();
}
