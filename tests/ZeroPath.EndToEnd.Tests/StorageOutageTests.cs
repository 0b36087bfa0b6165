using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

[Collection(FaultTests.Name)]
public class StorageOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Active_tokens_keep_validating_creation_fails_with_503_and_nothing_is_half_created()
    {
        var azurite = await TestServers.StartAzuriteAsync();
        await using var _ = azurite;
        var system = new LocalSystem(await TestServers.RedisAsync(), TestSettings.AzureTableStorage(TestServers.StorageConnection(azurite))).WithCheapArgon2();
        await using var silo = system.StartSilo();
        await silo.WaitUntilOkAsync("/readyz");
        await using var gateway = system.StartGateway();
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin = TokenApi.Admin(silo);
        using var api = new HttpClient { BaseAddress = gateway.BaseAddress };
        const string org = "outage";
        await admin.AddMemberAsync(org, "alice", "scans:read");
        var active = await admin.CreateTokenAsync(org, "alice");
        Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(active.TokenId, active.Secret));

        await azurite.InterruptAsync();

        var validations = 0;
        var outage = Stopwatch.StartNew();
        while (outage.Elapsed < TimeSpan.FromSeconds(5))
        {
            Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(active.TokenId, active.Secret));
            validations++;
        }

        var create = Stopwatch.StartNew();
        using var failed = await admin.PostAsJsonAsync($"/admin/v1/orgs/{org}/tokens", new { userId = "alice" });
        create.Stop();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        var problem = await failed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("storage_unavailable", problem.GetProperty("code").GetString());
        Assert.NotNull(failed.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(active.TokenId, active.Secret));

        // Storage comes back, same data, same port.
        var back = await TestServers.StartAzuriteAsync(azurite.Port, azurite.DataDirectory);
        await using var __ = back;

        Assert.Equal([active.TokenId], await admin.ListTokenIdsAsync(org));
        var after = await admin.CreateTokenAsync(org, "alice");
        Assert.Equal(HttpStatusCode.OK, await api.CheckAsync(after.TokenId, after.Secret));
        Assert.Equal(new[] { active.TokenId, after.TokenId }.Order(), (await admin.ListTokenIdsAsync(org)).Order());
        output.WriteLine(
            $"storage down: {validations} validations of an active token in 5 s, all 200; token creation answered 503 storage_unavailable " +
            $"after {create.Elapsed.TotalSeconds:F1} s; after storage returned the org listed only the token created before the outage, " +
            "and a new creation succeeded");
    }
}
