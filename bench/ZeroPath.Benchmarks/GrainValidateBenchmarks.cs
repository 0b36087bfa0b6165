using BenchmarkDotNet.Attributes;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Benchmarks;

/// <summary>
/// <c>ITokenGrain.Validate</c> through a real (in-process) Orleans cluster with production Argon2 cost. Baseline: a
/// call to a grain that does nothing, i.e. the price of the grain call itself.
/// </summary>
[MemoryDiagnoser]
public class GrainValidateBenchmarks
{
    private TokenTestCluster cluster = null!;
    private ITokenGrain token = null!;
    private IClusterPingGrain ping = null!;
    private string secret = "";

    [GlobalSetup]
    public async Task Setup()
    {
        cluster = await TokenTestCluster.StartAsync(productionArgon2: true);
        var org = cluster.Grains.GetGrain<IOrganizationGrain>("bench");
        await org.SetMember("alice", ["scans:read", "vulns:write"]);
        var issued = (await org.CreateToken(new CreateTokenCommand("alice", "bench", 30))).Token!;
        token = cluster.Grains.GetGrain<ITokenGrain>(issued.TokenId);
        secret = issued.Secret;
        ping = cluster.Grains.GetGrain<IClusterPingGrain>(0);
        await token.Validate(secret);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await cluster.DisposeAsync();

    [Benchmark(Baseline = true, Description = "grain call doing nothing")]
    public Task Ping() => ping.Ping();

    [Benchmark(Description = "Validate, warm activation")]
    public Task<TokenValidation> ValidateWarm() => token.Validate(secret);
}

/// <summary>
/// The first <c>Validate</c> of an activation: a fresh token per invocation (issued outside the measurement), so each
/// call activates the grain, reads its state and runs Argon2id at the production cost.
/// </summary>
[MemoryDiagnoser]
public class GrainColdValidateBenchmarks
{
    private TokenTestCluster cluster = null!;
    private IOrganizationGrain org = null!;
    private ITokenGrain token = null!;
    private string secret = "";

    [GlobalSetup]
    public async Task Setup()
    {
        cluster = await TokenTestCluster.StartAsync(productionArgon2: true);
        org = cluster.Grains.GetGrain<IOrganizationGrain>("bench-cold");
        await org.SetMember("alice", ["scans:read"]);
    }

    [IterationSetup]
    public void IssueFreshToken()
    {
        var issued = org.CreateToken(new CreateTokenCommand("alice", null, 30)).GetAwaiter().GetResult().Token!;
        token = cluster.Grains.GetGrain<ITokenGrain>(issued.TokenId);
        secret = issued.Secret;
    }

    [GlobalCleanup]
    public async Task Cleanup() => await cluster.DisposeAsync();

    [Benchmark(Description = "Validate, cold activation (Argon2id)")]
    public Task<TokenValidation> ValidateCold() => token.Validate(secret);
}
