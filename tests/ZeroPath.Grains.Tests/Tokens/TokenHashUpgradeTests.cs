using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Tokens;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

/// <summary>
/// Stored hashes follow the configured Argon2 cost and pepper key: a token issued under one configuration is re-hashed on
/// its first valid validation under another. Each test redeploys: clusters started one after another over one store.
/// </summary>
public class TokenHashUpgradeTests
{
    private const string CheapHash = "$argon2id$v=19$m=256,t=1,p=1$";
    private const string CostlierHash = "$argon2id$v=19$m=512,t=2,p=1$";
    private static readonly string PepperA = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("upgrade pepper a"u8));
    private static readonly string PepperB = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("upgrade pepper b"u8));

    private readonly SharedGrainStore store = new();

    private static void Costlier(TokenHashingOptions o)
    {
        o.MemoryKiB = 512;
        o.Iterations = 2;
    }

    private static Action<TokenHashingOptions> Pepper(string current, params (string Id, string Key)[] keys) => o =>
    {
        o.Pepper.CurrentKeyId = current;
        foreach (var (id, key) in keys)
        {
            o.Pepper.Keys[id] = key;
        }
    };

    private async Task<TokenTestCluster> StartAsync(
        Action<TokenHashingOptions>? argon2 = null, Action<CountingGrainStorage>? counting = null, LogCapture? logs = null)
    {
        var cluster = await TokenTestCluster.StartAsync(configure: silo =>
        {
            store.UseIn(silo);
            silo.Services.Configure<TokenHashingOptions>(o => argon2?.Invoke(o));
            if (counting is not null)
            {
                CountingGrainStorage.Decorate(silo.Services, GrainStorageNames.Tokens, counting);
            }

            if (logs is not null)
            {
                silo.Services.AddSingleton<ILoggerProvider>(logs);
            }
        });

        // The storage is made on first use: made now, so the test holds the counting layer before any grain writes.
        cluster.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Tokens);
        return cluster;
    }

    /// <summary>Issues tokens under the given settings, then stops that cluster.</summary>
    private async Task<List<IssuedToken>> IssueAsync(Action<TokenHashingOptions>? argon2 = null, int count = 1)
    {
        await using var cluster = await StartAsync(argon2);
        var org = cluster.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        return await ClusterFixture.IssueManyAsync(org, count);
    }

    private static async Task<string?> StoredHashAsync(TokenTestCluster cluster, Guid tokenId)
    {
        var storage = cluster.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Tokens);
        var stored = new GrainState<TokenState>();
        await storage.ReadStateAsync("token", cluster.Grains.GetGrain<ITokenGrain>(tokenId).GetGrainId(), stored);
        return stored.State!.SecretHash;
    }

    private static Task WaitForHashAsync(TokenTestCluster cluster, Guid tokenId, string prefix) => Poll.UntilAsync(
        async () => (await StoredHashAsync(cluster, tokenId))?.StartsWith(prefix, StringComparison.Ordinal) == true,
        TimeSpan.FromSeconds(15),
        $"the stored hash to start with {prefix}");

    [Fact]
    public async Task A_hash_made_with_an_older_cost_is_replaced_on_the_next_valid_validation_and_then_left_alone()
    {
        var token = (await IssueAsync()).Single();
        CountingGrainStorage counting = null!;
        await using var cluster = await StartAsync(Costlier, c => counting = c);
        var grain = cluster.Grains.GetGrain<ITokenGrain>(token.TokenId);
        Assert.StartsWith(CheapHash, await StoredHashAsync(cluster, token.TokenId), StringComparison.Ordinal);

        Assert.True((await grain.Validate(token.Secret)).IsValid);

        await WaitForHashAsync(cluster, token.TokenId, CostlierHash);
        var writes = counting.WritesOn(grain.GetGrainId());
        for (var i = 0; i < 20; i++)
        {
            Assert.True((await grain.Validate(token.Secret)).IsValid);
        }

        Assert.Equal(writes, counting.WritesOn(grain.GetGrainId()));
        await cluster.Cluster.DeactivateAsync(grain);
        Assert.True((await grain.Validate(token.Secret)).IsValid);
        Assert.Equal(TokenValidationOutcome.Invalid, (await grain.Validate(TestSettings.FormatKeys.NewSecret(token.TokenId))).Outcome);
        Assert.Equal(writes, counting.WritesOn(grain.GetGrainId()));
        Assert.DoesNotContain(token.Secret, store.StoredJson("token", grain.GetGrainId()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_secret_never_upgrades_anything()
    {
        var token = (await IssueAsync()).Single();
        await using var cluster = await StartAsync(Costlier);
        var grain = cluster.Grains.GetGrain<ITokenGrain>(token.TokenId);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(TokenValidationOutcome.Invalid, (await grain.Validate(TestSettings.FormatKeys.NewSecret(token.TokenId))).Outcome);
        }

        await Task.Delay(200);
        Assert.StartsWith(CheapHash, await StoredHashAsync(cluster, token.TokenId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hashes_follow_a_pepper_turned_on_and_rotated_and_a_hash_whose_key_was_removed_fails_closed()
    {
        var tokens = await IssueAsync(count: 2);
        var (moved, left) = (tokens[0], tokens[1]);

        // A pepper is turned on: stored hashes without one keep validating, and take it on.
        await using (var cluster = await StartAsync(Pepper("p1", ("p1", PepperA))))
        {
            foreach (var token in tokens)
            {
                Assert.StartsWith(CheapHash, await StoredHashAsync(cluster, token.TokenId), StringComparison.Ordinal);
                Assert.True((await cluster.Grains.GetGrain<ITokenGrain>(token.TokenId).Validate(token.Secret)).IsValid);
                await WaitForHashAsync(cluster, token.TokenId, "$zp-pepper=p1" + CheapHash);
            }
        }

        // Rotated to p2 (p1 kept): only the token validated meanwhile moves.
        await using (var cluster = await StartAsync(Pepper("p2", ("p1", PepperA), ("p2", PepperB))))
        {
            Assert.True((await cluster.Grains.GetGrain<ITokenGrain>(moved.TokenId).Validate(moved.Secret)).IsValid);
            await WaitForHashAsync(cluster, moved.TokenId, "$zp-pepper=p2" + CheapHash);
            Assert.StartsWith("$zp-pepper=p1$", await StoredHashAsync(cluster, left.TokenId), StringComparison.Ordinal);
        }

        // p1 removed: the moved token validates, the other fails closed, says so once, and is not locked as if guessed at.
        var logs = new LogCapture();
        await using (var cluster = await StartAsync(Pepper("p2", ("p2", PepperB)), logs: logs))
        {
            Assert.True((await cluster.Grains.GetGrain<ITokenGrain>(moved.TokenId).Validate(moved.Secret)).IsValid);
            var stranded = cluster.Grains.GetGrain<ITokenGrain>(left.TokenId);
            for (var i = 0; i < 15; i++)
            {
                Assert.Equal(TokenValidationOutcome.Invalid, (await stranded.Validate(left.Secret)).Outcome);
            }

            Assert.StartsWith("$zp-pepper=p1$", await StoredHashAsync(cluster, left.TokenId), StringComparison.Ordinal);
        }

        var missing = logs.Lines.Where(l => l.Contains("pepper key p1", StringComparison.Ordinal)).ToList();
        Assert.Single(missing);
        Assert.Contains(left.TokenId.ToString(), missing[0], StringComparison.Ordinal);
        Assert.All(logs.Lines, line =>
        {
            Assert.DoesNotContain(left.Secret, line, StringComparison.Ordinal);
            Assert.DoesNotContain(moved.Secret, line, StringComparison.Ordinal);
            Assert.DoesNotContain(PepperA, line, StringComparison.Ordinal);
            Assert.DoesNotContain(PepperB, line, StringComparison.Ordinal);
            Assert.DoesNotContain("$argon2id$", line, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_failed_upgrade_write_leaves_the_old_hash_stored_and_valid_and_is_retried_later()
    {
        var token = (await IssueAsync()).Single();
        CountingGrainStorage counting = null!;
        await using var cluster = await StartAsync(Costlier, c => counting = c);
        var grain = cluster.Grains.GetGrain<ITokenGrain>(token.TokenId);
        counting.FailWrites(grain.GetGrainId());

        Assert.True((await grain.Validate(token.Secret)).IsValid);
        await Poll.UntilAsync(() => counting.WritesOn(grain.GetGrainId()) > 0, TimeSpan.FromSeconds(15), "an upgrade write to be tried");
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await grain.Validate(token.Secret)).IsValid);
        }

        Assert.StartsWith(CheapHash, await StoredHashAsync(cluster, token.TokenId), StringComparison.Ordinal);
        await cluster.Cluster.DeactivateAsync(grain);
        Assert.True((await grain.Validate(token.Secret)).IsValid);
        Assert.StartsWith(CheapHash, await StoredHashAsync(cluster, token.TokenId), StringComparison.Ordinal);

        // Storage recovers; the next attempt comes after the retry delay.
        await Poll.UntilAsync(() => counting.WritesOn(grain.GetGrainId()) > 1, TimeSpan.FromSeconds(15), "the new activation's attempt");
        counting.Heal(grain.GetGrainId());
        // The failed attempt sets its retry time when its failure is handled, which may come after this point: move the
        // clock past the retry delay again until a validation's attempt is stored.
        await Poll.UntilAsync(
            async () =>
            {
                cluster.Clock.Advance(TokenGrain.UpgradeRetryDelay);
                Assert.True((await grain.Validate(token.Secret)).IsValid);
                return (await StoredHashAsync(cluster, token.TokenId))?.StartsWith(CostlierHash, StringComparison.Ordinal) == true;
            },
            TimeSpan.FromSeconds(15),
            $"the stored hash to start with {CostlierHash}");
        await cluster.Cluster.DeactivateAsync(grain);
        Assert.True((await grain.Validate(token.Secret)).IsValid);
    }

    [Fact]
    public async Task An_upgrade_stored_despite_a_reported_failure_does_not_stop_a_later_revoke()
    {
        var token = (await IssueAsync()).Single();
        CountingGrainStorage counting = null!;
        await using var cluster = await StartAsync(Costlier, c => counting = c);
        var grain = cluster.Grains.GetGrain<ITokenGrain>(token.TokenId);
        counting.FailWrites(grain.GetGrainId(), WriteFault.FailAfterWriting);

        Assert.True((await grain.Validate(token.Secret)).IsValid);
        await WaitForHashAsync(cluster, token.TokenId, CostlierHash);
        counting.Heal(grain.GetGrainId());
        Assert.True((await grain.Validate(token.Secret)).IsValid);

        Assert.Equal(TokenStatus.Revoked, (await cluster.Grains.RevokeTokenAsync(token.TokenId, "rotated out"))!.Status);
        Assert.Null(await StoredHashAsync(cluster, token.TokenId));
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
    }

    [Fact]
    public async Task Validations_answer_during_an_upgrade_write_and_a_revoke_waits_for_it_and_ends_the_token()
    {
        var token = (await IssueAsync()).Single();
        CountingGrainStorage counting = null!;
        await using var cluster = await StartAsync(Costlier, c => counting = c);
        var grain = cluster.Grains.GetGrain<ITokenGrain>(token.TokenId);
        counting.HoldWrites(grain.GetGrainId());

        Assert.True((await grain.Validate(token.Secret)).IsValid);
        await Poll.UntilAsync(() => counting.WritesOn(grain.GetGrainId()) > 0, TimeSpan.FromSeconds(15), "the upgrade write to start");
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await grain.Validate(token.Secret)).IsValid);
        }

        var revoke = cluster.Grains.RevokeTokenAsync(token.TokenId, "leaked");
        await Task.Delay(200);
        Assert.False(revoke.IsCompleted, "the revoke waited for the upgrade write in progress");
        counting.Release(grain.GetGrainId());

        Assert.Equal(TokenStatus.Revoked, (await revoke)!.Status);
        Assert.Null(await StoredHashAsync(cluster, token.TokenId));
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
        await cluster.Cluster.DeactivateAsync(grain);
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
    }

    [Fact]
    public async Task An_upgrade_write_that_fails_while_a_revoke_waits_puts_back_nothing_over_the_end()
    {
        var token = (await IssueAsync()).Single();
        CountingGrainStorage counting = null!;
        await using var cluster = await StartAsync(Costlier, c => counting = c);
        var grain = cluster.Grains.GetGrain<ITokenGrain>(token.TokenId);
        counting.HoldWrites(grain.GetGrainId());
        counting.FailWrites(grain.GetGrainId(), times: 1);

        Assert.True((await grain.Validate(token.Secret)).IsValid);
        await Poll.UntilAsync(() => counting.WritesOn(grain.GetGrainId()) > 0, TimeSpan.FromSeconds(15), "the upgrade write to start");
        var revoke = cluster.Grains.RevokeTokenAsync(token.TokenId, "leaked");
        await Task.Delay(200);
        counting.Release(grain.GetGrainId());

        Assert.Equal(TokenStatus.Revoked, (await revoke)!.Status);
        Assert.Null(await StoredHashAsync(cluster, token.TokenId));
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
        await cluster.Cluster.DeactivateAsync(grain);
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
    }
}
