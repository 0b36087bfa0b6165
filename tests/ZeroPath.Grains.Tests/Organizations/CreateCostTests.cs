using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>Grain storage that records every write: its state name and its size as the silo's serializer stores it.</summary>
public sealed class WriteRecordingStorage(IGrainStorage inner, IGrainStorageSerializer serializer) : IGrainStorage
{
    private readonly ConcurrentQueue<(string StateName, int Bytes)> writes = new();

    /// <summary>The writes since the last call, oldest first.</summary>
    public List<(string StateName, int Bytes)> Take()
    {
        var taken = new List<(string, int)>();
        while (writes.TryDequeue(out var write))
        {
            taken.Add(write);
        }

        return taken;
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        writes.Enqueue((stateName, serializer.Serialize(grainState.State).ToMemory().Length));
        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        writes.Enqueue((stateName, 0));
        return inner.ClearStateAsync(stateName, grainId, grainState);
    }
}

public sealed class WriteRecordingClusterFixture : IAsyncLifetime
{
    public TokenTestCluster Cluster { get; private set; } = null!;
    public WriteRecordingStorage Storage { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TokenTestCluster.StartAsync(configure: silo =>
    {
        var services = silo.Services;
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, GrainStorageNames.Tokens) && d.IsKeyedService);
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(GrainStorageNames.Tokens, (provider, key) =>
        {
            var inner = original.KeyedImplementationFactory is { } factory
                ? (IGrainStorage)factory(provider, key)
                : (IGrainStorage)(original.KeyedImplementationInstance ?? ActivatorUtilities.CreateInstance(provider, original.KeyedImplementationType!));
            return Storage = new WriteRecordingStorage(inner, provider.GetRequiredService<IGrainStorageSerializer>());
        });
    });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// One create's storage cost does not grow with the organization: the same records are written for the 1,000th token as
/// for the 10th, the organization's own record and the token's stay the same size, and the index shard and audit segment a
/// create rewrites never hold more than one shard's (256) or one segment's (500) entries. Counted, not timed.
/// </summary>
public class CreateCostTests(WriteRecordingClusterFixture fixture) : IClassFixture<WriteRecordingClusterFixture>
{
    /// <summary>Bytes a record may gain as the organization grows without growing with it: numbers gaining digits (sequences,
    /// the audit count) and the organization's list of shard numbers gaining one number per 256 tokens.</summary>
    private const int Slack = 32;

    /// <summary>Bytes one index entry or audit event may gain by 1,000 tokens: its sequence number gaining digits.</summary>
    private const int EntrySlack = 4;

    [Fact]
    public async Task The_storage_written_by_one_create_does_not_grow_with_the_organization()
    {
        var org = fixture.Cluster.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        fixture.Storage.Take();

        // Creates one at a time (each one's writes apart) up to 10 tokens, then 8 at a time up to 990, then one at a time
        // again up to 1,000; every write is kept.
        var creates = new List<List<(string StateName, int Bytes)>>(20);
        var all = new List<(string StateName, int Bytes)>();
        for (var i = 0; i < 10; i++)
        {
            await CreateAsync(org);
            creates.Add(fixture.Storage.Take());
        }

        var next = 10;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= 990)
            {
                await CreateAsync(org);
            }
        }));
        all.AddRange(fixture.Storage.Take());
        for (var i = 990; i < 1_000; i++)
        {
            await CreateAsync(org);
            creates.Add(fixture.Storage.Take());
        }

        all.AddRange(creates.SelectMany(c => c));
        Assert.Equal(1_000, (await org.ListAllTokensAsync()).Length);

        // The 2nd to 10th creates (the first also starts the audit trail) against the last ten of 1,000.
        var small = creates[1..10];
        var large = creates[10..];
        string[] states = ["secret-fingerprint", "index", "token", "organization", "audit-segment", "audit"];
        foreach (var create in small.Concat(large))
        {
            Assert.Equal(states.Order(), create.Select(w => w.StateName).Order());
        }

        foreach (var fixedSize in new[] { "secret-fingerprint", "token", "organization", "audit" })
        {
            var atTen = small.Max(c => c.Single(w => w.StateName == fixedSize).Bytes);
            var atThousand = large.Max(c => c.Single(w => w.StateName == fixedSize).Bytes);
            Assert.True(atThousand <= atTen + Slack, $"the {fixedSize} record grew from {atTen} bytes at 10 tokens to {atThousand} at 1,000");
        }

        // An index shard or audit segment grows by one entry per create until full, then the next one starts: at most one
        // full shard (segment), whatever the organization's size. Entry sizes measured on the first creates.
        // One shard holds 256 entries and one audit segment 500 events (literals, not the layout's constants: a larger
        // shard is what this must catch). 1,000 entries are more than either, so this holds only if they roll over.
        AssertBoundedByOne("index", 256, creates, all);
        AssertBoundedByOne("audit-segment", 500, creates, all);
    }

    private static async Task CreateAsync(IOrganizationGrain org)
    {
        var result = await org.CreateToken(new CreateTokenCommand("alice", "ci", 30));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
    }

    private static void AssertBoundedByOne(
        string stateName, int capacity, List<List<(string StateName, int Bytes)>> creates, List<(string StateName, int Bytes)> all)
    {
        int Bytes(int create) => creates[create].Single(w => w.StateName == stateName).Bytes;
        var entry = Bytes(2) - Bytes(1);
        var header = Bytes(1) - (2 * entry);
        var full = header + (capacity * (entry + EntrySlack));
        var largest = all.Where(w => w.StateName == stateName).Max(w => w.Bytes);
        Assert.True(entry > 0, $"each create adds an entry to the {stateName} record it writes");
        Assert.True(largest <= full, $"a create wrote {largest} bytes of {stateName}, more than one full {stateName} record ({capacity} entries, {full} bytes)");
    }
}
