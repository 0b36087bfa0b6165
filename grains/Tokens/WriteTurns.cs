namespace ZeroPath.Grains.Tokens;

/// <summary>
/// One write at a time within one grain activation, in the order they asked. The activation's scheduler runs one piece of
/// work at a time, so this needs no thread safety; it orders writes of requests with work the activation does between
/// requests.
/// </summary>
public sealed class WriteTurns
{
    private Task tail = Task.CompletedTask;

    /// <summary>Waits for the writes before this one; dispose the turn when done.</summary>
    public async Task<Turn> EnterAsync()
    {
        var previous = tail;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tail = done.Task;
        await previous;
        return new Turn(done);
    }

    public readonly struct Turn(TaskCompletionSource done) : IDisposable
    {
        public void Dispose() => done.TrySetResult();
    }
}
