using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroPath.Silo.Tests.Apis;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.SecretScanning;

/// <summary>A silo with one secret-scanning partner ("github", one key), webhooks on, and every log line kept.</summary>
public sealed class ScanningSilo : IAsyncLifetime
{
    public ScanningSilo()
    {
        Factory = new SiloFactory
        {
            Overrides = new Dictionary<string, string?>(TestSettings.Webhooks)
            {
                ["ZeroPath:Webhooks:PollInterval"] = "00:00:00.100",
                [$"ZeroPath:SecretScanning:Partners:github:Keys:{Partner.KeyId}"] = Partner.PublicKeyPem,
            },
            TestServices = services => services.AddSingleton<ILoggerProvider>(Logs),
        };
    }

    public ScanningPartner Partner { get; } = new();

    public SiloLogCapture Logs { get; } = new();

    public SiloFactory Factory { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Partner.Dispose();
    }
}

/// <summary><c>POST /secret-scanning/v1/revoke</c> on the real silo host: signed reports, what they revoke, and what they never do.</summary>
public class SecretScanningApiTests(ScanningSilo silo) : IClassFixture<ScanningSilo>
{
    private const string LeakUrl = "https://github.com/octocat/hello-world/blob/0123456789abcdef/deploy/.env";

    private static string Report(params string[] secrets) => JsonSerializer.Serialize(
        secrets.Select(s => new { token = s, type = "zeropath_token", url = LeakUrl, source = "content" }));

    private static string Sha256Hex(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private async Task<(HttpClient Admin, string Org, Guid TokenId, string Secret)> LiveTokenAsync()
    {
        var admin = silo.Factory.CreateAdminClient();
        var org = AdminClient.NewOrg();
        (await admin.PutMemberAsync(org, "alice", "scans:read")).EnsureSuccessStatusCode();
        var token = await admin.CreateTokenAsync(org, new { userId = "alice", name = "CI" });
        return (admin, org, token.GetProperty("tokenId").GetGuid(), token.GetProperty("tokenSecret").GetString()!);
    }

    private async Task<bool> ValidatesAsync(Guid tokenId, string secret) =>
        (await silo.Factory.Grains.GetGrain<ITokenGrain>(tokenId).Validate(secret)).IsValid;

    private async Task<(HttpResponseMessage Response, string Text)> SendAsync(HttpRequestMessage request)
    {
        using var client = silo.Factory.CreateClient();
        var response = await client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_signed_report_of_a_live_token_revokes_it_records_the_partner_and_where_and_answers_with_its_hash()
    {
        var (admin, org, tokenId, secret) = await LiveTokenAsync();
        var (_, _, otherId, otherSecret) = await LiveTokenAsync();

        var (response, text) = await SendAsync(silo.Partner.Report(Report(secret)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = Assert.Single(JsonDocument.Parse(text).RootElement.EnumerateArray());
        Assert.Equal(["token_hash", "token_type", "label"], answer.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Sha256Hex(secret), answer.GetProperty("token_hash").GetString());
        Assert.Equal("zeropath_token", answer.GetProperty("token_type").GetString());
        Assert.Equal("true_positive", answer.GetProperty("label").GetString());
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);

        Assert.False(await ValidatesAsync(tokenId, secret));
        Assert.True(await ValidatesAsync(otherId, otherSecret));
        var details = await admin.GetFromJsonAsync<JsonElement>($"/admin/v1/tokens/{tokenId}");
        Assert.Equal("revoked", details.GetProperty("status").GetString());
        var reason = details.GetProperty("reason").GetString()!;
        Assert.Contains("secret-scanning partner 'github'", reason, StringComparison.Ordinal);
        Assert.Contains(LeakUrl, reason, StringComparison.Ordinal);

        var audit = await admin.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/audit");
        var revoked = Assert.Single(audit.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "token.revoked");
        Assert.Equal("secret-scanning:github", revoked.GetProperty("actor").GetString());
        Assert.Equal(tokenId, revoked.GetProperty("tokenId").GetGuid());
        Assert.Equal(reason, revoked.GetProperty("reason").GetString());

        // Reported again (a partner retrying, or the secret found elsewhere): the token has ended, so it is not a live one.
        var (again, againText) = await SendAsync(silo.Partner.Report(Report(secret)));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("false_positive", Assert.Single(JsonDocument.Parse(againText).RootElement.EnumerateArray()).GetProperty("label").GetString());

        Assert.Contains(silo.Logs.Lines, l => l.Contains(tokenId.ToString(), StringComparison.Ordinal) && l.Contains("github", StringComparison.Ordinal));
        Assert.DoesNotContain(silo.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Secrets_that_are_no_live_tokens_are_false_positives_and_nothing_is_revoked()
    {
        var (_, _, tokenId, secret) = await LiveTokenAsync();
        var neverIssued = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        var otherKey = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["t1"] = RandomNumberGenerator.GetBytes(32) }, "t1", acceptLegacySecrets: true)
            .NewSecret(tokenId);
        var badChecksum = secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A');
        string[] reported = [neverIssued, otherKey, badChecksum, TestSettings.LegacySecret(), "zp_not-a-secret", new string('x', 2000)];

        var (response, text) = await SendAsync(silo.Partner.Report(Report(reported)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answers = JsonDocument.Parse(text).RootElement.EnumerateArray().ToArray();
        Assert.Equal(reported.Select(Sha256Hex), answers.Select(a => a.GetProperty("token_hash").GetString()));
        Assert.All(answers, a => Assert.Equal("false_positive", a.GetProperty("label").GetString()));
        Assert.True(await ValidatesAsync(tokenId, secret));
        Assert.All(reported, s => Assert.DoesNotContain(s, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fingerprint_pointing_at_another_token_revokes_nothing_the_tag_is_checked()
    {
        var (_, _, victimId, victimSecret) = await LiveTokenAsync();
        // A record that (as by a fingerprint collision, or tampered storage) sends some other secret to the victim.
        var other = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        await silo.Factory.Grains.GetGrain<ISecretFingerprintGrain>(TestSettings.FormatKeys.Fingerprint(other)!).Record(victimId);

        var (response, text) = await SendAsync(silo.Partner.Report(Report(other)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("false_positive", Assert.Single(JsonDocument.Parse(text).RootElement.EnumerateArray()).GetProperty("label").GetString());
        Assert.True(await ValidatesAsync(victimId, victimSecret));
    }

    [Fact]
    public async Task One_report_revokes_several_tokens_and_answers_each_entry_in_order_duplicates_included()
    {
        var first = await LiveTokenAsync();
        var second = await LiveTokenAsync();
        var unknown = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        var (response, text) = await SendAsync(silo.Partner.Report(Report(first.Secret, unknown, second.Secret, first.Secret)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var labels = JsonDocument.Parse(text).RootElement.EnumerateArray().Select(a => a.GetProperty("label").GetString()!).ToArray();
        Assert.Equal(["true_positive", "false_positive", "true_positive", "true_positive"], labels);
        Assert.False(await ValidatesAsync(first.TokenId, first.Secret));
        Assert.False(await ValidatesAsync(second.TokenId, second.Secret));
    }

    [Fact]
    public async Task A_wrong_signature_or_an_unknown_key_is_401_and_revokes_nothing()
    {
        var (_, _, tokenId, secret) = await LiveTokenAsync();
        var body = Report(secret);
        using var stranger = new ScanningPartner();

        var cases = new (HttpRequestMessage Request, string Code)[]
        {
            (silo.Partner.Report(body, signature: stranger.Sign(body)), "invalid_signature"),
            (silo.Partner.Report(body, signature: silo.Partner.Sign(body + " ")), "invalid_signature"),
            (silo.Partner.Report(body, signature: "not base64!"), "invalid_signature"),
            (silo.Partner.Report(body, signature: Convert.ToBase64String(new byte[512])), "invalid_signature"),
            (stranger.Report(body), "unknown_signing_key"),
            (new HttpRequestMessage(HttpMethod.Post, "/secret-scanning/v1/revoke") { Content = new StringContent(body, Encoding.UTF8, "application/json") }, "unknown_signing_key"),
        };
        foreach (var (request, code) in cases)
        {
            var (response, text) = await SendAsync(request);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, code);
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        Assert.True(await ValidatesAsync(tokenId, secret));
        Assert.DoesNotContain(silo.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bodies_too_large_not_json_or_not_a_report_are_refused_with_stable_codes()
    {
        var (_, _, tokenId, secret) = await LiveTokenAsync();
        var huge = Report([.. Enumerable.Repeat(secret, 1_000)]);
        Assert.True(Encoding.UTF8.GetByteCount(huge) > 64 * 1024);
        var tooMany = JsonSerializer.Serialize(Enumerable.Range(0, 501).Select(i => new { token = $"zp_{i}" }));
        Assert.True(Encoding.UTF8.GetByteCount(tooMany) < 64 * 1024);

        var cases = new (string Body, HttpStatusCode Status, string Code)[]
        {
            (huge, HttpStatusCode.RequestEntityTooLarge, "body_too_large"),
            ($"[{{\"token\": \"{secret}\", ", HttpStatusCode.BadRequest, "invalid_json"),
            ($"{{\"token\": \"{secret}\"}}", HttpStatusCode.BadRequest, "invalid_json"),
            ($"[{{\"token\": \"{secret}\", \"token\": \"{secret}\"}}]", HttpStatusCode.BadRequest, "invalid_json"),
            ("[{\"type\": \"zeropath_token\"}]", HttpStatusCode.BadRequest, "invalid_report"),
            ("[null]", HttpStatusCode.BadRequest, "invalid_report"),
            ("null", HttpStatusCode.BadRequest, "invalid_report"),
            (tooMany, HttpStatusCode.BadRequest, "too_many_secrets"),
        };
        foreach (var (body, status, code) in cases)
        {
            var (response, text) = await SendAsync(silo.Partner.Report(body));
            await ProblemAssert.IsProblemAsync(response, status, code);
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        Assert.True(await ValidatesAsync(tokenId, secret));
        Assert.DoesNotContain(silo.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Another_method_or_path_under_the_prefix_is_a_problem_too()
    {
        await ProblemAssert.IsProblemAsync(
            (await SendAsync(new HttpRequestMessage(HttpMethod.Get, "/secret-scanning/v1/revoke"))).Response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        await ProblemAssert.IsProblemAsync(
            (await SendAsync(new HttpRequestMessage(HttpMethod.Post, "/secret-scanning/v2/revoke") { Content = new StringContent("[]", Encoding.UTF8, "application/json") })).Response,
            HttpStatusCode.NotFound,
            "not_found");
    }

    [Fact]
    public async Task An_empty_report_is_answered_with_an_empty_array()
    {
        var (response, text) = await SendAsync(silo.Partner.Report("[]"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", text);
    }

    [Fact]
    public async Task The_organizations_webhook_is_told_who_reported_the_leak_and_where_never_the_secret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (admin, org, tokenId, secret) = await LiveTokenAsync();
        using var added = await admin.PostAsJsonAsync($"/admin/v1/orgs/{org}/webhooks", new { url = receiver.Url, events = new[] { "token.revoked" } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var signingSecret = (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("signingSecret").GetString()!;

        var (response, _) = await SendAsync(silo.Partner.Report(Report(secret)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Poll.UntilAsync(() => !receiver.Requests.IsEmpty, TimeSpan.FromSeconds(30), "the webhook delivery");
        var delivery = Assert.Single(receiver.Requests);
        Assert.True(WebhookReceiver.SignatureValid(delivery.Headers["ZeroPath-Signature"], delivery.Body, signingSecret));
        var sent = JsonDocument.Parse(delivery.Body).RootElement;
        Assert.Equal("token.revoked", sent.GetProperty("type").GetString());
        var data = sent.GetProperty("data");
        Assert.Equal(tokenId, data.GetProperty("tokenId").GetGuid());
        Assert.Equal("github", data.GetProperty("reportedBy").GetString());
        Assert.Contains(LeakUrl, data.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, delivery.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(Sha256Hex(secret), delivery.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, string.Join("\n", delivery.Headers.Select(h => h.Key + ": " + h.Value)), StringComparison.Ordinal);
    }
}

/// <summary>Without a configured partner the route does not exist.</summary>
public class SecretScanningNotConfiguredTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    [Fact]
    public async Task Without_a_partner_the_route_is_not_served()
    {
        using var partner = new ScanningPartner();
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(partner.Report("[]"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
