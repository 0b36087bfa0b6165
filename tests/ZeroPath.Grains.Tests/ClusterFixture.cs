using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests;

/// <summary>One cluster per test class; tests stay independent by using fresh organization ids.</summary>
public class ClusterFixture : IAsyncLifetime
{
    public TokenTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Grains;

    public async Task InitializeAsync() => Cluster = await TokenTestCluster.StartAsync(Silos, remindersOnFakeClock: RemindersOnFakeClock, configure: Configure);

    /// <summary>Applied to each silo after the defaults.</summary>
    protected virtual void Configure(ISiloBuilder silo)
    {
    }

    protected virtual short Silos => 1;

    /// <summary>False: reminders keep real time, so no expiry tick can fire while a test moves the fake clock.</summary>
    protected virtual bool RemindersOnFakeClock => true;

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A new organization with one member, and a token issued to them.</summary>
    public async Task<(IOrganizationGrain Org, IssuedToken Token)> IssueAsync(
        string[]? permissions = null, int days = 30, string userId = "alice", string? name = "CI")
    {
        var org = Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember(userId, [.. permissions ?? ["scans:read"]]);
        var result = await org.CreateToken(new CreateTokenCommand(userId, name, days));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return (org, result.Token!);
    }

    /// <summary>Issues <paramref name="count"/> 30-day tokens one after another; token <c>i</c> belongs to <c>owner(i)</c> (default alice).</summary>
    public static async Task<List<IssuedToken>> IssueManyAsync(IOrganizationGrain org, int count, Func<int, string>? owner = null)
    {
        var tokens = new List<IssuedToken>(count);
        for (var i = 0; i < count; i++)
        {
            var result = await org.CreateToken(new CreateTokenCommand(owner?.Invoke(i) ?? "alice", null, 30));
            Assert.Equal(CreateTokenStatus.Created, result.Status);
            tokens.Add(result.Token!);
        }

        return tokens;
    }

    /// <summary>The real storage provider the grains write through.</summary>
    public Orleans.Storage.IGrainStorage Storage =>
        Cluster.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GrainStorageNames.Tokens);

    /// <summary>What storage holds under <paramref name="stateName"/> for a grain (ETag included, so it can be written back).</summary>
    public async Task<GrainState<T>> ReadStoredAsync<T>(string stateName, IAddressable grain)
    {
        var stored = new GrainState<T>();
        await Storage.ReadStateAsync(stateName, grain.GetGrainId(), stored);
        return stored;
    }

    /// <summary>What storage holds for a token; null when nothing was stored.</summary>
    public async Task<Grains.Tokens.TokenState?> ReadStoredTokenAsync(Guid tokenId)
    {
        var stored = await ReadStoredAsync<Grains.Tokens.TokenState>("token", Grains.GetGrain<ITokenGrain>(tokenId));
        return stored.RecordExists ? stored.State : null;
    }

    /// <summary>Moves the fake clock off the test thread (reminder ticks run on silo threads).</summary>
    public Task AdvanceAsync(TimeSpan by) => Task.Run(() => Cluster.Clock.Advance(by));

    /// <summary>
    /// Waits, bounded, for a reminder tick's effect. A fake clock fires only timers that are due when it moves, and after a
    /// jump the reminder service skips the missed tick and schedules the next one on its period (1 h for expiry), so the
    /// clock is nudged a minute at a time while waiting.
    /// </summary>
    public async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await AdvanceAsync(TimeSpan.FromMinutes(1));
            await Task.Delay(50);
        }
    }

    /// <summary>Waits, bounded, until the organization's background fan-outs (bulk revocations, expiry sweeps) are done.</summary>
    public static async Task WaitForFanOutsAsync(IOrganizationGrain org)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await org.PendingWork()).Revocations > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the organization's fan-outs");
            await Task.Delay(20);
        }
    }

    public Task<TokenValidation> ValidateAsync(Guid tokenId, string secret) =>
        Grains.GetGrain<ITokenGrain>(tokenId).Validate(secret);

    public static ImmutableArray<string> Permissions(params string[] values) => [.. values];
}

/// <summary>A cluster whose reminders never tick during a test: for behaviour that must not depend on the tick.</summary>
public sealed class NoExpiryTickClusterFixture : ClusterFixture
{
    protected override bool RemindersOnFakeClock => false;
}
