using System.Collections.Concurrent;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Revocations;

/// <summary>
/// This silo's copy of every organization's revocation marks that a token here has needed. Token grains read it on each
/// validation (a dictionary lookup); <see cref="RevocationEpochGrain"/> pushes raised marks into every silo's copy, and
/// the first validation of an organization's token on a silo loads that organization's marks. Marks only rise, so a late
/// or repeated update never undoes a newer one. One small entry per organization with tokens active here; entries are
/// never dropped, because a dropped entry would have to be re-read before the next validation.
/// </summary>
public sealed class RevocationEpochCache
{
    private readonly ConcurrentDictionary<string, RevocationEpochs> organizations = new(StringComparer.Ordinal);

    public bool TryGet(string organizationId, out RevocationEpochs epochs) =>
        organizations.TryGetValue(organizationId, out epochs!);

    public void Merge(string organizationId, RevocationEpochs epochs) =>
        organizations.AddOrUpdate(organizationId, epochs, (_, known) => known.Merge(epochs));

    /// <summary>The organization's marks, read from its <see cref="IRevocationEpochGrain"/> the first time this silo needs them.</summary>
    public ValueTask<RevocationEpochs> GetAsync(string organizationId, IGrainFactory grains) =>
        organizations.TryGetValue(organizationId, out var epochs)
            ? ValueTask.FromResult(epochs)
            : LoadAsync(organizationId, grains);

    private async ValueTask<RevocationEpochs> LoadAsync(string organizationId, IGrainFactory grains)
    {
        Merge(organizationId, await grains.GetGrain<IRevocationEpochGrain>(organizationId).Read());
        return organizations[organizationId];
    }
}
