using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroPath.Grains.Webhooks;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

/// <summary>A silo with a webhook signing key and a one-second first retry, so a retry is seen within a test.</summary>
public sealed class WebhookSilo : IAsyncLifetime
{
    public SiloFactory Factory { get; } = new()
    {
        Overrides = new Dictionary<string, string?>(TestSettings.Webhooks)
        {
            ["ZeroPath:Webhooks:FirstRetryDelay"] = "00:00:01",
            ["ZeroPath:Webhooks:PollInterval"] = "00:00:00.100",
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>The webhook routes end to end: the admin API, the silo's outbox and a real Kestrel receiver on loopback.</summary>
public class WebhooksApiTests(WebhookSilo silo) : IClassFixture<WebhookSilo>
{
    [Fact]
    public async Task A_registered_webhook_receives_signed_events_retried_after_a_500_and_never_a_secret()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500);
        using var client = silo.Factory.CreateAdminClient();
        var org = AdminClient.NewOrg();

        using var added = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/webhooks", new { url = receiver.Url, events = new[] { "token.revoked", "token.created" } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal("no-store", added.Headers.CacheControl?.ToString());
        var webhook = await added.Content.ReadFromJsonAsync<JsonElement>();
        var webhookId = webhook.GetProperty("webhookId").GetGuid();
        var signingSecret = webhook.GetProperty("signingSecret").GetString()!;
        Assert.StartsWith(WebhookSigner.SecretPrefix, signingSecret, StringComparison.Ordinal);
        Assert.Equal($"/admin/v1/orgs/{org}/webhooks/{webhookId:D}", added.Headers.Location?.OriginalString);
        Assert.Equal(["token.created", "token.revoked"], webhook.GetProperty("events").EnumerateArray().Select(e => e.GetString()));

        (await client.PutMemberAsync(org, "alice", "scans:read")).EnsureSuccessStatusCode();
        var token = await client.CreateTokenAsync(org, new { userId = "alice", name = "CI" });
        var tokenId = token.GetProperty("tokenId").GetGuid();
        var tokenSecret = token.GetProperty("tokenSecret").GetString()!;
        (await client.PostAsJsonAsync($"/admin/v1/tokens/{tokenId}/revoke", new { reason = "rotated" })).EnsureSuccessStatusCode();

        // Three requests: the creation (answered 500), its retry, and the revocation.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (receiver.Requests.Count(r => r.AnsweredWith == 200) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the deliveries");
            await Task.Delay(50);
        }

        var requests = receiver.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.Equal(500, requests[0].AnsweredWith);
        Assert.Equal("token.created", Json(requests[0].Body).GetProperty("type").GetString());
        // The retry sends the same bytes (only the signature's time may differ); the revocation went once.
        Assert.Equal(requests[0].Body, Assert.Single(requests[1..], r => r.Body == requests[0].Body).Body);
        Assert.Equal("token.revoked", Json(Assert.Single(requests, r => r.Body != requests[0].Body).Body).GetProperty("type").GetString());
        var list = await client.GetStringAsync($"/admin/v1/orgs/{org}/webhooks");
        foreach (var request in requests)
        {
            Assert.True(WebhookReceiver.SignatureValid(request.Headers["ZeroPath-Signature"], request.Body, signingSecret));
            Assert.Equal(Json(request.Body).GetProperty("id").GetString(), request.Headers["ZeroPath-Event-Id"]);
            Assert.Equal(tokenId, Json(request.Body).GetProperty("data").GetProperty("tokenId").GetGuid());
            foreach (var secret in new[] { tokenSecret, signingSecret, SiloFactory.AdminKey })
            {
                Assert.DoesNotContain(secret, request.Body, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, string.Join("\n", request.Headers.Select(h => h.Key + ": " + h.Value)), StringComparison.Ordinal);
            }
        }

        Assert.DoesNotContain(signingSecret, list, StringComparison.Ordinal);
        Assert.Contains(receiver.Url, list, StringComparison.Ordinal);

        var page = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/webhooks/{webhookId}/deliveries?limit=1");
        var newest = Assert.Single(page.GetProperty("deliveries").EnumerateArray());
        Assert.Equal("token.revoked", newest.GetProperty("eventType").GetString());
        Assert.Equal("delivered", newest.GetProperty("status").GetString());
        var older = await client.GetFromJsonAsync<JsonElement>(
            $"/admin/v1/orgs/{org}/webhooks/{webhookId}/deliveries?limit=1&cursor={page.GetProperty("nextCursor").GetInt64()}");
        var created = Assert.Single(older.GetProperty("deliveries").EnumerateArray());
        Assert.Equal("token.created", created.GetProperty("eventType").GetString());
        Assert.Equal(2, created.GetProperty("attempts").GetInt32());
        Assert.Equal(200, created.GetProperty("lastStatusCode").GetInt32());
        Assert.Equal(JsonValueKind.Null, older.GetProperty("nextCursor").ValueKind);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/admin/v1/orgs/{org}/webhooks/{webhookId}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/admin/v1/orgs/{org}/webhooks/{webhookId}"), HttpStatusCode.NotFound, "webhook_not_found");
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/admin/v1/orgs/{org}/webhooks/{webhookId}/deliveries"), HttpStatusCode.NotFound, "webhook_not_found");
    }

    [Fact]
    public async Task An_eleventh_webhook_is_409()
    {
        using var client = silo.Factory.CreateAdminClient();
        var org = AdminClient.NewOrg();
        for (var i = 0; i < 10; i++)
        {
            (await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/webhooks", new { url = $"http://127.0.0.1:9/{i}", events = new[] { "token.deleted" } })).EnsureSuccessStatusCode();
        }

        await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/webhooks", new { url = "http://127.0.0.1:9/x", events = new[] { "token.deleted" } }),
            HttpStatusCode.Conflict,
            "too_many_webhooks");
    }

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement.Clone();
}

/// <summary>Input checks, on a silo without a signing key (so a valid registration is 503).</summary>
public class WebhooksApiValidationTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    [Theory]
    [InlineData("{\"url\":\"ftp://example.com/h\",\"events\":[\"token.created\"]}", "invalid_webhook_url")]
    [InlineData("{\"url\":\"https://user:pw@example.com/h\",\"events\":[\"token.created\"]}", "invalid_webhook_url")]
    [InlineData("{\"url\":\"/relative\",\"events\":[\"token.created\"]}", "invalid_webhook_url")]
    [InlineData("{\"events\":[\"token.created\"]}", "invalid_webhook_url")]
    [InlineData("{\"url\":\"https://example.com/h\",\"events\":[]}", "invalid_webhook_events")]
    [InlineData("{\"url\":\"https://example.com/h\",\"events\":[\"token.stolen\"]}", "invalid_webhook_events")]
    [InlineData("{\"url\":\"https://example.com/h\"}", "invalid_webhook_events")]
    [InlineData("{\"url\":\"https://example.com/h\",\"events\":[null]}", "invalid_webhook_events")]
    public async Task A_bad_registration_is_400_with_its_code(string json, string code)
    {
        using var client = factory.CreateAdminClient();

        await ProblemAssert.IsProblemAsync(await client.PostRawAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/webhooks", json), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Without_a_signing_key_registration_is_503()
    {
        using var client = factory.CreateAdminClient();

        await ProblemAssert.IsProblemAsync(
            await client.PostRawAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/webhooks", "{\"url\":\"https://example.com/h\",\"events\":[\"token.created\"]}"),
            HttpStatusCode.ServiceUnavailable,
            "webhooks_not_configured");
    }

    [Theory]
    [InlineData("DELETE", "/webhooks/not-a-uuid", "invalid_webhook_id")]
    [InlineData("GET", "/webhooks/not-a-uuid/deliveries", "invalid_webhook_id")]
    [InlineData("GET", "/webhooks/3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d/deliveries?limit=0", "invalid_limit")]
    [InlineData("GET", "/webhooks/3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d/deliveries?cursor=x", "invalid_cursor")]
    public async Task Bad_ids_and_paging_are_400(string method, string path, string code)
    {
        using var client = factory.CreateAdminClient();

        await ProblemAssert.IsProblemAsync(
            await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/admin/v1/orgs/{AdminClient.NewOrg()}{path}")), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task An_unknown_webhook_is_404_and_an_organization_without_webhooks_lists_none()
    {
        using var client = factory.CreateAdminClient();
        var org = AdminClient.NewOrg();

        await ProblemAssert.IsProblemAsync(
            await client.DeleteAsync($"/admin/v1/orgs/{org}/webhooks/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "webhook_not_found");
        var list = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/webhooks");
        Assert.Empty(list.GetProperty("webhooks").EnumerateArray());
    }
}
