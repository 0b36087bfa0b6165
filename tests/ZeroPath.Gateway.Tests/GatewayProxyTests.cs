using System.Net;

namespace ZeroPath.Gateway.Tests;

public class GatewayProxyTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Theory]
    [InlineData("/api/v1/scans", "v1")]
    [InlineData("/api/v2/vulnerabilities/search", "v2")]
    [InlineData("/api/v1", "v1")]
    public async Task Valid_request_reaches_the_upstream_of_its_version_with_the_identity(string path, string upstream)
    {
        var (org, token) = await fixture.IssueAsync(["scans:read", "vulns:write"]);
        using var client = fixture.Gateway.CreateClient();

        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Post, path, token.TokenId, token.Secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await GatewayFixture.EchoAsync(response);
        Assert.Equal(upstream, echo.Upstream);
        Assert.Equal("POST", echo.Method);
        Assert.Equal(path, echo.Path);
        Assert.Equal(org, echo.Headers["X-ZeroPath-Org-Id"]);
        Assert.Equal("alice", echo.Headers["X-ZeroPath-User-Id"]);
        Assert.Equal(token.TokenId.ToString(), echo.Headers["X-ZeroPath-Token-Id"]);
        Assert.Equal("scans:read,vulns:write", echo.Headers["X-ZeroPath-Permissions"]);
    }

    [Fact]
    public async Task The_secret_header_is_never_forwarded()
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();

        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v2/x", token.TokenId, token.Secret));
        var echo = await GatewayFixture.EchoAsync(response);

        Assert.DoesNotContain("X-ZeroPath-API-Token-Secret", echo.Headers.Keys, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(echo.Headers.Values, value => value.Contains(token.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Identity_headers_sent_by_the_client_are_replaced()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", token.TokenId, token.Secret);
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Org-Id", "evil-org");
        request.Headers.TryAddWithoutValidation("x-zeropath-user-id", "root");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Permissions", "admin:*");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Permissions", "billing:*");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Token-Id", Guid.NewGuid().ToString());

        using var response = await client.SendAsync(request);
        var echo = await GatewayFixture.EchoAsync(response);

        Assert.Equal(org, echo.Headers["X-ZeroPath-Org-Id"]);
        Assert.Equal("alice", echo.Headers["X-ZeroPath-User-Id"]);
        Assert.Equal("scans:read", echo.Headers["X-ZeroPath-Permissions"]);
        Assert.Equal(token.TokenId.ToString(), echo.Headers["X-ZeroPath-Token-Id"]);
    }

    [Fact]
    public async Task An_unauthenticated_request_never_reaches_the_upstream()
    {
        using var client = fixture.Gateway.CreateClient();

        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", Guid.NewGuid(), new string('a', 43)));

        await GatewayProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/v3/x")]
    [InlineData("/api/v1x")]
    public async Task Other_paths_are_not_proxied(string path)
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();

        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, path, token.TokenId, token.Secret));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
