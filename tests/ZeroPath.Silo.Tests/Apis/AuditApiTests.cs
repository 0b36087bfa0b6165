using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

public class AuditApiTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    [Fact]
    public async Task The_audit_trail_names_the_actor_from_the_header_and_pages_newest_first()
    {
        using var client = factory.CreateAdminClient();
        var org = AdminClient.NewOrg();
        (await client.PutMemberAsync(org, "alice", "scans:read")).EnsureSuccessStatusCode();
        var token = await client.CreateTokenAsync(org, new { userId = "alice" });
        var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/v1/tokens/{token.GetProperty("tokenId").GetGuid()}/revoke")
        {
            Content = JsonContent.Create(new { reason = "leaked" }),
        };
        request.Headers.Add("X-ZeroPath-Actor", "oncall@zeropath");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        var first = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/audit?limit=1");
        var newest = Assert.Single(first.GetProperty("events").EnumerateArray());
        Assert.Equal("token.revoked", newest.GetProperty("action").GetString());
        Assert.Equal("oncall@zeropath", newest.GetProperty("actor").GetString());
        Assert.Equal("leaked", newest.GetProperty("reason").GetString());
        Assert.Equal(token.GetProperty("tokenId").GetGuid(), newest.GetProperty("tokenId").GetGuid());

        var second = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/audit?limit=1&before={first.GetProperty("nextBefore").GetInt64()}");
        var older = Assert.Single(second.GetProperty("events").EnumerateArray());
        Assert.Equal("token.created", older.GetProperty("action").GetString());
        Assert.Equal("admin", older.GetProperty("actor").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextBefore").ValueKind);
    }

    [Theory]
    [InlineData("?limit=0", "invalid_limit")]
    [InlineData("?limit=501", "invalid_limit")]
    [InlineData("?before=-1", "invalid_cursor")]
    public async Task Bad_paging_parameters_are_400(string query, string code)
    {
        using var client = factory.CreateAdminClient();

        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/audit{query}"), HttpStatusCode.BadRequest, code);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("a,b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task A_bad_actor_header_is_400(string actor)
    {
        using var client = factory.CreateAdminClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");
        request.Headers.TryAddWithoutValidation("X-ZeroPath-Actor", actor);

        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, "invalid_actor");
    }
}
