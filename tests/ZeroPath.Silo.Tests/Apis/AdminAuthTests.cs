using System.Net;
using System.Net.Http.Headers;

using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

public class AdminAuthTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    public static TheoryData<string, string> Routes => new()
    {
        { "PUT", "/admin/v1/orgs/acme/members/alice" },
        { "DELETE", "/admin/v1/orgs/acme/members/alice" },
        { "POST", "/admin/v1/orgs/acme/tokens" },
        { "GET", "/admin/v1/orgs/acme/tokens" },
        { "DELETE", "/admin/v1/orgs/acme/tokens/3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d" },
        { "GET", "/admin/v1/tokens/3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d" },
        { "POST", "/admin/v1/tokens/3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d/revoke" },
        { "POST", "/admin/v1/orgs/acme/members/alice/revoke-tokens" },
        { "POST", "/admin/v1/orgs/acme/revoke" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_route_requires_the_admin_key(string method, string path)
    {
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("Bearer", "wrong-key-0123456789")]
    [InlineData("Bearer", SiloFactory.AdminKey + "x")]
    [InlineData("Basic", SiloFactory.AdminKey)]
    public async Task A_wrong_key_or_scheme_is_refused(string scheme, string key)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, key);

        using var response = await client.GetAsync("/admin/v1/orgs/acme/tokens");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task The_right_key_is_accepted()
    {
        using var client = factory.CreateAdminClient();

        using var response = await client.GetAsync("/admin/v1/orgs/acme/tokens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Probes_need_no_key()
    {
        using var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("too-short")]
    public void The_silo_refuses_to_start_without_a_proper_admin_key(string? key)
    {
        using var unconfigured = new SiloFactory { Key = key };

        var error = Assert.ThrowsAny<Exception>(() => unconfigured.CreateClient());

        Assert.Contains("ZP_ADMIN_KEY", error.ToString(), StringComparison.Ordinal);
    }
}
