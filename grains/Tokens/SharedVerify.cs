using ZeroPath.Grains.Secrets;

namespace ZeroPath.Grains.Tokens;

/// <summary>
/// One Argon2id verify and the requests waiting for it. Cancelled (dropped while still queued for Argon2 capacity) only
/// when every one of them has given up, so one caller going away never fails the others. Used from one grain
/// activation's scheduler, so the count of waiters needs no lock.
/// </summary>
public sealed class SharedVerify : IDisposable
{
    private readonly CancellationTokenSource cancellation = new();
    private int waiting;

    public SharedVerify(Func<CancellationToken, Task<SecretCheck>> verify) => Check = verify(cancellation.Token);

    public Task<SecretCheck> Check { get; }

    /// <summary>Waits for the check on behalf of one caller.</summary>
    public async Task<SecretCheck> WaitAsync(CancellationToken cancellationToken)
    {
        waiting++;
        try
        {
            return await Check.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !Check.IsCompleted)
        {
            if (waiting == 1)
            {
                // The last caller gave up: nobody wants the answer any more.
                await cancellation.CancelAsync();
            }

            throw;
        }
        finally
        {
            waiting--;
        }
    }

    /// <summary>Call once <see cref="Check"/> has completed.</summary>
    public void Dispose() => cancellation.Dispose();
}
