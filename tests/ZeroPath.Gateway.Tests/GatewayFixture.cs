using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests;

/// <summary>A real silo over TCP, two real upstreams (v1, v2) and the gateway in front of them.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public TestSilo Silo { get; private set; } = null!;
    public EchoUpstream V1 { get; private set; } = null!;
    public EchoUpstream V2 { get; private set; } = null!;
    public GatewayFactory Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync();
        V1 = await EchoUpstream.StartAsync("v1");
        V2 = await EchoUpstream.StartAsync("v2");
        Gateway = GatewayFactory.For(Silo, V1.Address, V2.Address);
        // Host start completes once the cluster client has connected, so the gateway is ready when this returns.
        using var client = Gateway.CreateClient();
        (await client.GetAsync("/readyz")).EnsureSuccessStatusCode();
        // Subscribed to pushed events, so the cache hears of every change made from here on.
        await Gateway.Services.GetRequiredService<Events.TokenEventFeed>().Subscribed.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await V1.DisposeAsync();
        await V2.DisposeAsync();
        await Silo.DisposeAsync();
    }

    public async Task<(string Org, IssuedToken Token)> IssueAsync(string[]? permissions = null, int days = 30)
    {
        var org = Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", [.. permissions ?? ["scans:read", "vulns:write"]]);
        var result = await org.CreateToken(new CreateTokenCommand("alice", "gateway-test", days));
        return (org.GetPrimaryKeyString(), result.Token!);
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, Guid? tokenId, string? secret)
    {
        var request = new HttpRequestMessage(method, path);
        if (tokenId is not null)
        {
            request.Headers.TryAddWithoutValidation("X-ZeroPath-API-Token-Id", tokenId.Value.ToString());
        }

        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation("X-ZeroPath-API-Token-Secret", secret);
        }

        return request;
    }

    public static async Task<EchoResponse> EchoAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<EchoResponse>())!;
}
