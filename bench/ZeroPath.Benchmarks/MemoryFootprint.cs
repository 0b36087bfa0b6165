using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using ZeroPath.Gateway.Caching;
using ZeroPath.Grains;
using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Tokens;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Benchmarks;

/// <summary>
/// Memory per cached token at the gateway and per active token grain at the silo, measured in process with the product's
/// own types: the managed heap after a full collection, before and after N entries, divided by N.
/// <c>dotnet run -c Release -- memory [N]</c> prints one JSON object.
/// </summary>
public static class MemoryFootprint
{
    public static async Task<int> RunAsync(int count)
    {
        var gateway = MeasureGatewayCache(count);
        var refusals = MeasureRefusals(count);
        var (active, validated) = await MeasureTokenGrainsAsync(count, sample: Math.Min(count, 1_000));
        var result = new
        {
            tokens = count,
            gatewayCacheBytesPerToken = Math.Round(gateway),
            gatewayRefusalBytesPerId = Math.Round(refusals),
            siloBytesPerActiveTokenGrain = Math.Round(active),
            siloBytesPerValidatedTokenGrain = Math.Round(validated),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static double MeasureGatewayCache(int count)
    {
        var time = TimeProvider.System;
        var options = new EdgeCacheOptions { MaxEntries = count };
        var cache = new ValidationCache(options, time);
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        // Secrets and identities made first, so only what the cache keeps is counted (the identity strings a real
        // gateway deserializes per validation are part of that: each is a new string, as here).
        var secrets = ids.Select(TestSettings.FormatKeys.NewSecret).ToArray();
        var before = Heap();
        var snapshot = cache.Begin();
        for (var i = 0; i < count; i++)
        {
            var identity = new AuthenticatedToken(
                ids[i], $"org-{i / 100:D6}", $"user-{i % 100:D4}", ["scans:read", "vulns:write"], time.GetUtcNow().AddDays(30));
            cache.Store(ids[i], secrets[i], identity, snapshot);
        }

        var after = Heap();
        GC.KeepAlive(cache);
        GC.KeepAlive(secrets);
        return (after - before) / (double)count;
    }

    private static double MeasureRefusals(int count)
    {
        var refusals = new RefusalCache(new EdgeCacheOptions { MaxRefusedIds = count }, TimeProvider.System);
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        var before = Heap();
        foreach (var id in ids)
        {
            refusals.RememberUnknown(id);
        }

        var after = Heap();
        GC.KeepAlive(refusals);
        return (after - before) / (double)count;
    }

    /// <summary>
    /// N tokens' states are written to grain storage (memory storage here) and every one activated by a read-only call:
    /// the growth is N active token grains holding their state. A sample is then validated once (a real Argon2id
    /// verify) to add what a validated activation keeps besides: the verified-secret digest and the answer for warm
    /// calls. Storing goes around <c>Initialize</c> only to skip 100,000 Argon2 hashes and reminder registrations,
    /// neither of which is activation memory.
    /// </summary>
    private static async Task<(double Active, double Validated)> MeasureTokenGrainsAsync(int count, int sample)
    {
        await using var cluster = await TokenTestCluster.StartAsync(remindersOnFakeClock: false);
        var storage = cluster.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Tokens);
        using var hasher = new TokenSecretHasher(Options.Create(new TokenHashingOptions { MemoryKiB = 8, Iterations = 1 }));
        var now = cluster.Clock.GetUtcNow();
        var template = hasher.Hash("memory footprint");

        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        await ForEachAsync(Enumerable.Range(0, count), i => StoreAsync(cluster, storage, ids[i], i, new string(template.AsSpan()), now));
        var before = Heap();
        await ForEachAsync(ids, async id => Require(await cluster.Grains.GetGrain<ITokenGrain>(id).IsLive()));
        var active = (Heap() - before) / (double)count;

        var validated = Enumerable.Range(0, sample).Select(_ =>
        {
            var id = Guid.NewGuid();
            var secret = TestSettings.FormatKeys.NewSecret(id);
            return (Id: id, Secret: secret, Hash: hasher.Hash(secret));
        }).ToArray();
        await ForEachAsync(Enumerable.Range(0, sample), i => StoreAsync(cluster, storage, validated[i].Id, i, validated[i].Hash, now));
        await ForEachAsync(validated, async t => Require(await cluster.Grains.GetGrain<ITokenGrain>(t.Id).IsLive()));
        before = Heap();
        await ForEachAsync(validated, async t => Require((await cluster.Grains.GetGrain<ITokenGrain>(t.Id).Validate(t.Secret)).IsValid));
        var perValidation = (Heap() - before) / (double)sample;

        var activations = (await cluster.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains("TokenGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
        Require(activations >= count + sample);
        return (active, active + perValidation);
    }

    private static Task StoreAsync(TokenTestCluster cluster, IGrainStorage storage, Guid id, int i, string hash, DateTimeOffset now)
    {
        var state = new GrainState<TokenState>(new TokenState
        {
            OrganizationId = $"org-{i / 100:D6}",
            UserId = $"user-{i % 100:D4}",
            CreatedAt = now,
            ExpiresAt = now.AddDays(30),
            SecretHash = hash,
            Permissions = ["scans:read", "vulns:write"],
        });
        return storage.WriteStateAsync("token", cluster.Grains.GetGrain<ITokenGrain>(id).GetGrainId(), state);
    }

    private static void Require(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("A benchmark token was not live or did not validate.");
        }
    }

    private static Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> action) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (item, _) => await action(item));

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

}
