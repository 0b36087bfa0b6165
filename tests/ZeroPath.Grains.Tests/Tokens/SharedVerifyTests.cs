using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

public class SharedVerifyTests
{
    private readonly TaskCompletionSource<SecretCheck> argon2 = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken verifyCancellation;

    private SharedVerify Start() => new(cancellation =>
    {
        verifyCancellation = cancellation;
        return argon2.Task.WaitAsync(cancellation);
    });

    [Fact]
    public async Task One_caller_giving_up_does_not_fail_the_others_or_cancel_the_verify()
    {
        using var shared = Start();
        using var first = new CancellationTokenSource();
        var gaveUp = shared.WaitAsync(first.Token);
        var stayed = shared.WaitAsync(CancellationToken.None);

        await first.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        Assert.False(verifyCancellation.IsCancellationRequested);
        argon2.SetResult(SecretCheck.Match);
        Assert.Equal(SecretCheck.Match, await stayed);
    }

    [Fact]
    public async Task When_every_caller_gave_up_the_verify_is_cancelled()
    {
        using var shared = Start();
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var a = shared.WaitAsync(first.Token);
        var b = shared.WaitAsync(second.Token);

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        Assert.False(verifyCancellation.IsCancellationRequested);
        await second.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);

        Assert.True(verifyCancellation.IsCancellationRequested);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => shared.Check);
    }
}
