using System.Net;
using System.Text.Json;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests;

public class GatewayAuthenticationTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string WellFormedSecret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    public static TheoryData<string?, string?> MissingCredentials => new()
    {
        { null, null },
        { "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d", null },
        { null, WellFormedSecret },
        { "", WellFormedSecret },
        { "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d", "" },
        { "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d", "   " },
    };

    [Theory]
    [MemberData(nameof(MissingCredentials))]
    public async Task An_absent_or_empty_header_is_missing_credentials(string? id, string? secret)
    {
        using var client = fixture.Gateway.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/x");
        if (id is not null)
        {
            request.Headers.TryAddWithoutValidation("X-ZeroPath-API-Token-Id", id);
        }

        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation("X-ZeroPath-API-Token-Secret", secret);
        }

        using var response = await client.SendAsync(request);

        await GatewayProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "missing_credentials");
    }

    public static TheoryData<string, string> MalformedCredentials => new()
    {
        { "not-a-uuid", WellFormedSecret },
        { "3f2b9c4e8d1a4b6f9e2d7c5a1b0e4f3d", WellFormedSecret },
        { "{3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d}", WellFormedSecret },
        { new string('a', 10_000), WellFormedSecret },
        { "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d", "too-short" },
        { "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d", WellFormedSecret[..^1] + "+" },
        { "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d", new string('A', 129) },
        { "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d", new string('A', 8_000) },
    };

    [Theory]
    [MemberData(nameof(MalformedCredentials))]
    public async Task A_malformed_header_is_malformed_credentials(string id, string secret)
    {
        using var client = fixture.Gateway.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/x");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-API-Token-Id", id);
        request.Headers.TryAddWithoutValidation("X-ZeroPath-API-Token-Secret", secret);

        using var response = await client.SendAsync(request);

        await GatewayProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "malformed_credentials");
    }

    [Theory]
    [InlineData("X-ZeroPath-API-Token-Id")]
    [InlineData("X-ZeroPath-API-Token-Secret")]
    public async Task A_duplicated_header_is_malformed_credentials(string duplicated)
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", token.TokenId, token.Secret);
        request.Headers.TryAddWithoutValidation(duplicated, duplicated.EndsWith("Id", StringComparison.Ordinal) ? token.TokenId.ToString() : token.Secret);

        using var response = await client.SendAsync(request);

        await GatewayProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "malformed_credentials");
    }

    [Fact]
    public async Task Unknown_id_wrong_secret_and_deleted_token_are_indistinguishable()
    {
        var (org, token) = await fixture.IssueAsync();
        var (_, deleted) = await fixture.IssueAsync();
        await fixture.Silo.Grains.GetGrain<IOrganizationGrain>(org).DeleteToken(token.TokenId);
        using var client = fixture.Gateway.CreateClient();

        var bodies = new List<string>();
        foreach (var (id, secret) in new[] { (Guid.NewGuid(), WellFormedSecret), (deleted.TokenId, WellFormedSecret), (token.TokenId, token.Secret) })
        {
            using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v2/x", id, secret));
            var problem = await GatewayProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
            bodies.Add(JsonSerializer.Serialize(problem.EnumerateObject().Where(p => p.Name != "traceId").ToDictionary(p => p.Name, p => p.Value.ToString())));
        }

        Assert.Single(bodies.Distinct());
    }

    [Fact]
    public async Task An_expired_token_with_the_right_secret_is_token_expired_and_with_a_wrong_one_invalid_token()
    {
        var (_, token) = await fixture.IssueAsync(days: 1);
        using var client = fixture.Gateway.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check", token.TokenId, token.Secret))).StatusCode);

        fixture.Silo.Clock.Advance(TimeSpan.FromDays(1));

        using var expired = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", token.TokenId, token.Secret));
        await GatewayProblemAssert.IsProblemAsync(expired, HttpStatusCode.Unauthorized, "token_expired");
        using var wrong = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", token.TokenId, WellFormedSecret));
        await GatewayProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    [InlineData("HEAD")]
    [InlineData("DELETE")]
    public async Task Auth_check_answers_200_with_the_identity_for_any_method(string method)
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var client = fixture.Gateway.CreateClient();

        using var response = await client.SendAsync(GatewayFixture.Request(new HttpMethod(method), "/auth/check", token.TokenId, token.Secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(org, response.Headers.GetValues("X-ZeroPath-Org-Id").Single());
        Assert.Equal("alice", response.Headers.GetValues("X-ZeroPath-User-Id").Single());
        Assert.Equal(token.TokenId.ToString(), response.Headers.GetValues("X-ZeroPath-Token-Id").Single());
        Assert.Equal("scans:read", response.Headers.GetValues("X-ZeroPath-Permissions").Single());
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_change_of_the_owners_permissions_is_what_the_next_request_carries()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var client = fixture.Gateway.CreateClient();
        using var before = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check", token.TokenId, token.Secret));
        Assert.Equal("scans:read", before.Headers.GetValues("X-ZeroPath-Permissions").Single());

        await fixture.Silo.Grains.GetGrain<IOrganizationGrain>(org).SetMember("alice", ["scans:read", "scans:write"]);

        using var after = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", token.TokenId, token.Secret));
        Assert.Equal("scans:read,scans:write", (await GatewayFixture.EchoAsync(after)).Headers["X-ZeroPath-Permissions"]);
    }

    [Fact]
    public async Task Auth_check_refuses_like_the_proxy_does()
    {
        using var client = fixture.Gateway.CreateClient();

        using var missing = await client.GetAsync("/auth/check");
        using var invalid = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check", Guid.NewGuid(), WellFormedSecret));

        await GatewayProblemAssert.IsProblemAsync(missing, HttpStatusCode.Unauthorized, "missing_credentials");
        await GatewayProblemAssert.IsProblemAsync(invalid, HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Probes_answer_when_connected()
    {
        using var client = fixture.Gateway.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }
}
