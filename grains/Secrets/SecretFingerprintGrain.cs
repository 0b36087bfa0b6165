using ZeroPath.Grains.Storage;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Secrets;

/// <summary>Stored state of <see cref="SecretFingerprintGrain"/>: one token id.</summary>
[GenerateSerializer]
[Alias("zp.secret-fingerprint-state")]
public sealed class SecretFingerprintState
{
    [Id(0)] public Guid TokenId { get; set; }
}

/// <summary>
/// A secret's fingerprint and the token it was issued for: one small record per token, written by its organization at
/// creation and read only to match secret-scanning reports. The record outlives the token (a report of an ended token
/// finds it, and finds the token ended).
/// </summary>
public sealed class SecretFingerprintGrain(
    [PersistentState("secret-fingerprint", GrainStorageNames.Tokens)] IPersistentState<SecretFingerprintState> state) : Grain, ISecretFingerprintGrain
{
    public async Task Record(Guid tokenId)
    {
        if (state.RecordExists && state.State.TokenId == tokenId)
        {
            return;
        }

        state.State.TokenId = tokenId;
        await state.WriteOrDropAsync(DeactivateOnIdle);

        // Read again only if the secret leaks: one create leaves no activation behind for the idle collector.
        DeactivateOnIdle();
    }

    public Task<Guid?> TokenId() => Task.FromResult<Guid?>(state.RecordExists ? state.State.TokenId : null);
}
