using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.Gateway.Events;
using ZeroPath.Grains.Secrets;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests;

/// <summary>
/// A real silo over TCP, one upstream (for v1 and v2) and any number of gateways in front of it, each started and
/// subscribed to token events before a test uses it. Subclasses choose the first gateway's extra settings.
/// </summary>
public class EdgeFixture : IAsyncLifetime
{
    private readonly List<WebApplicationFactory<Program>> gateways = [];
    private bool siloStopped;

    public TestSilo Silo { get; private set; } = null!;
    public EchoUpstream Upstream { get; private set; } = null!;

    /// <summary>The gateway started with <see cref="GatewaySettings"/>, as <see cref="Customize"/> made it.</summary>
    public WebApplicationFactory<Program> Gateway { get; private set; } = null!;

    protected virtual IEnumerable<KeyValuePair<string, string?>> GatewaySettings => [];

    /// <summary>A chance to change the first gateway's host (e.g. its logging) before it starts.</summary>
    protected virtual WebApplicationFactory<Program> Customize(GatewayFactory gateway) => gateway;

    public virtual async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync();
        Upstream = await EchoUpstream.StartAsync("v1");
        var gateway = GatewayFactory.For(Silo, Upstream.Address, Upstream.Address, [.. GatewaySettings]);
        gateways.Add(gateway);
        Gateway = await StartAsync(Customize(gateway));
    }

    /// <summary>Another gateway on this silo with the test format key and these extra settings.</summary>
    public Task<GatewayFactory> StartGatewayAsync(params KeyValuePair<string, string?>[] extra) =>
        StartAsync(GatewayFactory.For(Silo, Upstream.Address, Upstream.Address, extra));

    /// <summary>Another gateway on this silo with exactly these secret-format settings instead of the test key's.</summary>
    public Task<GatewayFactory> StartGatewayWithFormatAsync(params KeyValuePair<string, string?>[] format) =>
        StartAsync(new GatewayFactory(
            [
                .. Silo.ClientSettings().Where(s => !s.Key.StartsWith("ZeroPath:SecretFormat:", StringComparison.Ordinal)),
                GatewayFactory.Setting("ZeroPath:Upstreams:V1", Upstream.Address),
                GatewayFactory.Setting("ZeroPath:Upstreams:V2", Upstream.Address),
                .. format,
            ],
            new FakeWallClock(Silo.Clock)));

    public async Task<TGateway> StartAsync<TGateway>(TGateway gateway)
        where TGateway : WebApplicationFactory<Program>
    {
        gateways.Add(gateway);
        // Starts the host; the feed's first subscription proves the cluster client is connected and pushes will arrive.
        gateway.CreateClient().Dispose();
        await gateway.Services.GetRequiredService<TokenEventFeed>().Subscribed.WaitAsync(TimeSpan.FromSeconds(30));
        return gateway;
    }

    public async Task<(IOrganizationGrain Org, IssuedToken Token)> IssueAsync(string[]? permissions = null, int days = 30, string user = "alice")
    {
        var org = Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember(user, [.. permissions ?? ["scans:read"]]);
        return (org, await CreateAsync(org, user, days));
    }

    /// <summary>A token as issued before the <c>zp_</c> format: stored directly with the Argon2id hash of a 43-character secret.</summary>
    public async Task<(Guid TokenId, string Secret, string Org)> CreateLegacyTokenAsync()
    {
        var org = Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var tokenId = Guid.NewGuid();
        var secret = TestSettings.LegacySecret();
        using var hasher = new TokenSecretHasher(Microsoft.Extensions.Options.Options.Create(new TokenHashingOptions { MemoryKiB = 256, Iterations = 1 }));
        var now = Silo.Clock.GetUtcNow();
        // Only an organization creates tokens; this one is created as its organization would have before zp_ secrets.
        using (ZeroPath.Grains.Security.ClusterCallOrigin.ActAs(org.GetGrainId()))
        {
            await Silo.Grains.GetGrain<ITokenGrain>(tokenId).Initialize(
                new TokenRecord(tokenId, org.GetPrimaryKeyString(), "alice", null, now, now.AddDays(30), hasher.Hash(secret), ["scans:read"], 0));
        }

        return (tokenId, secret, org.GetPrimaryKeyString());
    }

    public static async Task<IssuedToken> CreateAsync(IOrganizationGrain org, string user = "alice", int days = 30)
    {
        var result = await org.CreateToken(new CreateTokenCommand(user, null, days));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return result.Token!;
    }

    /// <summary>Completes when <paramref name="gateway"/> is told by push that <paramref name="tokenId"/> ended.</summary>
    public static Task EndedPush(WebApplicationFactory<Program> gateway, Guid tokenId)
    {
        var feed = gateway.Services.GetRequiredService<TokenEventFeed>();
        var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnEnded(Guid id)
        {
            if (id == tokenId)
            {
                feed.TokenEnded -= OnEnded;
                told.TrySetResult();
            }
        }

        feed.TokenEnded += OnEnded;
        return told.Task;
    }

    /// <summary>Stops the silo for good (the cluster is gone); the gateways keep running.</summary>
    public async Task StopSiloAsync()
    {
        siloStopped = true;
        await Silo.DisposeAsync();
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var gateway in gateways)
        {
            await gateway.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        if (!siloStopped)
        {
            await Silo.DisposeAsync();
        }
    }
}
