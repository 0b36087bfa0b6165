using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// One organization's bulk-revocation marks (<see cref="RevocationEpochs"/>), kept apart from the organization grain so
/// that token grains can read them cheaply (small state, no token index) and without waiting on a running fan-out.
/// </summary>
[Alias("zp.revocation-epochs-grain")]
public interface IRevocationEpochGrain : IGrainWithStringKey
{
    /// <summary>The marks as stored.</summary>
    [ReadOnly]
    [Alias("read")]
    Task<RevocationEpochs> Read();

    /// <summary>
    /// Stores the marks (merged with what is stored; marks only rise) and hands them to every active silo, so every
    /// token of the organization judges its validations by them from then on. Idempotent.
    /// </summary>
    [Alias("raise")]
    Task Raise(RevocationEpochs epochs);
}
