using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// One organization's bulk-revocation marks (<see cref="RevocationMarks"/>), kept apart from the organization grain so
/// that token grains can read them cheaply (small state, no token index) and without waiting on a running fan-out.
/// </summary>
[Alias("zp.revocation-epochs-grain")]
public interface IRevocationMarksGrain : IGrainWithStringKey
{
    /// <summary>The marks as stored.</summary>
    [ReadOnly]
    [Alias("read")]
    Task<RevocationMarks> Read();

    /// <summary>
    /// Stores the marks as its organization holds them now (the organization is their only writer, so a member's mark it
    /// dropped after that member's fan-out finished goes too) and hands them to every active silo, so every token of the
    /// organization judges its validations by them from then on. Idempotent.
    /// </summary>
    [Alias("raise")]
    Task Publish(RevocationMarks marks);
}
