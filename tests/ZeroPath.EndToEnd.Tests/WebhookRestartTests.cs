using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

[Collection(FaultTests.Name)]
public class WebhookRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_delivery_owed_when_the_silo_is_killed_is_sent_after_it_restarts_once()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        foreach (var (key, value) in TestSettings.Webhooks)
        {
            system.SiloSettings[key] = value!;
        }

        // Long enough that the retry is still owed when the silo dies.
        system.SiloSettings["ZeroPath:Webhooks:FirstRetryDelay"] = "00:00:20";
        await using var receiver = await WebhookReceiver.StartAsync(500);
        var org = TestSettings.UniqueId("hooks");
        string signingSecret;
        string webhookId;
        await using (var silo = system.StartSilo(0))
        {
            await silo.WaitUntilOkAsync("/readyz");
            using var admin = TokenApi.Admin(silo);
            using var added = await admin.PostAsJsonAsync($"/admin/v1/orgs/{org}/webhooks", new { url = receiver.Url, events = new[] { "token.created" } });
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            var webhook = await added.Content.ReadFromJsonAsync<JsonElement>();
            signingSecret = webhook.GetProperty("signingSecret").GetString()!;
            webhookId = webhook.GetProperty("webhookId").GetString()!;
            await admin.AddMemberAsync(org, "alice", "scans:read");
            await admin.CreateTokenAsync(org, "alice");
            await WaitAsync(() => receiver.Requests.Count == 1, TimeSpan.FromSeconds(30), "the first attempt");

            // kill -9 with the retry owed: only what storage holds survives.
            await silo.KillAsync();
        }

        var restart = System.Diagnostics.Stopwatch.StartNew();
        await using var siloAgain = system.StartSilo(0);
        await siloAgain.WaitUntilOkAsync("/readyz", TimeSpan.FromMinutes(3));
        // Nothing calls the organization: its delivery reminder alone brings the outbox back.
        await WaitAsync(() => receiver.Requests.Count >= 2, TimeSpan.FromMinutes(3), "the retry after the restart");
        output.WriteLine($"retry delivered {restart.Elapsed.TotalSeconds:F1} s after the restart began");
        await Task.Delay(TimeSpan.FromSeconds(2));

        var requests = receiver.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal((500, 200), (requests[0].AnsweredWith, requests[1].AnsweredWith));
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.True(WebhookReceiver.SignatureValid(requests[1].Headers["ZeroPath-Signature"], requests[1].Body, signingSecret));
        using var adminAgain = TokenApi.Admin(siloAgain);
        var page = await adminAgain.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/webhooks/{webhookId}/deliveries");
        var delivery = Assert.Single(page.GetProperty("deliveries").EnumerateArray());
        Assert.Equal(("delivered", 2), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32()));
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
