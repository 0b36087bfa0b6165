namespace ZeroPath.Grains.Storage;

/// <summary>How every grain here changes its stored state.</summary>
internal static class StateWrites
{
    /// <summary>
    /// Writes state; if the write fails, <paramref name="dropActivation"/> (the grain's <c>DeactivateOnIdle</c>) runs so
    /// the next call reloads what storage really holds instead of serving changes that were never stored, and the
    /// failure is rethrown.
    /// </summary>
    public static Task WriteOrDropAsync<T>(this IPersistentState<T> state, Action dropActivation) =>
        OrDropAsync(state.WriteStateAsync, dropActivation);

    /// <summary>Deletes the stored record, as <see cref="WriteOrDropAsync{T}"/> writes it.</summary>
    public static Task ClearOrDropAsync<T>(this IPersistentState<T> state, Action dropActivation) =>
        OrDropAsync(state.ClearStateAsync, dropActivation);

    private static async Task OrDropAsync(Func<Task> change, Action dropActivation)
    {
        try
        {
            await change();
        }
        catch
        {
            dropActivation();
            throw;
        }
    }
}
