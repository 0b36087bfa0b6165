using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

public class TokenPepperTests
{
    private static readonly string KeyA = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("pepper a"u8));
    private static readonly string KeyB = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("pepper b"u8));

    private static TokenSecretHasher Hasher(string current = "", params (string Id, string Key)[] keys)
    {
        var options = new TokenHashingOptions { MemoryKiB = 256, Iterations = 1 };
        options.Pepper.CurrentKeyId = current;
        foreach (var (id, key) in keys)
        {
            options.Pepper.Keys[id] = key;
        }

        return new TokenSecretHasher(Options.Create(options));
    }

    private static string NewSecret() => ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

    [Fact]
    public void A_peppered_hash_names_its_key_and_verifies_only_with_that_key()
    {
        using var withA = Hasher("p1", ("p1", KeyA));
        using var withB = Hasher("p1", ("p1", KeyB));
        using var without = Hasher();
        var secret = NewSecret();

        var hash = withA.Hash(secret);

        Assert.StartsWith("$zp-pepper=p1$argon2id$v=19$m=256,t=1,p=1$", hash, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyA, hash, StringComparison.Ordinal);
        Assert.Equal(SecretCheck.Match, withA.Check(hash, secret));
        Assert.Equal(SecretCheck.Mismatch, withA.Check(hash, NewSecret()));
        // Argon2 honours the key: the same hash checked with another key, or with none, does not match.
        Assert.Equal(SecretCheck.Mismatch, withB.Check(hash, secret));
        var phcAlone = hash["$zp-pepper=p1".Length..];
        Assert.Equal(SecretCheck.Mismatch, without.Check(phcAlone, secret));
        Assert.Equal(SecretCheck.Mismatch, withA.Check(phcAlone, secret));
    }

    [Fact]
    public void Hashes_without_a_pepper_or_with_an_older_key_keep_verifying_after_a_pepper_is_turned_on_or_rotated()
    {
        using var none = Hasher();
        using var first = Hasher("p1", ("p1", KeyA));
        using var rotated = Hasher("p2", ("p1", KeyA), ("p2", KeyB));
        var secret = NewSecret();
        var unpeppered = none.Hash(secret);
        var peppered = first.Hash(secret);

        Assert.StartsWith("$argon2id$", unpeppered, StringComparison.Ordinal);
        Assert.True(first.Verify(unpeppered, secret));
        Assert.True(rotated.Verify(unpeppered, secret));
        Assert.True(rotated.Verify(peppered, secret));
        Assert.StartsWith("$zp-pepper=p2$", rotated.Hash(secret), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hash_whose_key_is_not_configured_fails_closed_without_argon2()
    {
        using var first = Hasher("p1", ("p1", KeyA));
        // No Argon2 capacity at all: only an answer that needs no Argon2 can come back as anything but Busy.
        using var keyRemoved = new TokenSecretHasher(Options.Create(new TokenHashingOptions
        {
            MemoryKiB = 256,
            Iterations = 1,
            MaxConcurrentOperations = 1,
            MaxQueuedOperations = 0,
        }));
        var secret = NewSecret();
        var hash = first.Hash(secret);

        Assert.Equal(SecretCheck.PepperKeyMissing, keyRemoved.Check(hash, secret));
        Assert.False(keyRemoved.Verify(hash, secret));
        Assert.Equal(SecretCheck.PepperKeyMissing, await keyRemoved.VerifyAsync(hash, secret));
        Assert.Equal("p1", TokenSecretHasher.PepperKeyIdOf(hash));
        Assert.Null(TokenSecretHasher.PepperKeyIdOf(keyRemoved.Hash(secret)));
    }

    [Fact]
    public void A_hash_is_current_only_with_the_configured_cost_and_pepper_key()
    {
        using var cheap = Hasher();
        using var costlier = new TokenSecretHasher(Options.Create(new TokenHashingOptions { MemoryKiB = 512, Iterations = 1 }));
        using var longer = new TokenSecretHasher(Options.Create(new TokenHashingOptions { MemoryKiB = 256, Iterations = 2 }));
        using var wider = new TokenSecretHasher(Options.Create(new TokenHashingOptions { MemoryKiB = 256, Iterations = 1, Parallelism = 2 }));
        using var p1 = Hasher("p1", ("p1", KeyA));
        using var p1AndP10 = Hasher("p10", ("p1", KeyA), ("p10", KeyB));
        using var p1Kept = Hasher("", ("p1", KeyA));
        var secret = NewSecret();
        var hash = cheap.Hash(secret);

        Assert.True(cheap.IsCurrent(hash));
        Assert.False(costlier.IsCurrent(hash));
        Assert.False(longer.IsCurrent(hash));
        Assert.False(wider.IsCurrent(hash));
        Assert.False(p1.IsCurrent(hash));
        Assert.True(p1.IsCurrent(p1.Hash(secret)));
        Assert.False(p1AndP10.IsCurrent(p1.Hash(secret)));
        // Turning the pepper off (keys kept for verifying): peppered hashes are upgraded to unpeppered ones.
        Assert.False(p1Kept.IsCurrent(p1.Hash(secret)));
        Assert.True(p1Kept.IsCurrent(hash));
    }

    [Theory]
    [InlineData("P1", "dmFsaWQ=", "", "ZeroPath:Argon2:Pepper:Keys:P1")]
    [InlineData("p1", "c2hvcnQga2V5", "", "ZeroPath:Argon2:Pepper:Keys:p1")]
    [InlineData("p1", "not base64 at all!", "", "ZeroPath:Argon2:Pepper:Keys:p1")]
    [InlineData("p1", null, "p2", "ZeroPath:Argon2:Pepper:CurrentKeyId")]
    public void Invalid_pepper_settings_name_the_setting_and_never_the_key(string id, string? key, string current, string setting)
    {
        var options = new TokenHashingOptions();
        options.Pepper.Keys[id] = key ?? KeyA;
        options.Pepper.CurrentKeyId = current;

        var error = options.Validate();

        Assert.NotNull(error);
        Assert.Contains(setting, error, StringComparison.Ordinal);
        Assert.DoesNotContain(key ?? KeyA, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_pepper_settings_pass()
    {
        var options = new TokenHashingOptions();
        options.Pepper.Keys["p1"] = KeyA;
        options.Pepper.Keys["p2"] = KeyB;
        options.Pepper.CurrentKeyId = "p2";

        Assert.Null(options.Validate());
        Assert.Null(new TokenHashingOptions().Validate());
    }

    [Fact]
    public async Task A_process_with_a_bad_pepper_setting_stops_at_start_up_naming_it_and_not_its_value()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(ZeroPath.Testing.TestSettings.Silo)
        {
            ["ZeroPath:Argon2:Pepper:Keys:p1"] = "c2hvcnQga2V5",
            ["ZeroPath:Argon2:Pepper:CurrentKeyId"] = "p1",
        }).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddZeroPathGrains(configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ZeroPath:Argon2:Pepper:Keys:p1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2hvcnQga2V5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pepper_settings_bind_from_configuration_as_kubernetes_environment_variables_give_them()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                // ZeroPath__Argon2__Pepper__Keys__p1 and ZeroPath__Argon2__Pepper__CurrentKeyId in the environment.
                ["ZeroPath:Argon2:Pepper:Keys:p1"] = KeyA,
                ["ZeroPath:Argon2:Pepper:CurrentKeyId"] = "p1",
            }.Concat(ZeroPath.Testing.TestSettings.CallKey)).Build();
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddZeroPathGrains(configuration);
        using var provider = services.BuildServiceProvider();

        var hasher = provider.GetRequiredService<TokenSecretHasher>();

        Assert.StartsWith("$zp-pepper=p1$", hasher.Hash(NewSecret()), StringComparison.Ordinal);
    }
}
