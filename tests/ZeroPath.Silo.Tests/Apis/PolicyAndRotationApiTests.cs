using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.Apis;

/// <summary><c>/orgs/{org}/policy</c> and <c>/orgs/{org}/tokens/{id}/rotate</c> over HTTP.</summary>
public class PolicyAndRotationApiTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    private async Task<(HttpClient Client, string Org)> OrgWithAliceAsync()
    {
        var client = factory.CreateAdminClient();
        var org = AdminClient.NewOrg();
        (await client.PutMemberAsync(org, "alice", "admin:all", "scans:read")).EnsureSuccessStatusCode();
        return (client, org);
    }

    private static async Task<JsonElement> PutPolicyAsync(HttpClient client, string org, string json)
    {
        using var response = await client.PutAsync($"/admin/v1/orgs/{org}/policy", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task The_policy_reads_as_the_defaults_until_set_and_as_stored_after()
    {
        var (client, org) = await OrgWithAliceAsync();

        var initial = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/policy");
        Assert.Equal(
            $$"""{"orgId":"{{org}}","maxTokenLifetimeDays":365,"forbiddenPermissions":[],"requireAllowedCidrs":false}""",
            initial.GetRawText());

        var set = await PutPolicyAsync(client, org, """{"maxTokenLifetimeDays":30,"forbiddenPermissions":["admin:all","admin:all"],"requireAllowedCidrs":true}""");
        Assert.Equal(
            $$"""{"orgId":"{{org}}","maxTokenLifetimeDays":30,"forbiddenPermissions":["admin:all"],"requireAllowedCidrs":true}""",
            set.GetRawText());
        Assert.Equal(set.GetRawText(), (await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/policy")).GetRawText());

        // PUT replaces the whole policy: omitted fields go back to their defaults.
        var cleared = await PutPolicyAsync(client, org, "{}");
        Assert.Equal(initial.GetRawText(), cleared.GetRawText());

        var audit = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/audit");
        var events = audit.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("action").GetString() == "organization.policy_changed").ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(JsonValueKind.Null, events[0].GetProperty("tokenId").ValueKind);
    }

    [Theory]
    [InlineData("""{"maxTokenLifetimeDays":0}""", "invalid_max_token_lifetime_days")]
    [InlineData("""{"maxTokenLifetimeDays":366}""", "invalid_max_token_lifetime_days")]
    [InlineData("""{"maxTokenLifetimeDays":"30"}""", "invalid_max_token_lifetime_days")]
    [InlineData("""{"forbiddenPermissions":["bad permission"]}""", "invalid_forbidden_permissions")]
    [InlineData("""{"forbiddenPermissions":[null]}""", "invalid_forbidden_permissions")]
    [InlineData("""{"requireAllowedCidrs":"yes"}""", "invalid_require_allowed_cidrs")]
    [InlineData("""{"requireAllowedCidrs":1}""", "invalid_require_allowed_cidrs")]
    public async Task A_bad_policy_is_400_with_its_code(string json, string code)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PutAsync($"/admin/v1/orgs/{org}/policy", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, code);
    }

    [Theory]
    [InlineData("""{"userId":"alice","expiresInDays":31}""", "lifetime_exceeds_policy")]
    [InlineData("""{"userId":"alice","permissions":["admin:all"],"allowedCidrs":["10.0.0.0/8"]}""", "permission_forbidden")]
    [InlineData("""{"userId":"alice"}""", "allowed_cidrs_required")]
    public async Task Creation_outside_the_policy_is_422_with_its_code(string json, string code)
    {
        var (client, org) = await OrgWithAliceAsync();
        await PutPolicyAsync(client, org, """{"maxTokenLifetimeDays":30,"forbiddenPermissions":["admin:all"],"requireAllowedCidrs":true}""");

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", json);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnprocessableEntity, code);
        var listed = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        Assert.Empty(listed.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Within_the_policy_a_default_lifetime_is_shortened_and_forbidden_permissions_left_out()
    {
        var (client, org) = await OrgWithAliceAsync();
        await PutPolicyAsync(client, org, """{"maxTokenLifetimeDays":7,"forbiddenPermissions":["admin:all"]}""");

        var token = await client.CreateTokenAsync(org, new { userId = "alice" });

        Assert.Equal(token.GetProperty("createdAt").GetDateTimeOffset().AddDays(7), token.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(["scans:read"], token.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Rotate_is_201_with_the_successors_secret_and_when_the_old_token_ends()
    {
        var (client, org) = await OrgWithAliceAsync();
        var old = await client.CreateTokenAsync(org, new { userId = "alice", name = "deploy", expiresInDays = 10, permissions = new[] { "scans:read" } });
        var oldId = old.GetProperty("tokenId").GetGuid();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens/{oldId}/rotate", """{"gracePeriodHours":2}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(
            ["tokenId", "tokenSecret", "name", "createdAt", "expiresAt", "permissions", "allowedCidrs", "rateLimit", "rotatedTokenId", "rotatedTokenEndsAt"],
            body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(oldId, body.GetProperty("rotatedTokenId").GetGuid());
        Assert.Equal("deploy", body.GetProperty("name").GetString());
        var createdAt = body.GetProperty("createdAt").GetDateTimeOffset();
        Assert.Equal(createdAt.AddDays(10), body.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(createdAt.AddHours(2), body.GetProperty("rotatedTokenEndsAt").GetDateTimeOffset());
        var successor = body.GetProperty("tokenId").GetGuid();
        Assert.True((await factory.Grains.GetGrain<ITokenGrain>(successor).Validate(body.GetProperty("tokenSecret").GetString()!)).IsValid);
        Assert.True((await factory.Grains.GetGrain<ITokenGrain>(oldId).Validate(old.GetProperty("tokenSecret").GetString()!)).IsValid);

        using var again = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens/{oldId}/rotate", "{}");
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "token_already_rotated");
    }

    [Fact]
    public async Task Rotate_without_grace_ends_the_old_token_before_answering()
    {
        var (client, org) = await OrgWithAliceAsync();
        var old = await client.CreateTokenAsync(org, new { userId = "alice" });
        var oldId = old.GetProperty("tokenId").GetGuid();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens/{oldId}/rotate", """{"gracePeriodHours":0}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False((await factory.Grains.GetGrain<ITokenGrain>(oldId).Validate(old.GetProperty("tokenSecret").GetString()!)).IsValid);
        using var ended = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens/{oldId}/rotate", "{}");
        await ProblemAssert.IsProblemAsync(ended, HttpStatusCode.Conflict, "token_not_active");
    }

    [Theory]
    [InlineData("""{"gracePeriodHours":-1}""", "invalid_grace_period_hours")]
    [InlineData("""{"gracePeriodHours":169}""", "invalid_grace_period_hours")]
    [InlineData("""{"gracePeriodHours":1.5}""", "invalid_grace_period_hours")]
    [InlineData("""{"gracePeriodHours":"24"}""", "invalid_grace_period_hours")]
    public async Task A_bad_grace_period_is_400(string json, string code)
    {
        var (client, org) = await OrgWithAliceAsync();
        var old = await client.CreateTokenAsync(org, new { userId = "alice" });

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens/{old.GetProperty("tokenId").GetGuid()}/rotate", json);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Rotating_an_unknown_token_is_404()
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens/{Guid.NewGuid()}/rotate", "{}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "token_not_found");
    }
}
