using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>A partner's report to a real silo process revokes a token a real gateway process was accepting.</summary>
public class SecretScanningEndToEndTests
{
    [Fact]
    public async Task A_signed_report_to_the_silo_ends_a_token_at_the_gateway_before_the_answer()
    {
        using var partner = new ScanningPartner();
        var system = await LocalSystem.CreateAsync();
        system.SiloSettings[$"ZeroPath:SecretScanning:Partners:github:Keys:{partner.KeyId}"] = partner.PublicKeyPem;
        await using var silo = system.StartSilo();
        await using var upstream = system.StartUpstream();
        await silo.WaitUntilOkAsync("/readyz");
        await using var gateway = system.StartGateway();
        await upstream.WaitUntilOkAsync("/anything");
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin = TokenApi.Admin(silo);
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress };
        var org = TestSettings.UniqueId("org");
        await admin.AddMemberAsync(org, "alice", "scans:read");
        var token = await admin.CreateTokenAsync(org, "alice");
        Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(token.TokenId, token.Secret));

        var report = JsonSerializer.Serialize(new[] { new { token = token.Secret, type = "zeropath_token", url = "https://gist.github.com/octocat/1", source = "gist" } });
        using var scanning = new HttpClient { BaseAddress = silo.BaseAddress };
        using var answer = await scanning.SendAsync(partner.Report(report));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var labels = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("true_positive", Assert.Single(labels.EnumerateArray()).GetProperty("label").GetString());
        // Revoked before the answer: the gateway, told by the push it acknowledged, refuses it at once.
        Assert.Equal(HttpStatusCode.Unauthorized, await api.CheckAsync(token.TokenId, token.Secret));
        Assert.Contains(("token.revoked", (string?)token.TokenId), await admin.AuditEventsAsync(org));

        Assert.Contains($"token {token.TokenId} of organization {org} revoked, reported leaked by partner github", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, gateway.Output, StringComparison.Ordinal);
    }
}
