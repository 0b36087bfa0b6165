using System.Net;
using System.Text;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

public class BodyLimitTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    private const int Limit = 64 * 1024;

    /// <summary>A valid member body padded with spaces to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] MemberBody(int size)
    {
        var json = "{\"permissions\":[\"scans:read\"]}";
        return Encoding.UTF8.GetBytes(json.PadRight(size));
    }

    private static HttpContent Content(byte[] body, bool chunked)
    {
        HttpContent content = chunked ? new StreamContent(new UnknownLengthStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_of_64_KiB_is_read(bool chunked)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.PutAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/members/alice", Content(MemberBody(Limit), chunked));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_larger_body_is_413_whether_its_length_is_declared_or_not(bool chunked)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.PutAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/members/alice", Content(MemberBody(Limit + 1), chunked));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body_too_large");
    }

    [Theory]
    [InlineData("PUT", "/admin/v1/orgs/acme/members/alice")]
    [InlineData("GET", "/admin/v1/orgs/acme/tokens")]
    [InlineData("POST", "/admin/v1/nowhere")]
    public async Task A_declared_length_over_the_limit_is_refused_before_the_key_is_checked(string method, string path)
    {
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Content(new byte[Limit + 1], chunked: false) };

        using var response = await client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body_too_large");
    }

    /// <summary>A stream that hides its length, so the client sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

public class AdminRoutingProblemTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    [Theory]
    [InlineData("GET", "/admin/v1/nowhere", 404, "not_found")]
    [InlineData("GET", "/admin/v1/orgs//tokens", 404, "not_found")]
    [InlineData("GET", "/admin/v2/orgs/acme/tokens", 404, "not_found")]
    [InlineData("PATCH", "/admin/v1/orgs/acme/members/alice", 405, "method_not_allowed")]
    [InlineData("GET", "/admin/v1/orgs/acme/revoke", 405, "method_not_allowed")]
    [InlineData("GET", "/admin/v1/orgs/acme/audit?limit=abc", 400, "invalid_limit")]
    [InlineData("GET", "/admin/v1/orgs/acme/audit?limit=5&limit=6", 400, "invalid_limit")]
    [InlineData("GET", "/admin/v1/orgs/acme/audit?limit=99999999999999", 400, "invalid_limit")]
    [InlineData("GET", "/admin/v1/orgs/acme/audit?before=x", 400, "invalid_cursor")]
    [InlineData("GET", "/admin/v1/orgs/acme/audit?before=1&before=2", 400, "invalid_cursor")]
    public async Task What_no_route_answers_is_problem_json_with_a_code(string method, string path, int status, string code)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemAssert.IsProblemAsync(response, (HttpStatusCode)status, code);
    }

    [Fact]
    public async Task An_unknown_admin_route_needs_the_key_too()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/admin/v1/nowhere");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=nonsense")]
    [InlineData("text/json; charset=latin1")]
    public async Task A_body_that_is_not_UTF_8_JSON_is_415(string contentType)
    {
        using var client = factory.CreateAdminClient();
        var content = new StringContent("{\"reason\":\"x\"}");
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/revoke", content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Theory]
    [InlineData("{\"reason\":\"a\",\"reason\":\"b\"}")]
    [InlineData("{\"reason\":\"\\ud800\"")]
    public async Task A_property_given_twice_or_broken_JSON_is_invalid_json(string body)
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.PostRawAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/revoke", body);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task Invalid_UTF_8_in_a_body_is_invalid_json()
    {
        using var client = factory.CreateAdminClient();
        var content = new ByteArrayContent([.. "{\"reason\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        content.Headers.ContentType = new("application/json");

        using var response = await client.PostAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/revoke", content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }
}
