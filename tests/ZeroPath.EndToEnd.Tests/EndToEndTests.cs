using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ZeroPath.EndToEnd.Tests;

public class EndToEndTests
{
    [Fact]
    public async Task Token_lifecycle_across_real_silo_gateway_and_upstream_processes()
    {
        var system = await LocalSystem.CreateAsync();
        await using var silo = system.StartSilo();
        await using var upstream = system.StartUpstream();
        await silo.WaitUntilOkAsync("/readyz");
        await using var gateway = system.StartGateway();
        await upstream.WaitUntilOkAsync("/anything");
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin = TokenApi.Admin(silo);
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress };

        (await admin.PutAsJsonAsync("/admin/v1/orgs/acme/members/alice", new { permissions = new[] { "scans:read", "vulns:write" } })).EnsureSuccessStatusCode();
        using var created = await admin.PostAsJsonAsync("/admin/v1/orgs/acme/tokens", new { userId = "alice", name = "CI", expiresInDays = 30 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = await created.Content.ReadFromJsonAsync<JsonElement>();
        var tokenId = token.GetProperty("tokenId").GetString()!;
        var secret = token.GetProperty("tokenSecret").GetString()!;

        using var ok = await api.SendAsync(TokenApi.ApiRequest("/api/v2/vulnerabilities/search", tokenId, secret));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var echo = await ok.Content.ReadFromJsonAsync<JsonElement>();
        var headers = echo.GetProperty("headers");
        Assert.Equal("/api/v2/vulnerabilities/search", echo.GetProperty("path").GetString());
        Assert.Equal("acme", headers.GetProperty("X-ZeroPath-Org-Id").GetString());
        Assert.Equal("alice", headers.GetProperty("X-ZeroPath-User-Id").GetString());
        Assert.Equal(tokenId, headers.GetProperty("X-ZeroPath-Token-Id").GetString());
        Assert.Equal("scans:read,vulns:write", headers.GetProperty("X-ZeroPath-Permissions").GetString());
        Assert.False(headers.TryGetProperty("X-ZeroPath-API-Token-Secret", out _));

        // Mangled: the checksum says so without the cluster. Well-formed and tagged for this id, but not its secret: invalid.
        using var mangled = await api.SendAsync(TokenApi.ApiRequest("/api/v1/scans", tokenId, secret[..^2] + "xx"));
        Assert.Equal(HttpStatusCode.Unauthorized, mangled.StatusCode);
        Assert.Equal("malformed_credentials", (await mangled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        using var wrong = await api.SendAsync(TokenApi.ApiRequest("/api/v1/scans", tokenId, ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.Parse(tokenId))));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid_token", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/v1/orgs/acme/tokens/{tokenId}")).StatusCode);
        using var deleted = await api.SendAsync(TokenApi.ApiRequest("/api/v1/scans", tokenId, secret));
        Assert.Equal(HttpStatusCode.Unauthorized, deleted.StatusCode);
        Assert.Equal("invalid_token", (await deleted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // The logs saw this token (so they were captured), and never its secret.
        Assert.Contains(tokenId, silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, upstream.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_started_before_the_cluster_answers_probes_and_recovers_when_it_arrives()
    {
        var system = await LocalSystem.CreateAsync();
        await using var gateway = system.StartGateway();
        await gateway.WaitUntilOkAsync("/healthz");
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress };

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await api.GetAsync("/readyz")).StatusCode);
        using var unavailable = await api.SendAsync(TokenApi.ApiRequest("/auth/check", Guid.NewGuid().ToString(), new string('A', 43)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal("cluster_unavailable", (await unavailable.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.NotNull(unavailable.Headers.RetryAfter);
        // Shape checks need no cluster: bad input is still a 401, never a 5xx.
        using var malformed = await api.SendAsync(TokenApi.ApiRequest("/auth/check", "not-a-uuid", new string('A', 43)));
        Assert.Equal(HttpStatusCode.Unauthorized, malformed.StatusCode);
        Assert.Equal("malformed_credentials", (await malformed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        await using var silo = system.StartSilo();
        await silo.WaitUntilOkAsync("/readyz");
        await gateway.WaitUntilOkAsync("/readyz");

        using var admin = TokenApi.Admin(silo);
        (await admin.PutAsJsonAsync("/admin/v1/orgs/late/members/bob", new { permissions = new[] { "scans:read" } })).EnsureSuccessStatusCode();
        var token = await (await admin.PostAsJsonAsync("/admin/v1/orgs/late/tokens", new { userId = "bob" })).Content.ReadFromJsonAsync<JsonElement>();
        using var ok = await api.SendAsync(TokenApi.ApiRequest("/auth/check", token.GetProperty("tokenId").GetString()!, token.GetProperty("tokenSecret").GetString()!));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("bob", ok.Headers.GetValues("X-ZeroPath-User-Id").Single());
    }
}
