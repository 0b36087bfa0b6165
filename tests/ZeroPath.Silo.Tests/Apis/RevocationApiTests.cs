using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.Apis;

public class RevocationApiTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    private async Task<(HttpClient Client, string Org, JsonElement Token)> OrgWithTokenAsync()
    {
        var client = factory.CreateAdminClient();
        var org = AdminClient.NewOrg();
        (await client.PutMemberAsync(org, "alice", "scans:read")).EnsureSuccessStatusCode();
        return (client, org, await client.CreateTokenAsync(org, new { userId = "alice", name = "CI" }));
    }

    private async Task<bool> ValidatesAsync(JsonElement token) =>
        (await factory.Grains.GetGrain<ITokenGrain>(token.GetProperty("tokenId").GetGuid()).Validate(token.GetProperty("tokenSecret").GetString()!)).IsValid;

    [Fact]
    public async Task Get_token_shows_metadata_and_status_without_secret_or_hash()
    {
        var (client, org, token) = await OrgWithTokenAsync();

        using var response = await client.GetAsync($"/admin/v1/tokens/{token.GetProperty("tokenId").GetGuid()}");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(["tokenId", "orgId", "userId", "name", "createdAt", "expiresAt", "status", "revokedAt", "reason", "permissions", "requestedPermissions", "allowedCidrs", "rateLimit", "lastUsedAt", "lastUsedFrom"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(org, body.GetProperty("orgId").GetString());
        Assert.Equal("active", body.GetProperty("status").GetString());
        Assert.DoesNotContain(token.GetProperty("tokenSecret").GetString()!, text, StringComparison.Ordinal);
        Assert.DoesNotContain("argon2", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Revoking_one_token_by_id_ends_it_and_records_who_why_and_when()
    {
        var (client, org, token) = await OrgWithTokenAsync();
        var id = token.GetProperty("tokenId").GetGuid();

        using var response = await client.PostAsJsonAsync($"/admin/v1/tokens/{id}/revoke", new { reason = "leaked" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("revoked", body.GetProperty("status").GetString());
        Assert.Equal("leaked", body.GetProperty("reason").GetString());
        Assert.NotEqual(JsonValueKind.Null, body.GetProperty("revokedAt").ValueKind);
        Assert.False(await ValidatesAsync(token));
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Revoking_a_members_tokens_and_an_organizations_tokens_say_how_many()
    {
        var (client, org, token) = await OrgWithTokenAsync();
        var second = await client.CreateTokenAsync(org, new { userId = "alice" });

        using var member = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/members/alice/revoke-tokens", new { reason = "offboarding" });
        var memberBody = await member.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        Assert.Equal(2, memberBody.GetProperty("revoked").GetInt32());
        Assert.False(await ValidatesAsync(token));
        Assert.False(await ValidatesAsync(second));

        var third = await client.CreateTokenAsync(org, new { userId = "alice" });
        using var all = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/revoke", new { reason = "incident" });
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(1, (await all.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revoked").GetInt32());
        Assert.False(await ValidatesAsync(third));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"reason\": \"   \"}")]
    [InlineData("{\"reason\": null}")]
    public async Task A_reason_is_required(string body)
    {
        var (client, org, token) = await OrgWithTokenAsync();
        var id = token.GetProperty("tokenId").GetGuid();

        foreach (var path in new[] { $"/admin/v1/tokens/{id}/revoke", $"/admin/v1/orgs/{org}/revoke", $"/admin/v1/orgs/{org}/members/alice/revoke-tokens" })
        {
            using var response = await client.PostRawAsync(path, body);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_reason");
        }

        Assert.True(await ValidatesAsync(token));
    }

    [Fact]
    public async Task Unknown_tokens_and_members_are_404_and_bad_ids_400()
    {
        using var client = factory.CreateAdminClient();
        var unknown = Guid.NewGuid();

        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/admin/v1/tokens/{unknown}"), HttpStatusCode.NotFound, "token_not_found");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync($"/admin/v1/tokens/{unknown}/revoke", new { reason = "x" }), HttpStatusCode.NotFound, "token_not_found");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/members/nobody/revoke-tokens", new { reason = "x" }), HttpStatusCode.NotFound, "member_not_found");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/admin/v1/tokens/not-a-uuid"), HttpStatusCode.BadRequest, "invalid_token_id");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/admin/v1/orgs/bad%20org/revoke", new { reason = "x" }), HttpStatusCode.BadRequest, "invalid_org_id");
    }

    [Fact]
    public async Task Changing_a_members_permissions_changes_what_their_tokens_carry()
    {
        var (client, org, token) = await OrgWithTokenAsync();

        (await client.PutMemberAsync(org, "alice", "scans:read", "vulns:write")).EnsureSuccessStatusCode();

        var validation = await factory.Grains.GetGrain<ITokenGrain>(token.GetProperty("tokenId").GetGuid()).Validate(token.GetProperty("tokenSecret").GetString()!);
        Assert.Equal(["scans:read", "vulns:write"], validation.Permissions.ToArray());
    }
}
