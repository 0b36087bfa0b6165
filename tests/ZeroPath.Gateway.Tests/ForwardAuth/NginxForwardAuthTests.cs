using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Signing;
using ZeroPath.Testing;

namespace ZeroPath.Gateway.Tests.ForwardAuth;

/// <summary>The silo, the echo upstream, a gateway on a real port, and nginx with the documented configuration in front.</summary>
public class NginxFixture : EdgeFixture
{
    private ExternalServer? nginx;

    public HttpClient Client { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings => Signing.SigningFixture.Settings;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        nginx = await NginxServer.StartAsync(NginxServer.Address(Gateway), Upstream.Address);
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{nginx.Port}") };
    }

    protected override WebApplicationFactory<Program> Customize(GatewayFactory gateway)
    {
        NginxServer.ListenOnLoopback(gateway);
        return gateway;
    }

    public override async Task DisposeAsync()
    {
        Client?.Dispose();
        if (nginx is not null)
        {
            await nginx.DisposeAsync();
            Directory.Delete(nginx.DataDirectory, recursive: true);
        }

        await base.DisposeAsync();
    }
}

public class NginxForwardAuthTests(NginxFixture fixture) : IClassFixture<NginxFixture>
{
    private static readonly string[] Forged =
    [
        "X-ZeroPath-Org-Id",
        "x-zeropath-user-id",
        "X-ZEROPATH-PERMISSIONS",
        "X-ZeroPath-Token-Id",
        "X-ZeroPath-Identity-Signature",
        "X-ZeroPath-Org_Id",
        "x_zeropath_user_id",
        "X_ZeroPath_Permissions",
        "X-ZeroPath_Token-Id",
        "x_zeropath_api_token_secret",
    ];

    [Fact]
    public async Task The_api_gets_the_gateways_identity_and_never_the_secret_or_a_forged_identity()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read", "vulns:write"]);
        var request = GatewayFixture.Request(HttpMethod.Post, "/api/v1/scans?page=2", token.TokenId, token.Secret);
        foreach (var name in Forged)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, "victim"), name);
            request.Headers.TryAddWithoutValidation(name, "victim-again");
        }

        using var response = await fixture.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await GatewayFixture.EchoAsync(response);
        Assert.Equal("/api/v1/scans", echo.Path);
        Assert.DoesNotContain(echo.Headers, h => h.Value.Contains("victim", StringComparison.Ordinal));
        Assert.DoesNotContain(echo.Headers, h => h.Value.Contains(token.Secret, StringComparison.Ordinal));
        Assert.DoesNotContain(echo.Headers.Keys, k => k.Contains('_', StringComparison.Ordinal));
        Assert.False(echo.Headers.ContainsKey(TokenHeaders.TokenSecret));
        Assert.False(echo.Headers.ContainsKey(TokenHeaders.TokenId));
        Assert.Equal(org.GetPrimaryKeyString(), echo.Headers[TokenHeaders.IdentityOrgId]);
        Assert.Equal("alice", echo.Headers[TokenHeaders.IdentityUserId]);
        Assert.Equal(token.TokenId.ToString(), echo.Headers[TokenHeaders.IdentityTokenId]);
        Assert.Equal("scans:read,vulns:write", echo.Headers[TokenHeaders.IdentityPermissions]);

        // Signed over the API request's method and path (nginx passes them in X-Forwarded-Method and X-Forwarded-Uri).
        var verifier = new IdentitySignatureVerifier(new Dictionary<string, byte[]> { ["k1"] = Signing.SigningFixture.Key1 }, time: new FakeWallClock(fixture.Silo.Clock));
        var fields = new IdentityFields(
            echo.Method, echo.Path, echo.Headers[TokenHeaders.IdentityOrgId], echo.Headers[TokenHeaders.IdentityUserId],
            echo.Headers[TokenHeaders.IdentityTokenId], echo.Headers[TokenHeaders.IdentityPermissions]);
        Assert.Equal(("POST", IdentitySignatureCheck.Valid), (echo.Method, verifier.Verify(echo.Headers[TokenHeaders.IdentitySignature], fields)));
    }

    [Fact]
    public async Task A_refused_request_never_reaches_the_api_and_the_client_learns_the_code()
    {
        var (_, token) = await fixture.IssueAsync();

        using var response = await fixture.Client.SendAsync(
            GatewayFixture.Request(HttpMethod.Get, "/api/v1/scans", token.TokenId, TestSecrets.WrongSecret(Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.DoesNotContain("\"upstream\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_credentials_are_refused_with_their_code()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v2/x");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Org-Id", "victim");

        using var response = await fixture.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"missing_credentials\"", Assert.Single(response.Headers.WwwAuthenticate).Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_locked_token_is_refused_with_its_code_and_when_to_retry()
    {
        var (_, token) = await fixture.IssueAsync();
        HttpResponseMessage? response = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            response?.Dispose();
            response = await fixture.Client.SendAsync(
                GatewayFixture.Request(HttpMethod.Get, "/api/v1/scans", token.TokenId, TestSecrets.WrongSecret(token.TokenId)));
            if (Assert.Single(response.Headers.WwwAuthenticate).Parameter!.Contains("too_many_failures", StringComparison.Ordinal))
            {
                break;
            }
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response!.StatusCode);
            Assert.Contains("error=\"too_many_failures\"", Assert.Single(response.Headers.WwwAuthenticate).Parameter, StringComparison.Ordinal);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is passed on");
        }
    }
}
