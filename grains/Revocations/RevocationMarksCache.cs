using System.Collections.Concurrent;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Revocations;

/// <summary>
/// This silo's copy of every organization's revocation marks that a token here has needed. Token grains read it on each
/// validation (a dictionary lookup); <see cref="RevocationMarksGrain"/> pushes raised marks into every silo's copy, and
/// the first validation of an organization's token on a silo loads that organization's marks. Marks only rise, so a late
/// or repeated update never undoes a newer one. One small entry per organization with tokens active here; entries are
/// never dropped, because a dropped entry would have to be re-read before the next validation.
/// </summary>
public sealed class RevocationMarksCache
{
    private readonly ConcurrentDictionary<string, RevocationMarks> organizations = new(StringComparer.Ordinal);

    public bool TryGet(string organizationId, out RevocationMarks epochs) =>
        organizations.TryGetValue(organizationId, out epochs!);

    public void Merge(string organizationId, RevocationMarks epochs) =>
        organizations.AddOrUpdate(organizationId, epochs, (_, known) => known.Merge(epochs));

    /// <summary>The organization's marks, read from its <see cref="IRevocationMarksGrain"/> the first time this silo needs them.</summary>
    public ValueTask<RevocationMarks> GetAsync(string organizationId, IGrainFactory grains) =>
        organizations.TryGetValue(organizationId, out var epochs)
            ? ValueTask.FromResult(epochs)
            : LoadAsync(organizationId, grains);

    private async ValueTask<RevocationMarks> LoadAsync(string organizationId, IGrainFactory grains)
    {
        Merge(organizationId, await grains.GetGrain<IRevocationMarksGrain>(organizationId).Read());
        return organizations[organizationId];
    }
}
