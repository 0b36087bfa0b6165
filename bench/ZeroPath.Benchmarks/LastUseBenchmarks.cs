using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Usage;
using ZeroPath.Testing;

namespace ZeroPath.Benchmarks;

/// <summary>
/// What recording the last use costs a gateway decision answered from the validation cache: without a recorder (the
/// baseline, as before the feature), with recording on and the token already recorded this minute from this address (the
/// steady state: two comparisons), and the worst case, where every request comes from another address than the last one
/// (one dictionary write and one small allocation per request).
/// </summary>
[MemoryDiagnoser]
public class LastUseBenchmarks
{
    private ServiceProvider services = null!;
    private TokenAuthenticator without = null!;
    private TokenAuthenticator recording = null!;
    private HttpRequest request = null!;
    private HttpRequest otherRequest = null!;
    private HttpRequest alternating = null!;
    private int turn;

    [GlobalSetup]
    public void Setup()
    {
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new EdgeCacheOptions { MaxStaleness = TimeSpan.FromHours(1), MaxAge = TimeSpan.FromHours(1) };
        var cache = new ValidationCache(options, TimeProvider.System);
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        // The grain factory is never called: nothing is flushed during a benchmark.
        var recorder = new TokenUseRecorder(new LastUseOptions(), null!, TimeProvider.System, NullLogger<TokenUseRecorder>.Instance);
        without = new TokenAuthenticator(
            null!, TestSettings.FormatKeys, cache, new RefusalCache(options, TimeProvider.System), new LegacyLookupBudget(options),
            TimeProvider.System, NullLogger<TokenAuthenticator>.Instance, meters, new TokenRateLimiter(TimeProvider.System));
        recording = new TokenAuthenticator(
            null!, TestSettings.FormatKeys, cache, new RefusalCache(options, TimeProvider.System), new LegacyLookupBudget(options),
            TimeProvider.System, NullLogger<TokenAuthenticator>.Instance, meters, new TokenRateLimiter(TimeProvider.System), recorder);
        request = Cached(cache, "203.0.113.9");
        alternating = Cached(cache, "203.0.113.9");
        otherRequest = Request(alternating.Headers[TokenHeaders.TokenId]!, alternating.Headers[TokenHeaders.TokenSecret]!, "203.0.113.10");
        cache.Confirm(TimeProvider.System.GetTimestamp());
        foreach (var r in new[] { request, alternating, otherRequest })
        {
            if (!recording.AuthenticateAsync(r).AsTask().GetAwaiter().GetResult().Succeeded)
            {
                throw new InvalidOperationException("A benchmark request is not allowed.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => services.Dispose();

    [Benchmark(Baseline = true, Description = "cache hit, no use recording")]
    public ValueTask<AuthDecision> Without() => without.AuthenticateAsync(request);

    [Benchmark(Description = "cache hit, use recorded already this minute")]
    public ValueTask<AuthDecision> Recorded() => recording.AuthenticateAsync(request);

    [Benchmark(Description = "cache hit, client address changes every request")]
    public ValueTask<AuthDecision> AddressChanges() => recording.AuthenticateAsync((turn++ & 1) == 0 ? alternating : otherRequest);

    private static HttpRequest Cached(ValidationCache cache, string client)
    {
        var tokenId = Guid.NewGuid();
        var secret = TestSettings.FormatKeys.NewSecret(tokenId);
        var before = cache.Begin();
        cache.Store(
            tokenId, secret,
            new AuthenticatedToken(tokenId, "org", "user", ["scans:read"], DateTimeOffset.UtcNow.AddDays(30), indexSequence: 7),
            before);
        return Request(tokenId.ToString(), secret, client);
    }

    private static HttpRequest Request(string tokenId, string secret, string client)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[TokenHeaders.TokenId] = tokenId;
        context.Request.Headers[TokenHeaders.TokenSecret] = secret;
        context.Connection.RemoteIpAddress = IPAddress.Parse(client);
        return context.Request;
    }
}
