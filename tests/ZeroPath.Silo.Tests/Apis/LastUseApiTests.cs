using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.Apis;

/// <summary>Last use in the admin API: the list and detail fields, the unusedFor filter, its paging and its 400s.</summary>
public class LastUseApiTests(LastUseApiTests.ClockedSilo factory) : IClassFixture<LastUseApiTests.ClockedSilo>
{
    /// <summary>A silo whose grains run on a fake clock, so a test can let a month pass.</summary>
    public sealed class ClockedSilo : SiloFactoryWith
    {
        public ClockedSilo()
            : this(new FakeTimeProvider(DateTimeOffset.UtcNow))
        {
        }

        private ClockedSilo(FakeTimeProvider clock)
            : base(new SiloFactory
            {
                TestServices = services =>
                {
                    services.AddSingleton<TimeProvider>(clock);
                    services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
                },
            }) => Clock = clock;

        public FakeTimeProvider Clock { get; }
    }

    private async Task UseAsync(string org, JsonElement created, string from)
    {
        var tokenId = created.GetProperty("tokenId").GetGuid();
        var sequence = (await factory.Silo.Grains.GetGrain<ITokenGrain>(tokenId).Describe())!.IndexSequence;
        await factory.Silo.Grains.GetGrain<ITokenUsageShardGrain>(TokenUsageLayout.ShardKey(org, sequence))
            .Record([new TokenUse(sequence, tokenId, new TokenLastUse(factory.Clock.GetUtcNow(), from))]);
    }

    private static List<Guid> Ids(JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("tokenId").GetGuid())];

    [Fact]
    public async Task Lists_and_details_show_the_last_use_and_unusedFor_lists_only_stale_tokens_page_by_page()
    {
        using var client = factory.Silo.CreateAdminClient();
        var org = AdminClient.NewOrg();
        (await client.PutMemberAsync(org, "alice", "scans:read")).EnsureSuccessStatusCode();
        var usedLongAgo = await client.CreateTokenAsync(org, new { userId = "alice", expiresInDays = 365 });
        var usedLately = await client.CreateTokenAsync(org, new { userId = "alice", expiresInDays = 365 });
        var neverUsed = await client.CreateTokenAsync(org, new { userId = "alice", expiresInDays = 365 });
        await UseAsync(org, usedLongAgo, "192.0.2.10");
        var longAgo = TokenUsageLayout.Minute(factory.Clock.GetUtcNow());

        factory.Clock.Advance(TimeSpan.FromDays(31));
        await UseAsync(org, usedLately, "2001:db8::10");
        var lately = TokenUsageLayout.Minute(factory.Clock.GetUtcNow());

        var all = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens");
        var items = all.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(
            ["tokenId", "name", "userId", "createdAt", "expiresAt", "restrictions", "lastUsedAt", "lastUsedFrom"],
            items[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("lastUsedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("lastUsedFrom").ValueKind);
        Assert.Equal((lately, "2001:db8::10"), (items[1].GetProperty("lastUsedAt").GetDateTimeOffset(), items[1].GetProperty("lastUsedFrom").GetString()));
        Assert.Equal((longAgo, "192.0.2.10"), (items[2].GetProperty("lastUsedAt").GetDateTimeOffset(), items[2].GetProperty("lastUsedFrom").GetString()));

        var details = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{usedLately.GetProperty("tokenId").GetGuid()}");
        Assert.Equal((lately, "2001:db8::10"), (details.GetProperty("lastUsedAt").GetDateTimeOffset(), details.GetProperty("lastUsedFrom").GetString()));
        var never = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{neverUsed.GetProperty("tokenId").GetGuid()}");
        Assert.Equal(JsonValueKind.Null, never.GetProperty("lastUsedAt").ValueKind);

        var stale = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?unusedFor=30d");
        Assert.Equal([neverUsed.GetProperty("tokenId").GetGuid(), usedLongAgo.GetProperty("tokenId").GetGuid()], Ids(stale));
        Assert.Empty(Ids(await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?unusedFor=32d")));
        Assert.Equal(2, Ids(await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?unusedFor=743h")).Count);

        var first = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?unusedFor=30d&limit=1");
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?unusedFor=30d&limit=1&cursor={cursor}");
        Assert.Equal(Ids(stale), Ids(first).Concat(Ids(second)));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
    }

    [Theory]
    [InlineData("unusedFor=30d", null)]
    [InlineData("unusedFor=1d", null)]
    [InlineData("unusedFor=365d", null)]
    [InlineData("unusedFor=999h", null)]
    [InlineData("unusedFor=0d", "invalid_unused_for")]
    [InlineData("unusedFor=366d", "invalid_unused_for")]
    [InlineData("unusedFor=1000h", "invalid_unused_for")]
    [InlineData("unusedFor=030d", "invalid_unused_for")]
    [InlineData("unusedFor=30", "invalid_unused_for")]
    [InlineData("unusedFor=30m", "invalid_unused_for")]
    [InlineData("unusedFor=-3d", "invalid_unused_for")]
    [InlineData("unusedFor=", "invalid_unused_for")]
    [InlineData("unusedFor=30d&unusedFor=30d", "invalid_unused_for")]
    [InlineData("unusedFor=%D9%A3d", "invalid_unused_for")]
    public async Task UnusedFor_outside_its_rules_is_400_with_a_code(string query, string? code)
    {
        using var client = factory.Silo.CreateAdminClient();

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
    public void Every_value_the_handler_accepts_has_the_shape_the_openapi_document_states()
    {
        var accepted = Enumerable.Range(0, 1100).SelectMany(n => new[] { $"{n}d", $"{n}h", $"0{n}d" })
            .Where(v => ZeroPath.Silo.Apis.TokensApi.TryParseUnusedFor(v, out _)).ToList();

        Assert.Equal(365 + 999, accepted.Count);
        Assert.All(accepted, v => Assert.Matches(ZeroPath.Silo.Apis.TokensApi.UnusedForPattern, v));
        Assert.DoesNotMatch(ZeroPath.Silo.Apis.TokensApi.UnusedForPattern, "٣d");
    }
}
