using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.Apis;

public class MembersApiTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    [Fact]
    public async Task Put_member_returns_the_member_with_normalized_permissions()
    {
        using var client = factory.CreateAdminClient();
        var org = AdminClient.NewOrg();

        using var response = await client.PutMemberAsync(org, "alice", "vulns:write", "scans:read", "scans:read");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var member = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(org, member.GetProperty("orgId").GetString());
        Assert.Equal("alice", member.GetProperty("userId").GetString());
        Assert.Equal(["scans:read", "vulns:write"], member.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
    }

    public static TheoryData<string> BadPermissionBodies => new()
    {
        "{}",
        "{\"permissions\": null}",
        "{\"permissions\": [\"a,b\"]}",
        "{\"permissions\": [\"has space\"]}",
        "{\"permissions\": [\"\"]}",
        "{\"permissions\": [null]}",
        "{\"permissions\": [\"" + new string('p', 65) + "\"]}",
        "{\"permissions\": [" + string.Join(',', Enumerable.Range(0, 101).Select(i => $"\"p{i}\"")) + "]}",
    };

    [Theory]
    [MemberData(nameof(BadPermissionBodies))]
    public async Task Bad_permissions_are_400(string body)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.PutAsync(
            $"/admin/v1/orgs/{AdminClient.NewOrg()}/members/alice", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_permissions");
    }

    [Theory]
    [InlineData("{\"permissions\": \"scans:read\"}")]
    [InlineData("{\"permissions\": [1]}")]
    [InlineData("{\"permissions\": [")]
    [InlineData("[]")]
    [InlineData("null")]
    public async Task Malformed_json_is_400(string body)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.PutAsync(
            $"/admin/v1/orgs/{AdminClient.NewOrg()}/members/alice", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.PutAsync(
            $"/admin/v1/orgs/{AdminClient.NewOrg()}/members/alice", new StringContent("permissions=a", Encoding.UTF8, "text/plain"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Theory]
    [InlineData("bad%20org", "alice", "invalid_org_id")]
    [InlineData("org.dot", "alice", "invalid_org_id")]
    [InlineData("acme", "bad%2Fuser", "invalid_user_id")]
    [InlineData("acme", "%C3%BCser", "invalid_user_id")]
    public async Task Bad_ids_are_400(string org, string user, string code)
    {
        using var client = factory.CreateAdminClient();

        using var put = await client.PutMemberAsync(org, user, "scans:read");
        using var delete = await client.DeleteAsync($"/admin/v1/orgs/{org}/members/{user}");

        await ProblemAssert.IsProblemAsync(put, HttpStatusCode.BadRequest, code);
        await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Ids_longer_than_64_characters_are_400()
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.PutMemberAsync(new string('o', 65), "alice", "scans:read");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_org_id");
    }

    [Fact]
    public async Task Removing_a_member_is_204_and_their_tokens_stop_validating()
    {
        using var client = factory.CreateAdminClient();
        var org = AdminClient.NewOrg();
        (await client.PutMemberAsync(org, "alice", "scans:read")).EnsureSuccessStatusCode();
        var token = await client.CreateTokenAsync(org, new { userId = "alice" });
        var tokenId = token.GetProperty("tokenId").GetGuid();
        var secret = token.GetProperty("tokenSecret").GetString()!;
        Assert.True((await factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(secret)).IsValid);

        using var response = await client.DeleteAsync($"/admin/v1/orgs/{org}/members/alice");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False((await factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(secret)).IsValid);
    }

    [Fact]
    public async Task Removing_someone_who_is_not_a_member_is_404()
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.DeleteAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/members/nobody");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "member_not_found");
    }

    /// <summary>Azure Table storage caps one entity at 1 MiB (the default provider, Redis, has no such limit): an organization
    /// is stored in records of its own per member and per index shard, so it grows past that there too.</summary>
    [Fact]
    public async Task An_organization_grows_past_what_one_stored_record_can_hold()
    {
        await using var azureTable = new SiloFactory { Overrides = TestSettings.AzureTableStorage(await TestServers.StorageAsync()) };
        using var client = azureTable.CreateAdminClient();
        var org = AdminClient.NewOrg();
        // The largest member there is: 100 permissions of 64 characters, about 6.7 KB stored each. 200 of them is 1.3 MB,
        // past the 1 MiB a table entity holds (where one record holding every member used to answer 409).
        var permissions = Enumerable.Range(0, TokenRules.MaxPermissions).Select(i => $"{i:D3}".PadRight(TokenRules.MaxPermissionLength, 'p')).ToArray();
        for (var i = 0; i < 200; i++)
        {
            using var put = await client.PutMemberAsync(org, $"member-{i}", permissions);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // The longest names, of characters stored escaped (6 bytes each): more tokens than one index shard takes.
        var name = new string('é', TokenRules.MaxNameLength);
        var tokens = new HashSet<Guid>();
        for (var i = 0; i < 300; i++)
        {
            tokens.Add((await client.CreateTokenAsync(org, new { userId = $"member-{i % 200}", name })).GetProperty("tokenId").GetGuid());
        }

        var listed = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?limit=500" + (cursor is null ? "" : $"&cursor={cursor}"));
            listed.AddRange(page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("tokenId").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(300, listed.Count);
        Assert.True(tokens.SetEquals(listed));
        using var removed = await client.DeleteAsync($"/admin/v1/orgs/{org}/members/member-0");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
    }
}
