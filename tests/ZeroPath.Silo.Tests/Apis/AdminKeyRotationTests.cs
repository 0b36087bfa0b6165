using System.Net;
using System.Net.Http.Headers;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

/// <summary>Two accepted keys at once (<c>Key</c> and <c>NextKey</c>), for rotating the admin key without downtime.</summary>
public class AdminKeyRotationTests(AdminKeyRotationTests.TwoKeySilo factory) : IClassFixture<AdminKeyRotationTests.TwoKeySilo>
{
    public sealed class TwoKeySilo() : SiloFactoryWith(new SiloFactory { NextKey = SiloFactory.NextAdminKey });

    [Theory]
    [InlineData(SiloFactory.AdminKey)]
    [InlineData(SiloFactory.NextAdminKey)]
    public async Task Both_the_current_and_the_next_key_are_accepted(string key)
    {
        using var client = factory.Silo.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var response = await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(SiloFactory.AdminKey + SiloFactory.NextAdminKey)]
    [InlineData("test-next-admin-key-987654321")]
    [InlineData("test-next-admin-key-9876543210 x")]
    public async Task A_third_key_is_refused(string key)
    {
        using var client = factory.Silo.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + key);

        using var response = await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }
}

/// <summary>Shares one configured <see cref="SiloFactory"/> across a test class.</summary>
public abstract class SiloFactoryWith(SiloFactory silo) : IDisposable
{
    public SiloFactory Silo { get; } = silo;

    public void Dispose()
    {
        Silo.Dispose();
        GC.SuppressFinalize(this);
    }
}

public class AdminKeyHeaderTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    [Theory]
    [InlineData("Bearer " + SiloFactory.AdminKey)]
    [InlineData("bearer " + SiloFactory.AdminKey)]
    [InlineData("BEARER " + SiloFactory.AdminKey)]
    [InlineData("Bearer   " + SiloFactory.AdminKey + "  ")]
    public async Task The_scheme_is_case_insensitive_and_spaces_around_the_key_are_ignored(string header)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);

        using var response = await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer" + SiloFactory.AdminKey)]
    [InlineData("Bearer " + SiloFactory.AdminKey + "\u00e9")]
    [InlineData("Token " + SiloFactory.AdminKey)]
    [InlineData(SiloFactory.AdminKey)]
    public async Task A_malformed_authorization_header_is_refused(string header)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);

        using var response = await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task The_right_key_sent_twice_is_refused()
    {
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");
        request.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + SiloFactory.AdminKey, "Bearer " + SiloFactory.AdminKey]);

        using var response = await client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }
}

public class AdminKeySettingsTests
{
    public static TheoryData<string?, string?, string> BadKeys => new()
    {
        { null, null, "ZeroPath:Admin:Key" },
        { "too-short", null, "ZeroPath:Admin:Key" },
        { "has a space in the key", null, "ZeroPath:Admin:Key" },
        { SiloFactory.AdminKey, "too-short", "ZeroPath:Admin:NextKey" },
        { SiloFactory.AdminKey, SiloFactory.AdminKey, "ZeroPath:Admin:NextKey" },
        { SiloFactory.AdminKey, "next-key-with-\u00e9-0123456789", "ZeroPath:Admin:NextKey" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public void A_missing_short_unprintable_or_repeated_key_stops_start_up_naming_the_setting_not_the_value(string? key, string? next, string setting)
    {
        using var silo = new SiloFactory { Key = key, NextKey = next };

        var error = Assert.ThrowsAny<Exception>(() => silo.CreateClient()).GetBaseException();

        Assert.StartsWith("Invalid configuration:", error.Message, StringComparison.Ordinal);
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.Contains(setting == "ZeroPath:Admin:Key" ? "ZP_ADMIN_KEY" : "ZP_ADMIN_KEY_NEXT", error.Message, StringComparison.Ordinal);
        foreach (var value in new[] { key, next })
        {
            if (value is { Length: > 0 })
            {
                Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task The_next_key_can_come_from_ZP_ADMIN_KEY_NEXT()
    {
        using var silo = new SiloFactory { Overrides = new Dictionary<string, string?> { ["ZP_ADMIN_KEY_NEXT"] = "from-the-environment-0123456789" } };
        using var client = silo.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "from-the-environment-0123456789");

        using var response = await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
