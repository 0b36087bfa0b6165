using System.Net;
using ZeroPath.Gateway.Authentication;

namespace ZeroPath.Gateway.Tests;

/// <summary>What a client sends under the gateway's header names never reaches the upstream, however it is spelled.</summary>
public class HeaderStrippingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    /// <summary>Spellings a CGI or WSGI upstream reads as the same variable as the gateway's header (HTTP_X_ZEROPATH_...).</summary>
    public static readonly string[] Forged =
    [
        "X-ZeroPath-Org_Id",
        "x_zeropath_user_id",
        "X-ZEROPATH-PERMISSIONS",
        "X-ZeroPath-Anything",
        "X_ZeroPath-Token_Id",
        "x-zeropath-identity-signature",
        "X-ZeroPath-API-Token-Secret2",
        "X-ZeroPath_API_Token_Id",
        "x_zeropath_api_token_secret",
    ];

    public static TheoryData<string> ForgedNames => [.. Forged];

    [Theory]
    [MemberData(nameof(ForgedNames))]
    public async Task A_client_header_under_the_gateways_names_never_reaches_the_upstream(string name)
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Get, "/api/v1/scans", token.TokenId, token.Secret);
        Assert.True(request.Headers.TryAddWithoutValidation(name, "victim"));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await GatewayFixture.EchoAsync(response);
        Assert.DoesNotContain(echo.Headers, h => h.Value.Contains("victim", StringComparison.Ordinal));
        AssertOnlyTheGatewaysHeaders(echo, org, token.TokenId);
    }

    [Fact]
    public async Task Every_spelling_at_once_and_repeated_is_removed_and_the_identity_is_the_gateways()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Post, "/api/v2/x", token.TokenId, token.Secret);
        foreach (var name in Forged)
        {
            request.Headers.TryAddWithoutValidation(name, "victim");
            request.Headers.TryAddWithoutValidation(name, "victim-again");
        }

        request.Headers.TryAddWithoutValidation("X-ZeroPath-Org-Id", "victim");
        request.Headers.TryAddWithoutValidation("X-Other", "kept");

        using var response = await client.SendAsync(request);

        var echo = await GatewayFixture.EchoAsync(response);
        Assert.DoesNotContain(echo.Headers, h => h.Value.Contains("victim", StringComparison.Ordinal));
        Assert.Equal("kept", echo.Headers["X-Other"]);
        AssertOnlyTheGatewaysHeaders(echo, org, token.TokenId);
    }

    [Fact]
    public async Task Without_signing_keys_no_signature_is_added()
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", token.TokenId, token.Secret);
        request.Headers.TryAddWithoutValidation(TokenHeaders.IdentitySignature, "kid=k1;ts=1;sig=forged");

        using var response = await client.SendAsync(request);

        Assert.False((await GatewayFixture.EchoAsync(response)).Headers.ContainsKey(TokenHeaders.IdentitySignature));
    }

    [Theory]
    [InlineData("X-ZeroPath-Org-Id", true)]
    [InlineData("x_zeropath_org_id", true)]
    [InlineData("X_ZEROPATH-", true)]
    [InlineData("x-zeropath-", true)]
    [InlineData("X-ZeroPathOrg", false)]
    [InlineData("X-ZeroPat", false)]
    [InlineData("XX-ZeroPath-Org-Id", false)]
    [InlineData("X-Zero-Path-Org-Id", false)]
    [InlineData("x.zeropath.org", false)]
    public void Reserved_names_are_matched_case_insensitively_with_underscore_as_hyphen(string name, bool reserved) =>
        Assert.Equal(reserved, TokenHeaders.IsReserved(name));

    /// <summary>The upstream sees exactly the gateway's identity headers under its names: no credential, no client value.</summary>
    private static void AssertOnlyTheGatewaysHeaders(Testing.EchoResponse echo, string org, Guid tokenId)
    {
        var ours = echo.Headers.Keys.Where(k => TokenHeaders.IsReserved(k)).Order(StringComparer.OrdinalIgnoreCase).ToArray();
        Assert.Equal(
            [.. TokenHeaders.Identity.Order(StringComparer.OrdinalIgnoreCase)],
            ours.Where(k => !k.Equals(TokenHeaders.IdentitySignature, StringComparison.OrdinalIgnoreCase)),
            StringComparer.OrdinalIgnoreCase);
        Assert.Equal(org, echo.Headers[TokenHeaders.IdentityOrgId]);
        Assert.Equal("alice", echo.Headers[TokenHeaders.IdentityUserId]);
        Assert.Equal(tokenId.ToString(), echo.Headers[TokenHeaders.IdentityTokenId]);
        Assert.Equal("scans:read", echo.Headers[TokenHeaders.IdentityPermissions]);
    }
}
