using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Usage;
using ZeroPath.Testing;

namespace ZeroPath.Benchmarks;

/// <summary>
/// Gateway decisions answered from the validation cache alone: a cache, authenticators over it whose grain factory is
/// never called, and requests presenting tokens stored in it. For the benchmarks that compare what an option costs a
/// cache hit.
/// </summary>
internal sealed class CachedDecisions : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly EdgeCacheOptions options = new() { MaxStaleness = TimeSpan.FromHours(1), MaxAge = TimeSpan.FromHours(1) };
    private readonly ValidationCache cache;

    public CachedDecisions() => cache = new ValidationCache(options, TimeProvider.System);

    /// <summary>An authenticator over the cache, recording uses with <paramref name="uses"/> when given.</summary>
    public TokenAuthenticator Authenticator(TokenUseRecorder? uses = null) => new(
        null!, TestSettings.FormatKeys, cache, new RefusalCache(options, TimeProvider.System), new LegacyLookupBudget(options),
        TimeProvider.System, NullLogger<TokenAuthenticator>.Instance, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
        new TokenRateLimiter(TimeProvider.System), uses);

    /// <summary>A request from <paramref name="client"/> presenting a new token stored in the cache.</summary>
    public HttpRequest Cached(string client, string[]? cidrs = null, long? indexSequence = null)
    {
        var tokenId = Guid.NewGuid();
        var secret = TestSettings.FormatKeys.NewSecret(tokenId);
        var before = cache.Begin();
        cache.Store(
            tokenId, secret,
            new AuthenticatedToken(
                tokenId, "org", "user", ["scans:read"], DateTimeOffset.UtcNow.AddDays(30), cidrs is null ? null : [.. cidrs], indexSequence: indexSequence),
            before);
        return Request(tokenId.ToString(), secret, client);
    }

    public static HttpRequest Request(string tokenId, string secret, string client)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[TokenHeaders.TokenId] = tokenId;
        context.Request.Headers[TokenHeaders.TokenSecret] = secret;
        context.Connection.RemoteIpAddress = IPAddress.Parse(client);
        return context.Request;
    }

    /// <summary>Confirms what the cache holds, then checks that each request is allowed: a benchmark measures successes.</summary>
    public void Confirm(TokenAuthenticator authenticator, params HttpRequest[] requests)
    {
        cache.Confirm(TimeProvider.System.GetTimestamp());
        foreach (var request in requests)
        {
            if (!authenticator.AuthenticateAsync(request).AsTask().GetAwaiter().GetResult().Succeeded)
            {
                throw new InvalidOperationException("A benchmark request is not allowed.");
            }
        }
    }

    public void Dispose() => services.Dispose();
}
