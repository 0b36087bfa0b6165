using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using ZeroPath.Gateway.Caching;
using ZeroPath.ServiceDefaults;
using ZeroPath.Testing;

namespace ZeroPath.Benchmarks;

/// <summary>
/// What the gateway's hot path pays for its metrics: a cache hit (the answer to almost every request) without
/// instruments, against the same hit counted by <c>zeropath.gateway.cache.lookups</c> while an OpenTelemetry
/// MeterProvider listens to the <c>ZeroPath</c> meter, as in production where metrics are always on.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private readonly Guid tokenId = Guid.NewGuid();
    private string secret = "";
    private ValidationCache plain = null!;
    private ValidationCache counted = null!;
    private ServiceProvider services = null!;
    private MeterProvider meterProvider = null!;

    [GlobalSetup]
    public void Setup()
    {
        secret = TestSettings.FormatKeys.NewSecret(tokenId);
        var options = new EdgeCacheOptions { MaxStaleness = TimeSpan.FromHours(1), MaxAge = TimeSpan.FromHours(1) };
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(ZeroPathTelemetry.MeterName).AddInMemoryExporter(new List<Metric>()).Build();
        plain = Filled(new ValidationCache(options, TimeProvider.System));
        counted = Filled(new ValidationCache(options, TimeProvider.System, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        meterProvider.Dispose();
        services.Dispose();
    }

    [Benchmark(Baseline = true, Description = "cache hit, no instruments")]
    public CacheLookup Plain() => plain.Lookup(tokenId, secret, out _);

    [Benchmark(Description = "cache hit, counted and exported")]
    public CacheLookup Counted() => counted.Lookup(tokenId, secret, out _);

    private ValidationCache Filled(ValidationCache cache)
    {
        var before = cache.Begin();
        cache.Store(tokenId, secret, new AuthenticatedToken(tokenId, "org", "user", ["scans:read"], DateTimeOffset.UtcNow.AddDays(30)), before);
        cache.Confirm(TimeProvider.System.GetTimestamp());
        if (cache.Lookup(tokenId, secret, out _) != CacheLookup.Hit)
        {
            throw new InvalidOperationException("The benchmark's token is not a cache hit.");
        }

        return cache;
    }
}
