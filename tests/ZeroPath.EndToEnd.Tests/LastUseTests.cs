using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>Last use across processes: a request through a real gateway shows up in the silo's admin API and in zpctl.</summary>
public class LastUseTests
{
    [Fact]
    public async Task A_token_used_through_the_gateway_shows_its_last_use_in_the_admin_api_and_zpctl()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        system.GatewaySettings["ZeroPath:Gateway:LastUse:FlushInterval"] = "00:00:01";
        await using var silo = system.StartSilo();
        await silo.WaitUntilOkAsync("/readyz");
        await using var gateway = system.StartGateway();
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin = TokenApi.Admin(silo);
        using var edge = new HttpClient { BaseAddress = gateway.BaseAddress };
        var org = TestSettings.UniqueId("lastuse");
        await admin.AddMemberAsync(org, "alice", "scans:read");
        var used = await admin.CreateTokenAsync(org, "alice");
        var unused = await admin.CreateTokenAsync(org, "alice");
        var before = DateTimeOffset.UtcNow;

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await edge.CheckAsync(used.TokenId, used.Secret));
        }

        JsonElement details = default;
        await Poll.UntilAsync(
            async () =>
            {
                details = await admin.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{used.TokenId}");
                return details.GetProperty("lastUsedAt").ValueKind != JsonValueKind.Null;
            },
            TimeSpan.FromSeconds(30),
            "the gateway's flush reaching the token's usage shard");
        var lastUsedAt = details.GetProperty("lastUsedAt").GetDateTimeOffset();
        Assert.InRange(lastUsedAt, before.AddMinutes(-1), DateTimeOffset.UtcNow);
        Assert.Equal(0, lastUsedAt.Second);
        Assert.Equal("127.0.0.1", details.GetProperty("lastUsedFrom").GetString());

        var list = await admin.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        var items = list.GetProperty("items").EnumerateArray().ToDictionary(t => t.GetProperty("tokenId").GetString()!);
        Assert.Equal(lastUsedAt, items[used.TokenId].GetProperty("lastUsedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, items[unused.TokenId].GetProperty("lastUsedAt").ValueKind);

        var table = await ZpctlFixture.RunAsync(silo.BaseAddress, LocalSystem.AdminKey, "tokens", "list", "--org", org);
        Assert.Equal((0, ""), (table.Exit, table.Err));
        Assert.Contains("LASTUSEDFROM", table.Out, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", table.Out, StringComparison.Ordinal);
        var shown = await ZpctlFixture.RunAsync(silo.BaseAddress, LocalSystem.AdminKey, "tokens", "show", used.TokenId, "--json");
        Assert.Equal("127.0.0.1", JsonDocument.Parse(shown.Out).RootElement.GetProperty("lastUsedFrom").GetString());

        // Both tokens are minutes old: none has gone unused for a day.
        var stale = await ZpctlFixture.RunAsync(silo.BaseAddress, LocalSystem.AdminKey, "tokens", "list", "--org", org, "--unused-for", "1d", "--json");
        Assert.Equal((0, "[]"), (stale.Exit, stale.Out.Trim()));
        Assert.DoesNotContain(used.Secret, gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(used.Secret, silo.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0d")]
    [InlineData("366d")]
    [InlineData("30")]
    [InlineData("1000h")]
    [InlineData("30m")]
    public async Task A_bad_unused_for_is_a_usage_error_before_any_request(string value)
    {
        // Nothing listens on port 1: had zpctl sent a request, it would exit 7 (unreachable), not 2.
        var run = await ZpctlFixture.RunAsync(new Uri("http://127.0.0.1:1"), LocalSystem.AdminKey, "tokens", "list", "--org", "acme", "--unused-for", value);

        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Out);
        Assert.StartsWith("zpctl: --unused-for must be ", run.Err, StringComparison.Ordinal);
    }
}
