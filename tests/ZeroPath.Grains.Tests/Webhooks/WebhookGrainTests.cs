using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.Grains.Webhooks;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Webhooks;

/// <summary>Silos with a webhook signing key, fast polling, four attempts at most and a one-minute expiry sweep.</summary>
public sealed class WebhookClusterFixture : ClusterFixture
{
    public static readonly WebhookOptions Options = new()
    {
        SigningKey = TestSettings.Webhooks["ZeroPath:Webhooks:SigningKey"]!,
        PollInterval = TimeSpan.FromMilliseconds(20),
        MaxAttempts = 4,
        Timeout = TimeSpan.FromSeconds(5),
        ExpiringSweepPeriod = TimeSpan.FromMinutes(1),
    };

    public static readonly WebhookSigner Signer = new(Options);

    protected override void Configure(ISiloBuilder silo)
    {
        silo.Services.AddSingleton(Options);
        silo.Services.AddSingleton(Signer);
    }
}

public class WebhookGrainTests(WebhookClusterFixture fixture) : IClassFixture<WebhookClusterFixture>
{
    private static readonly ImmutableArray<string> AllEvents = WebhookRules.EventTypes;

    [Fact]
    public async Task Each_audit_event_is_delivered_once_signed_and_without_a_secret_even_when_handed_over_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var orgId = TestSettings.UniqueId("org");
        var webhooks = fixture.Grains.GetGrain<IWebhookGrain>(orgId);
        var webhook = (await webhooks.Add(receiver.Url, AllEvents))!;
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(orgId);
        await org.SetMember("alice", ["scans:read"]);
        var created = await org.CreateToken(new CreateTokenCommand("alice", "CI", 30));
        var token = created.Token!;
        await org.RevokeToken(token.TokenId, "leaked");

        await Poll.UntilAsync(() => receiver.Requests.Count >= 2, TimeSpan.FromSeconds(15), "two deliveries");

        // The trail hands the same events over again (as after a crash between its write and the hand-over).
        var trail = await fixture.Grains.GetGrain<IAuditLogGrain>(orgId).GetPage(null, 10);
        await webhooks.Enqueue(trail.Events);
        await webhooks.Enqueue(trail.Events);
        await Task.Delay(300);

        var page = (await webhooks.Deliveries(webhook.WebhookId, null, 50))!;
        Assert.Equal(2, page.Deliveries.Length);
        Assert.All(page.Deliveries, d => Assert.Equal(WebhookDeliveryStatus.Delivered, d.Status));
        var requests = receiver.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(["token.created", "token.revoked"], requests.Select(r => Type(r.Body)).Order());
        var secret = WebhookClusterFixture.Signer.Secret(orgId, webhook.WebhookId);
        foreach (var request in requests)
        {
            Assert.Equal("POST", request.Method);
            Assert.True(WebhookReceiver.SignatureValid(request.Headers[WebhookSigner.SignatureHeader], request.Body, secret));
            Assert.False(WebhookReceiver.SignatureValid(request.Headers[WebhookSigner.SignatureHeader], request.Body + " ", secret));
            using var body = JsonDocument.Parse(request.Body);
            Assert.Equal(request.Headers[WebhookSigner.EventIdHeader], body.RootElement.GetProperty("id").GetString());
            var data = body.RootElement.GetProperty("data");
            Assert.Equal(orgId, data.GetProperty("orgId").GetString());
            Assert.Equal(token.TokenId, data.GetProperty("tokenId").GetGuid());
            Assert.Equal("alice", data.GetProperty("userId").GetString());
            Assert.DoesNotContain(token.Secret, request.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, request.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, string.Join("\n", request.Headers.Values), StringComparison.Ordinal);
        }

        var revoked = requests.Single(r => Type(r.Body) == "token.revoked");
        Assert.Equal("leaked", JsonDocument.Parse(revoked.Body).RootElement.GetProperty("data").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Events_recorded_before_the_first_webhook_are_not_delivered_and_unsubscribed_types_are_skipped()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (org, token) = await fixture.IssueAsync();
        var orgId = org.GetPrimaryKeyString();
        var webhooks = fixture.Grains.GetGrain<IWebhookGrain>(orgId);
        var webhook = (await webhooks.Add(receiver.Url, [WebhookRules.TokenDeleted]))!;
        await org.RevokeToken(token.TokenId, "rotated");
        Assert.True(await org.DeleteToken((await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!.TokenId));

        await Poll.UntilAsync(() => !receiver.Requests.IsEmpty, TimeSpan.FromSeconds(15), "the deletion's delivery");
        await Task.Delay(300);

        var only = Assert.Single(receiver.Requests);
        Assert.Equal("token.deleted", Type(only.Body));
        Assert.Single((await webhooks.Deliveries(webhook.WebhookId, null, 50))!.Deliveries);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_doubling_backoff_on_the_clock_and_the_outbox_is_stored()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 503);
        var orgId = TestSettings.UniqueId("org");
        var webhooks = fixture.Grains.GetGrain<IWebhookGrain>(orgId);
        var webhook = (await webhooks.Add(receiver.Url, [WebhookRules.TokenCreated]))!;
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(orgId);
        await org.SetMember("alice", ["scans:read"]);
        await org.CreateToken(new CreateTokenCommand("alice", null, 30));

        var first = await DeliveryAsync(webhooks, webhook, d => d.Attempts == 1);
        Assert.Equal(WebhookDeliveryStatus.FailedRetrying, first.Status);
        Assert.Equal(500, first.LastStatusCode);
        Assert.Equal(first.LastAttemptAt + TimeSpan.FromSeconds(10), first.NextAttemptAt);

        // What storage holds says the same: a restarted silo would pick it up from there.
        var stored = await fixture.ReadStoredAsync<WebhookState>("webhooks", webhooks);
        var storedDelivery = Assert.Single(stored.State!.Deliveries);
        Assert.Equal(WebhookDeliveryStatus.FailedRetrying, storedDelivery.Status);
        Assert.Equal(first.NextAttemptAt, storedDelivery.NextAttemptAt);

        // Not before it is due.
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(9));
        await Task.Delay(200);
        Assert.Single(receiver.Requests);

        await fixture.AdvanceAsync(TimeSpan.FromSeconds(1));
        var second = await DeliveryAsync(webhooks, webhook, d => d.Attempts == 2);
        Assert.Equal(503, second.LastStatusCode);
        Assert.Equal(second.LastAttemptAt + TimeSpan.FromSeconds(20), second.NextAttemptAt);

        await fixture.AdvanceAsync(TimeSpan.FromSeconds(20));
        var third = await DeliveryAsync(webhooks, webhook, d => d.Attempts == 3);
        Assert.Equal(WebhookDeliveryStatus.Delivered, third.Status);
        Assert.Equal(200, third.LastStatusCode);
        Assert.Null(third.NextAttemptAt);
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Single(receiver.Requests.Select(r => r.Headers[WebhookSigner.EventIdHeader]).Distinct());
    }

    [Fact]
    public async Task A_delivery_is_given_up_after_the_last_attempt_and_never_sent_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync([.. Enumerable.Repeat(500, 20)]);
        var orgId = TestSettings.UniqueId("org");
        var webhooks = fixture.Grains.GetGrain<IWebhookGrain>(orgId);
        var webhook = (await webhooks.Add(receiver.Url, [WebhookRules.TokenCreated]))!;
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(orgId);
        await org.SetMember("alice", ["scans:read"]);
        await org.CreateToken(new CreateTokenCommand("alice", null, 30));

        for (var attempt = 1; attempt < WebhookClusterFixture.Options.MaxAttempts; attempt++)
        {
            var delivery = await DeliveryAsync(webhooks, webhook, d => d.Attempts == attempt);
            Assert.Equal(WebhookDeliveryStatus.FailedRetrying, delivery.Status);
            await fixture.AdvanceAsync(delivery.NextAttemptAt!.Value - delivery.LastAttemptAt!.Value);
        }

        var last = await DeliveryAsync(webhooks, webhook, d => d.Attempts == WebhookClusterFixture.Options.MaxAttempts);
        Assert.Equal(WebhookDeliveryStatus.GivenUp, last.Status);
        Assert.Null(last.NextAttemptAt);

        await fixture.AdvanceAsync(TimeSpan.FromHours(7));
        await Task.Delay(300);
        Assert.Equal(WebhookClusterFixture.Options.MaxAttempts, receiver.Requests.Count);
    }

    [Fact]
    public async Task A_removed_webhook_gets_nothing_more_and_its_deliveries_are_gone()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var orgId = TestSettings.UniqueId("org");
        var webhooks = fixture.Grains.GetGrain<IWebhookGrain>(orgId);
        var webhook = (await webhooks.Add(receiver.Url, AllEvents))!;
        Assert.True(await webhooks.Remove(webhook.WebhookId));
        Assert.False(await webhooks.Remove(webhook.WebhookId));
        Assert.Null(await webhooks.Deliveries(webhook.WebhookId, null, 10));
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(orgId);
        await org.SetMember("alice", ["scans:read"]);
        await org.CreateToken(new CreateTokenCommand("alice", null, 30));
        await Task.Delay(300);

        Assert.Empty(receiver.Requests);
        Assert.Empty(await webhooks.List());
    }

    [Fact]
    public async Task An_organization_has_at_most_ten_webhooks()
    {
        var webhooks = fixture.Grains.GetGrain<IWebhookGrain>(TestSettings.UniqueId("org"));
        for (var i = 0; i < WebhookRules.MaxWebhooks; i++)
        {
            Assert.NotNull(await webhooks.Add($"http://127.0.0.1:9/{i}", [WebhookRules.TokenDeleted]));
        }

        Assert.Null(await webhooks.Add("http://127.0.0.1:9/x", [WebhookRules.TokenDeleted]));
        Assert.Equal(WebhookRules.MaxWebhooks, (await webhooks.List()).Length);
    }

    [Fact]
    public async Task A_token_is_warned_once_seven_days_and_once_one_day_before_it_expires()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (org, token) = await fixture.IssueAsync(days: 9, name: "deploy");
        var orgId = org.GetPrimaryKeyString();
        var webhooks = fixture.Grains.GetGrain<IWebhookGrain>(orgId);
        await webhooks.Add(receiver.Url, [WebhookRules.TokenExpiring]);

        // Nine days left: nothing yet, however often the sweep runs.
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(5));
        await Task.Delay(300);
        Assert.Empty(receiver.Requests);

        await fixture.AdvanceAsync(TimeSpan.FromDays(2) + TimeSpan.FromHours(1));
        await fixture.EventuallyAsync(() => Task.FromResult(!receiver.Requests.IsEmpty), "the 7-day warning");
        await fixture.AdvanceAsync(TimeSpan.FromHours(3));
        await Task.Delay(300);
        var week = Assert.Single(receiver.Requests);

        await fixture.AdvanceAsync(TimeSpan.FromDays(5) + TimeSpan.FromHours(20));
        await fixture.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count >= 2), "the 1-day warning");
        await fixture.AdvanceAsync(TimeSpan.FromHours(2));
        await Task.Delay(300);

        Assert.Equal(2, receiver.Requests.Count);
        var day = receiver.Requests.Last();
        foreach (var (request, window) in new[] { (week, "7d"), (day, "1d") })
        {
            using var body = JsonDocument.Parse(request.Body);
            Assert.Equal("token.expiring", body.RootElement.GetProperty("type").GetString());
            Assert.Equal($"{orgId}/token.expiring/{token.TokenId:D}/{window}", body.RootElement.GetProperty("id").GetString());
            var data = body.RootElement.GetProperty("data");
            Assert.Equal(token.ExpiresAt, data.GetProperty("expiresAt").GetDateTimeOffset());
            Assert.Equal("deploy", data.GetProperty("name").GetString());
            Assert.DoesNotContain(token.Secret, request.Body, StringComparison.Ordinal);
        }
    }

    private static string Type(string body) => JsonDocument.Parse(body).RootElement.GetProperty("type").GetString()!;

    private static async Task<WebhookDeliveryInfo> DeliveryAsync(IWebhookGrain webhooks, WebhookInfo webhook, Func<WebhookDeliveryInfo, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var page = await webhooks.Deliveries(webhook.WebhookId, null, 10);
            if (page!.Deliveries.Length == 1 && condition(page.Deliveries[0]))
            {
                return page.Deliveries[0];
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the delivery");
            await Task.Delay(20);
        }
    }
}
