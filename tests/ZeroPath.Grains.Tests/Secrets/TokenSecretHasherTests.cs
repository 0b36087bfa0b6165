using Microsoft.Extensions.Options;
using ZeroPath.Grains.Secrets;

namespace ZeroPath.Grains.Tests.Secrets;

public class TokenSecretHasherTests
{
    private static TokenSecretHasher Hasher(TokenHashingOptions? options = null) => new(Options.Create(options ?? new TokenHashingOptions()));

    [Fact]
    public void Default_hash_is_an_argon2id_phc_string_with_the_configured_cost()
    {
        using var hasher = Hasher();
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        var hash = hasher.Hash(secret);

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, hash, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_accepts_the_secret_and_rejects_any_other()
    {
        using var hasher = Hasher();
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        var hash = await hasher.HashAsync(secret);

        Assert.NotNull(hash);
        Assert.Equal(SecretCheck.Match, await hasher.VerifyAsync(hash, secret));
        Assert.Equal(SecretCheck.Mismatch, await hasher.VerifyAsync(hash, ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid())));
        Assert.Equal(SecretCheck.Mismatch, await hasher.VerifyAsync(hash, secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A')));
    }

    [Fact]
    public void The_same_secret_hashes_differently_each_time()
    {
        using var hasher = Hasher(new TokenHashingOptions { MemoryKiB = 256, Iterations = 1 });
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        Assert.NotEqual(hasher.Hash(secret), hasher.Hash(secret));
    }

    [Fact]
    public void Verify_uses_the_cost_stored_in_the_hash_not_the_current_options()
    {
        using var oldHasher = Hasher(new TokenHashingOptions { MemoryKiB = 256, Iterations = 1 });
        using var newHasher = Hasher(new TokenHashingOptions { MemoryKiB = 1024, Iterations = 3 });
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        Assert.True(newHasher.Verify(oldHasher.Hash(secret), secret));
    }

    [Fact]
    public async Task Work_beyond_the_running_and_queued_bound_answers_busy_at_once()
    {
        // One slot, no queue, and a hash costly enough (~0.3 s) to still be running when the second call arrives.
        using var hasher = Hasher(new TokenHashingOptions { MemoryKiB = 65536, Iterations = 3, MaxConcurrentOperations = 1, MaxQueuedOperations = 0 });
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        var hash = hasher.Hash(secret);

        var first = hasher.VerifyAsync(hash, secret);
        var second = await hasher.VerifyAsync(hash, secret);

        Assert.Equal(SecretCheck.Busy, second);
        Assert.Equal(SecretCheck.Match, await first);
        Assert.Equal(SecretCheck.Match, await hasher.VerifyAsync(hash, secret));
    }

    [Fact]
    public async Task A_queued_verify_whose_caller_gave_up_is_dropped_and_frees_its_place()
    {
        // One slot, one queue place, a verify costly enough (~0.3 s) to hold the slot while the second waits.
        using var hasher = Hasher(new TokenHashingOptions { MemoryKiB = 65536, Iterations = 3, MaxConcurrentOperations = 1, MaxQueuedOperations = 1 });
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        var hash = hasher.Hash(secret);
        using var gaveUp = new CancellationTokenSource();

        var running = hasher.VerifyAsync(hash, secret);
        var queued = hasher.VerifyAsync(hash, secret, gaveUp.Token);
        Assert.False(queued.IsCompleted);
        await gaveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.False(running.IsCompleted, "the cancelled verify ended before the running one: it never ran");
        // Its queue place is free again: a third caller waits for the slot instead of answering Busy.
        var third = hasher.VerifyAsync(hash, secret);
        Assert.Equal(SecretCheck.Match, await running);
        Assert.Equal(SecretCheck.Match, await third);
    }

    [Theory]
    [InlineData(4, 1, 1, "MemoryKiB")]
    [InlineData(19456, 0, 1, "Iterations")]
    [InlineData(19456, 2, 0, "Parallelism")]
    public void Invalid_options_name_the_setting(int memory, int iterations, int parallelism, string setting)
    {
        var error = new TokenHashingOptions { MemoryKiB = memory, Iterations = iterations, Parallelism = parallelism }.Validate();

        Assert.NotNull(error);
        Assert.Contains("ZeroPath:Argon2:" + setting, error, StringComparison.Ordinal);
    }
}
