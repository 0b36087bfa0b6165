using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.Apis;

public class TokensApiTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    private async Task<(HttpClient Client, string Org)> OrgWithAliceAsync()
    {
        var client = factory.CreateAdminClient();
        var org = AdminClient.NewOrg();
        (await client.PutMemberAsync(org, "alice", "scans:read", "vulns:write")).EnsureSuccessStatusCode();
        return (client, org);
    }

    [Fact]
    public async Task Create_is_201_with_id_secret_times_and_permissions_and_is_not_cacheable()
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/tokens", new { userId = "alice", name = " CI ", expiresInDays = 7 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(
            ["tokenId", "tokenSecret", "name", "createdAt", "expiresAt", "permissions", "allowedCidrs", "rateLimit"],
            body.EnumerateObject().Select(p => p.Name));
        var tokenId = body.GetProperty("tokenId").GetGuid();
        var secret = body.GetProperty("tokenSecret").GetString()!;
        Assert.True(TokenSecretFormat.IsWellFormed(secret));
        Assert.Equal("CI", body.GetProperty("name").GetString());
        Assert.Equal(body.GetProperty("createdAt").GetDateTimeOffset().AddDays(7), body.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(["scans:read", "vulns:write"], body.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.True((await factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(secret)).IsValid);
    }

    [Fact]
    public async Task Name_and_expiry_are_optional_with_a_30_day_default()
    {
        var (client, org) = await OrgWithAliceAsync();

        var body = await client.CreateTokenAsync(org, new { userId = "alice" });

        Assert.Equal(JsonValueKind.Null, body.GetProperty("name").ValueKind);
        Assert.Equal(body.GetProperty("createdAt").GetDateTimeOffset().AddDays(30), body.GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("365")]
    [InlineData("null")]
    public async Task Expiry_bounds_are_accepted(string days)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", $"{{\"userId\":\"alice\",\"expiresInDays\":{days}}}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("366")]
    [InlineData("-1")]
    [InlineData("30.5")]
    [InlineData("30.0")]
    [InlineData("3e1")]
    [InlineData("\"30\"")]
    [InlineData("true")]
    [InlineData("99999999999")]
    public async Task Expiry_outside_1_to_365_whole_days_is_400(string days)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", $"{{\"userId\":\"alice\",\"expiresInDays\":{days}}}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_expires_in_days");
    }

    [Fact]
    public async Task A_name_of_100_characters_is_fine_and_101_is_400()
    {
        var (client, org) = await OrgWithAliceAsync();

        var ok = await client.CreateTokenAsync(org, new { userId = "alice", name = new string('n', 100) });
        using var tooLong = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/tokens", new { userId = "alice", name = new string('n', 101) });

        Assert.Equal(100, ok.GetProperty("name").GetString()!.Length);
        await ProblemAssert.IsProblemAsync(tooLong, HttpStatusCode.BadRequest, "invalid_name");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"userId\":\"\"}")]
    [InlineData("{\"userId\":\"no spaces\"}")]
    public async Task A_missing_or_bad_user_id_is_400(string body)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", body);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_user_id");
    }

    [Fact]
    public async Task Creating_for_a_non_member_is_404()
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/tokens", new { userId = "bob" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "member_not_found");
    }

    [Fact]
    public async Task Create_with_a_subset_and_address_ranges_is_201_with_both_and_they_show_in_details_and_lists()
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostAsJsonAsync(
            $"/admin/v1/orgs/{org}/tokens",
            new { userId = "alice", permissions = new[] { "scans:read" }, allowedCidrs = new[] { "2001:DB8::/32", "203.0.113.7", "10.0.0.0/8" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["scans:read"], body.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(
            ["10.0.0.0/8", "2001:db8::/32", "203.0.113.7/32"],
            body.GetProperty("allowedCidrs").EnumerateArray().Select(p => p.GetString()));
        var tokenId = body.GetProperty("tokenId").GetGuid();
        var validation = await factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(body.GetProperty("tokenSecret").GetString()!);
        Assert.Equal(["scans:read"], validation.Permissions.ToArray());

        var details = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{tokenId}");
        Assert.Equal(["scans:read"], details.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["scans:read"], details.GetProperty("requestedPermissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(3, details.GetProperty("allowedCidrs").GetArrayLength());

        var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(["permissions", "addresses"], item.GetProperty("restrictions").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task A_token_without_options_shows_all_its_owners_permissions_and_no_restriction()
    {
        var (client, org) = await OrgWithAliceAsync();
        var created = await client.CreateTokenAsync(org, new { userId = "alice", permissions = (string[]?)null, allowedCidrs = (string[]?)null });
        var tokenId = created.GetProperty("tokenId").GetGuid();

        var details = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{tokenId}");

        Assert.Equal(JsonValueKind.Null, details.GetProperty("requestedPermissions").ValueKind);
        Assert.Equal(JsonValueKind.Null, details.GetProperty("allowedCidrs").ValueKind);
        Assert.Equal(["scans:read", "vulns:write"], details.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        Assert.Equal(0, Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("restrictions").GetArrayLength());
    }

    [Fact]
    public async Task A_permission_the_member_does_not_hold_is_422_permission_not_held()
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/tokens", new { userId = "alice", permissions = new[] { "scans:read", "admin:all" } });

        await ProblemAssert.IsProblemAsync(response, (HttpStatusCode)422, "permission_not_held");
        var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("[\"a,b\"]")]
    [InlineData("[null]")]
    [InlineData("[\"\"]")]
    public async Task A_malformed_permission_is_400(string permissions)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", $"{{\"userId\":\"alice\",\"permissions\":{permissions}}}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_permissions");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[\"10.0.0.1/8\"]")]
    [InlineData("[\"10.0.0.0/33\"]")]
    [InlineData("[\"example.com\"]")]
    [InlineData("[null]")]
    [InlineData("[\"2001:db8::/129\"]")]
    public async Task A_bad_address_range_is_400_invalid_allowed_cidrs(string cidrs)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", $"{{\"userId\":\"alice\",\"allowedCidrs\":{cidrs}}}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_allowed_cidrs");
    }

    [Fact]
    public async Task More_than_32_address_ranges_is_400()
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostAsJsonAsync(
            $"/admin/v1/orgs/{org}/tokens", new { userId = "alice", allowedCidrs = Enumerable.Range(0, 33).Select(i => $"10.0.{i}.0/24").ToArray() });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_allowed_cidrs");
    }

    [Fact]
    public async Task Create_with_a_rate_limit_is_201_and_it_shows_in_details_lists_and_validations()
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostAsJsonAsync(
            $"/admin/v1/orgs/{org}/tokens", new { userId = "alice", rateLimit = new { requestsPerSecond = 10, burst = 20 } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(10, body.GetProperty("rateLimit").GetProperty("requestsPerSecond").GetDouble());
        Assert.Equal(20, body.GetProperty("rateLimit").GetProperty("burst").GetInt32());
        var tokenId = body.GetProperty("tokenId").GetGuid();
        var validation = await factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(body.GetProperty("tokenSecret").GetString()!);
        Assert.Equal(new TokenRateLimit(10, 20), validation.RateLimit);

        var details = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{tokenId}");
        Assert.Equal(["requestsPerSecond", "burst"], details.GetProperty("rateLimit").EnumerateObject().Select(p => p.Name));
        Assert.Equal(20, details.GetProperty("rateLimit").GetProperty("burst").GetInt32());
        var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(["rateLimit"], item.GetProperty("restrictions").EnumerateArray().Select(p => p.GetString()));
    }

    [Theory]
    [InlineData("{\"requestsPerSecond\":2.5}", 2.5, 3)]
    [InlineData("{\"requestsPerSecond\":0.01,\"burst\":null}", 0.01, 1)]
    [InlineData("{\"RequestsPerSecond\":100000,\"Burst\":1000000}", 100000, 1000000)]
    [InlineData("{\"requestsPerSecond\":1,\"burst\":1}", 1, 1)]
    public async Task A_rate_limit_within_bounds_is_kept_and_the_burst_defaults_to_the_rate_rounded_up(string rateLimit, double rate, int burst)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", $"{{\"userId\":\"alice\",\"rateLimit\":{rateLimit}}}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(rate, body.GetProperty("rateLimit").GetProperty("requestsPerSecond").GetDouble());
        Assert.Equal(burst, body.GetProperty("rateLimit").GetProperty("burst").GetInt32());
    }

    [Fact]
    public async Task A_token_without_a_rate_limit_shows_null()
    {
        var (client, org) = await OrgWithAliceAsync();
        var created = await client.CreateTokenAsync(org, new { userId = "alice", rateLimit = (object?)null });

        var details = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{created.GetProperty("tokenId").GetGuid()}");

        Assert.Equal(JsonValueKind.Null, created.GetProperty("rateLimit").ValueKind);
        Assert.Equal(JsonValueKind.Null, details.GetProperty("rateLimit").ValueKind);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("\"10\"")]
    [InlineData("[10]")]
    [InlineData("{}")]
    [InlineData("{\"burst\":5}")]
    [InlineData("{\"requestsPerSecond\":null}")]
    [InlineData("{\"requestsPerSecond\":\"10\"}")]
    [InlineData("{\"requestsPerSecond\":0}")]
    [InlineData("{\"requestsPerSecond\":-1}")]
    [InlineData("{\"requestsPerSecond\":0.009}")]
    [InlineData("{\"requestsPerSecond\":100000.5}")]
    [InlineData("{\"requestsPerSecond\":1e400}")]
    [InlineData("{\"requestsPerSecond\":10,\"burst\":0}")]
    [InlineData("{\"requestsPerSecond\":10,\"burst\":2.5}")]
    [InlineData("{\"requestsPerSecond\":10,\"burst\":1000001}")]
    [InlineData("{\"requestsPerSecond\":10,\"burst\":\"5\"}")]
    [InlineData("{\"requestsPerSecond\":10,\"brust\":5}")]
    [InlineData("{\"requestsPerSecond\":10,\"REQUESTSPERSECOND\":5}")]
    public async Task A_bad_rate_limit_is_400_invalid_rate_limit_and_creates_nothing(string rateLimit)
    {
        var (client, org) = await OrgWithAliceAsync();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{org}/tokens", $"{{\"userId\":\"alice\",\"rateLimit\":{rateLimit}}}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_rate_limit");
        var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task List_returns_active_tokens_without_secret_or_hash()
    {
        var (client, org) = await OrgWithAliceAsync();
        var kept = await client.CreateTokenAsync(org, new { userId = "alice", name = "kept" });
        var deleted = await client.CreateTokenAsync(org, new { userId = "alice", name = "deleted" });
        (await client.DeleteAsync($"/admin/v1/orgs/{org}/tokens/{deleted.GetProperty("tokenId").GetGuid()}")).EnsureSuccessStatusCode();

        using var response = await client.GetAsync($"/admin/v1/orgs/{org}/tokens");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = JsonDocument.Parse(text).RootElement;
        Assert.Equal(["orgId", "items", "nextCursor"], page.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(["tokenId", "name", "userId", "createdAt", "expiresAt", "restrictions", "lastUsedAt", "lastUsedFrom"], item.EnumerateObject().Select(p => p.Name));
        Assert.Equal(kept.GetProperty("tokenId").GetGuid(), item.GetProperty("tokenId").GetGuid());
        Assert.DoesNotContain(kept.GetProperty("tokenSecret").GetString()!, text, StringComparison.Ordinal);
        Assert.DoesNotContain("argon2", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task List_of_an_unknown_organization_is_empty()
    {
        using var client = factory.CreateAdminClient();

        var org = AdminClient.NewOrg();

        Assert.Equal($$"""{"orgId":"{{org}}","items":[],"nextCursor":null}""", await client.GetStringAsync($"/admin/v1/orgs/{org}/tokens"));
    }

    [Fact]
    public async Task Pages_walk_every_token_once_newest_first_while_tokens_are_created_between_pages()
    {
        var (client, org) = await OrgWithAliceAsync();
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await client.CreateTokenAsync(org, new { userId = "alice", name = $"t{i}" })).GetProperty("tokenId").GetGuid());
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?limit=3" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("tokenId").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
            // Created meanwhile: newer than every page already read, so it shifts nothing that follows.
            await client.CreateTokenAsync(org, new { userId = "alice", name = "meanwhile" });
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(created), seen);
        Assert.Equal(3, pages);
    }

    [Theory]
    [InlineData("limit=0", "invalid_limit")]
    [InlineData("limit=501", "invalid_limit")]
    [InlineData("limit=ten", "invalid_limit")]
    [InlineData("limit=1&limit=2", "invalid_limit")]
    [InlineData("cursor=AAAAAAAAAAE", null)]
    [InlineData("cursor=AAAAAAAAAAF", "invalid_cursor")]
    [InlineData("cursor=zzzzzzzzzzz", "invalid_cursor")]
    [InlineData("cursor=%2F%2F%2F", "invalid_cursor")]
    [InlineData("cursor=AAAAAAAAAAE&cursor=AAAAAAAAAAE", "invalid_cursor")]
    public async Task List_parameters_out_of_their_rules_are_400_with_a_code(string query, string? code)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens?{query}");

        if (code is null)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, code);
        }
    }

    [Fact]
    public async Task Delete_is_204_and_the_token_stops_validating()
    {
        var (client, org) = await OrgWithAliceAsync();
        var token = await client.CreateTokenAsync(org, new { userId = "alice" });
        var tokenId = token.GetProperty("tokenId").GetGuid();

        using var response = await client.DeleteAsync($"/admin/v1/orgs/{org}/tokens/{tokenId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False((await factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(token.GetProperty("tokenSecret").GetString()!)).IsValid);
        using var again = await client.DeleteAsync($"/admin/v1/orgs/{org}/tokens/{tokenId}");
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound, "token_not_found");
    }

    [Fact]
    public async Task Deleting_a_token_through_another_organization_is_404_and_leaves_it_valid()
    {
        var (client, org) = await OrgWithAliceAsync();
        var token = await client.CreateTokenAsync(org, new { userId = "alice" });
        var tokenId = token.GetProperty("tokenId").GetGuid();

        using var response = await client.DeleteAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens/{tokenId}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "token_not_found");
        Assert.True((await factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(token.GetProperty("tokenSecret").GetString()!)).IsValid);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("3f2b9c4e8d1a4b6f9e2d7c5a1b0e4f3d")]
    [InlineData("%7B3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d%7D")]
    public async Task Delete_with_a_malformed_token_id_is_400(string tokenId)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.DeleteAsync($"/admin/v1/orgs/acme/tokens/{tokenId}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_token_id");
    }
}
