using System.Net;
using ZeroPath.Gateway.Authentication;

namespace ZeroPath.Gateway.Tests.ForwardAuth;

/// <summary>
/// <c>/auth/check</c> cannot strip the request it judges, so it names what the proxy must remove
/// (<c>x-envoy-auth-headers-to-remove</c>, Envoy ext_authz HTTP service semantics).
/// </summary>
public class AuthCheckHeadersToRemoveTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task A_200_lists_the_secret_and_every_client_header_under_the_gateways_names_except_those_it_sets()
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Get, "/auth/check", token.TokenId, token.Secret);
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Org_Id", "victim");
        request.Headers.TryAddWithoutValidation("x_zeropath_user_id", "victim");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Anything", "victim");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Org-Id", "victim");
        request.Headers.TryAddWithoutValidation("X-Other", "kept");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            ["x-zeropath-anything", "x-zeropath-api-token-id", "x-zeropath-api-token-secret", "x-zeropath-org_id", "x_zeropath_user_id"],
            ToRemove(response).Order(StringComparer.Ordinal));
        // Envoy sets the allowed identity headers from this answer before it removes the listed ones: listing
        // x-zeropath-org-id would remove the gateway's identity with the client's.
        Assert.Equal(token.TokenId.ToString(), Assert.Single(response.Headers.GetValues(TokenHeaders.IdentityTokenId)));
    }

    [Theory]
    [InlineData("/auth/check")]
    [InlineData("/auth/check/api/v1/scans")]
    public async Task A_refusal_lists_them_all_including_the_identity_names(string path)
    {
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Get, path, Guid.NewGuid(), TestSecrets.UnderKeyId("zz"));
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Org-Id", "victim");

        using var response = await client.SendAsync(request);

        await GatewayProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal(
            ["x-zeropath-api-token-id", "x-zeropath-api-token-secret", "x-zeropath-org-id"],
            ToRemove(response).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Without_credentials_the_secret_header_is_still_named()
    {
        using var client = fixture.Gateway.CreateClient();

        using var response = await client.GetAsync("/auth/check");

        await GatewayProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "missing_credentials");
        Assert.Equal(["x-zeropath-api-token-secret"], ToRemove(response));
    }

    [Fact]
    public async Task Envoys_path_prefix_form_is_answered_like_the_plain_route()
    {
        var (org, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();

        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Post, "/auth/check/api/v2/x?y=1", token.TokenId, token.Secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(org, Assert.Single(response.Headers.GetValues(TokenHeaders.IdentityOrgId)));
    }

    private static string[] ToRemove(HttpResponseMessage response) =>
        [.. Assert.Single(response.Headers.GetValues(Gateway.Authentication.ForwardAuth.HeadersToRemoveHeader)).Split(',', StringSplitOptions.TrimEntries)];
}
