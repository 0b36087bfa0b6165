using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Tests.ForwardAuth;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.RateLimits;

/// <summary>One gateway; tokens limited to 0.01 requests a second, so nothing refills while a test runs.</summary>
public class RateLimitFixture : EdgeFixture
{
    /// <summary>One request per 100 seconds: no test here lasts long enough for a bucket to refill.</summary>
    public const double Slow = 0.01;

    public async Task<IssuedToken> IssueLimitedAsync(int burst, double requestsPerSecond = Slow, string[]? cidrs = null)
    {
        var org = Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        ImmutableCidrs(cidrs, out var canonical);
        var result = await org.CreateToken(new CreateTokenCommand(
            "alice", null, 30, AllowedCidrs: canonical, RateLimit: new TokenRateLimit(requestsPerSecond, burst)));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return result.Token!;
    }

    private static void ImmutableCidrs(string[]? cidrs, out System.Collections.Immutable.ImmutableArray<string>? canonical)
    {
        canonical = null;
        if (cidrs is not null && TokenRules.TryNormalizeCidrs(cidrs, out var normalized, out _))
        {
            canonical = normalized;
        }
    }

    public static HttpRequestMessage Request(string path, IssuedToken token) =>
        GatewayFixture.Request(HttpMethod.Get, path, token.TokenId, token.Secret);
}

public class RateLimitTests(RateLimitFixture fixture) : IClassFixture<RateLimitFixture>
{
    private const string Proxied = "/api/v1/scans";

    private async Task<HttpResponseMessage> SendAsync(string path, IssuedToken token)
    {
        using var client = fixture.Gateway.CreateClient();
        return await client.SendAsync(RateLimitFixture.Request(path, token));
    }

    [Fact]
    public async Task Beyond_its_burst_a_token_is_429_rate_limited_with_retry_after_on_proxied_routes()
    {
        var token = await fixture.IssueLimitedAsync(burst: 3);

        for (var i = 0; i < 3; i++)
        {
            using var admitted = await SendAsync(Proxied, token);
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        }

        using var refused = await SendAsync(Proxied, token);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(refused.Headers.CacheControl?.NoStore);
        // 0.01 a second: the next request is admitted 100 s after the first three (less the time they took).
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 90, 100);
    }

    [Fact]
    public async Task On_auth_check_it_is_401_rate_limited_with_retry_after_as_forward_auth_proxies_need()
    {
        var token = await fixture.IssueLimitedAsync(burst: 1);
        using (var admitted = await SendAsync("/auth/check", token))
        {
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        }

        using var refused = await SendAsync("/auth/check", token);

        await GatewayProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "rate_limited");
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 90, 100);
        Assert.True(refused.Headers.Contains(Gateway.Authentication.ForwardAuth.HeadersToRemoveHeader));
    }

    [Fact]
    public async Task Cached_validations_take_from_the_same_limit_as_the_first()
    {
        var token = await fixture.IssueLimitedAsync(burst: 2);
        var cache = fixture.Gateway.Services.GetRequiredService<ValidationCache>();

        using (var first = await SendAsync(Proxied, token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal(CacheLookup.Hit, cache.Lookup(token.TokenId, token.Secret, out _));
        using (var second = await SendAsync("/auth/check", token))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        using var third = await SendAsync(Proxied, token);
        await ProblemAssert.IsProblemAsync(third, HttpStatusCode.TooManyRequests, "rate_limited");
        // The refusal is about the request: the validation stays cached.
        Assert.Equal(CacheLookup.Hit, cache.Lookup(token.TokenId, token.Secret, out _));
    }

    [Fact]
    public async Task A_token_without_a_limit_is_never_rate_limited()
    {
        var (_, token) = await fixture.IssueAsync();

        for (var i = 0; i < 50; i++)
        {
            using var response = await SendAsync(i % 2 == 0 ? Proxied : "/auth/check", token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.False(fixture.Gateway.Services.GetRequiredService<TokenRateLimiter>().HasBucket(token.TokenId.ToString("D")));
    }

    [Fact]
    public async Task Requests_refused_for_another_reason_take_nothing_from_the_limit()
    {
        var token = await fixture.IssueLimitedAsync(burst: 2, cidrs: ["203.0.113.0/24"]);
        var limiter = fixture.Gateway.Services.GetRequiredService<TokenRateLimiter>();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(403, await SendFromAsync(token, "192.0.2.1"));
        }

        Assert.False(limiter.HasBucket(token.TokenId.ToString("D")));

        Assert.Equal(200, await SendFromAsync(token, "203.0.113.9"));
        Assert.Equal(200, await SendFromAsync(token, "203.0.113.9"));
        Assert.Equal(429, await SendFromAsync(token, "203.0.113.9"));
    }

    [Fact]
    public async Task A_single_gateway_enforces_the_whole_limit()
    {
        var limiter = fixture.Gateway.Services.GetRequiredService<TokenRateLimiter>();
        Assert.Equal(1, limiter.Gateways);

        var token = await fixture.IssueLimitedAsync(burst: 7);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await SendAsync(Proxied, token);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(7, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    private async Task<int> SendFromAsync(IssuedToken token, string from)
    {
        var context = await fixture.Gateway.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = Proxied;
            c.Request.Headers[TokenHeaders.TokenId] = token.TokenId.ToString();
            c.Request.Headers[TokenHeaders.TokenSecret] = token.Secret;
            c.Connection.RemoteIpAddress = IPAddress.Parse(from);
        });
        return context.Response.StatusCode;
    }
}

public class ExtAuthzRateLimitTests(ExtAuthzGrpcFixture fixture) : IClassFixture<ExtAuthzGrpcFixture>
{
    private const int ResourceExhausted = 8;

    [Fact]
    public async Task Over_the_limit_ext_authz_denies_with_resource_exhausted_and_a_429_with_retry_after()
    {
        var org = fixture.Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var token = (await org.CreateToken(new CreateTokenCommand("alice", null, 30, RateLimit: new TokenRateLimit(RateLimitFixture.Slow, 2)))).Token!;

        Assert.Equal(0, (await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(token.TokenId, token.Secret))).Status.Code);
        Assert.Equal(0, (await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(token.TokenId, token.Secret))).Status.Code);
        var refused = await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(token.TokenId, token.Secret));

        Assert.Equal(ResourceExhausted, refused.Status.Code);
        Assert.Equal("rate_limited", refused.Status.Message);
        Assert.Equal(Envoy.Type.V3.StatusCode.TooManyRequests, refused.DeniedResponse.Status.Code);
        Assert.Equal("rate_limited", JsonDocument.Parse(refused.DeniedResponse.Body).RootElement.GetProperty("code").GetString());
        var retryAfter = Assert.Single(refused.DeniedResponse.Headers, h => h.Header.Key == "retry-after").Header.Value;
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 90, 100);
    }
}
