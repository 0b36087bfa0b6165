using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;
using ZeroPath.Testing;

namespace ZeroPath.Benchmarks;

/// <summary>
/// A whole gateway decision answered from the validation cache (<see cref="TokenAuthenticator.AuthenticateAsync(HttpRequest)"/>:
/// header parsing, cache lookup, and the client address check), for a token without <c>allowedCidrs</c> (what every
/// token costs; the baseline, comparable with a build from before the option) and for tokens limited to 1 range and to
/// 32 ranges with the client in the last one (the worst case).
/// </summary>
[MemoryDiagnoser]
public class AddressCheckBenchmarks
{
    private ServiceProvider services = null!;
    private TokenAuthenticator authenticator = null!;
    private HttpRequest open = null!;
    private HttpRequest oneRange = null!;
    private HttpRequest manyRanges = null!;

    [GlobalSetup]
    public void Setup()
    {
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new EdgeCacheOptions { MaxStaleness = TimeSpan.FromHours(1), MaxAge = TimeSpan.FromHours(1) };
        var cache = new ValidationCache(options, TimeProvider.System);
        // Never called: every request here is a cache hit.
        authenticator = new TokenAuthenticator(
            null!, TestSettings.FormatKeys, cache, new RefusalCache(options, TimeProvider.System), new LegacyLookupBudget(options),
            TimeProvider.System, NullLogger<TokenAuthenticator>.Instance, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            new TokenRateLimiter(TimeProvider.System));
        open = Cached(cache, null, "203.0.113.9");
        oneRange = Cached(cache, ["203.0.113.0/24"], "203.0.113.9");
        manyRanges = Cached(cache, [.. Enumerable.Range(0, 31).Select(i => $"10.{i}.0.0/16"), "2001:db8::/32"], "2001:db8::9");
        cache.Confirm(TimeProvider.System.GetTimestamp());
        foreach (var request in new[] { open, oneRange, manyRanges })
        {
            if (!authenticator.AuthenticateAsync(request).AsTask().GetAwaiter().GetResult().Succeeded)
            {
                throw new InvalidOperationException("A benchmark request is not allowed.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => services.Dispose();

    [Benchmark(Baseline = true, Description = "cache hit, token without allowedCidrs")]
    public ValueTask<AuthDecision> Open() => authenticator.AuthenticateAsync(open);

    [Benchmark(Description = "cache hit, 1 range")]
    public ValueTask<AuthDecision> OneRange() => authenticator.AuthenticateAsync(oneRange);

    [Benchmark(Description = "cache hit, 32 ranges, IPv6 client in the last")]
    public ValueTask<AuthDecision> ManyRanges() => authenticator.AuthenticateAsync(manyRanges);

    private static HttpRequest Cached(ValidationCache cache, string[]? cidrs, string client)
    {
        var tokenId = Guid.NewGuid();
        var secret = TestSettings.FormatKeys.NewSecret(tokenId);
        var before = cache.Begin();
        cache.Store(
            tokenId, secret,
            new AuthenticatedToken(tokenId, "org", "user", ["scans:read"], DateTimeOffset.UtcNow.AddDays(30), cidrs is null ? null : [.. cidrs]),
            before);
        var context = new DefaultHttpContext();
        context.Request.Headers[TokenHeaders.TokenId] = tokenId.ToString();
        context.Request.Headers[TokenHeaders.TokenSecret] = secret;
        context.Connection.RemoteIpAddress = IPAddress.Parse(client);
        return context.Request;
    }
}
