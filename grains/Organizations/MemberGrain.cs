using System.Collections.Immutable;
using ZeroPath.Grains.Storage;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>Stored state of <see cref="MemberGrain"/>.</summary>
[GenerateSerializer]
[Alias("zp.member-state")]
public sealed class MemberState
{
    [Id(0)] public ImmutableArray<string> Permissions { get; set; } = [];
}

/// <summary>
/// One member of one organization, a record of its own so an organization's size never makes one stored record grow.
/// Written only by its organization, in its turn.
/// </summary>
public sealed class MemberGrain(
    [PersistentState("member", GrainStorageNames.Tokens)] IPersistentState<MemberState> state) : Grain, IMemberGrain
{
    public Task<ImmutableArray<string>?> GetPermissions() =>
        Task.FromResult<ImmutableArray<string>?>(state.RecordExists ? state.State.Permissions : null);

    public async Task<ImmutableArray<string>?> SetPermissions(ImmutableArray<string> permissions)
    {
        ImmutableArray<string>? previous = state.RecordExists ? state.State.Permissions : null;
        if (previous is { } known && known.SequenceEqual(permissions, StringComparer.Ordinal))
        {
            return previous;
        }

        state.State.Permissions = permissions;
        await state.WriteOrDropAsync(DeactivateOnIdle);
        return previous;
    }

    public async Task<bool> Remove()
    {
        if (!state.RecordExists)
        {
            return false;
        }

        await state.ClearOrDropAsync(DeactivateOnIdle);
        return true;
    }
}
