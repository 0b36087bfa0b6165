using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using ZeroPath.ServiceDefaults.ClusterSecurity;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.Cluster;

/// <summary>The cluster plane is mutual TLS with the cluster CA: real silos on loopback TCP, real Redis membership.</summary>
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private TestSilo silo = null!;

    public async Task InitializeAsync() => silo = await TestSilo.StartAsync();

    public async Task DisposeAsync() => await silo.DisposeAsync();

    [Fact]
    public async Task A_client_with_a_gateway_certificate_of_the_cluster_CA_connects_and_validates()
    {
        await using var client = await ConnectAsync(TestCertificates.Gateway);

        var result = await client.Grains.GetGrain<ITokenGrain>(Guid.NewGuid()).Validate(TestSettings.FormatKeys.NewSecret(Guid.NewGuid()));

        Assert.Equal(TokenValidationOutcome.Unknown, result.Outcome);
    }

    public static TheoryData<string> RefusedClients => ["no TLS", "another CA", "a silo certificate"];

    [Theory]
    [MemberData(nameof(RefusedClients))]
    public async Task A_client_without_a_gateway_certificate_of_the_cluster_CA_cannot_connect(string presenting)
    {
        using var rogueAuthority = ClusterCertificates.CreateAuthority("rogue CA");
        var tls = presenting switch
        {
            "no TLS" => null,
            // It trusts the real CA, so only the silo's check of the client certificate can stop it.
            "another CA" => new ClusterTlsMaterial(TestCertificates.Gateway.Authorities, ClusterCertificates.Issue(rogueAuthority, ClusterRole.Gateway, "rogue")),
            _ => new ClusterTlsMaterial(TestCertificates.Silo.Authorities, TestCertificates.Silo.Certificate),
        };

        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var client = await ConnectAsync(tls);
            await client.Grains.GetGrain<ITokenGrain>(Guid.NewGuid()).Validate(TestSettings.FormatKeys.NewSecret(Guid.NewGuid()));
        });
        Assert.IsNotType<OperationCanceledException>(refused, exactMatch: false);
    }

    [Fact]
    public async Task A_gateway_sends_nothing_to_a_silo_whose_certificate_is_not_of_the_cluster_CA()
    {
        // A rogue silo (say, one added to membership by whoever can write to Redis) that would accept the gateway: only
        // the gateway's own check of the silo's certificate stands between it and the secrets it would be sent.
        using var rogueAuthority = ClusterCertificates.CreateAuthority("rogue CA");
        var rogueTls = new ClusterTlsMaterial(TestCertificates.Gateway.Authorities, ClusterCertificates.Issue(rogueAuthority, ClusterRole.Silo, "rogue"));
        await using var rogue = await TestSilo.StartAsync(tls: rogueTls);

        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var client = await ConnectAsync(TestCertificates.Gateway, rogue);
            await client.Grains.GetGrain<ITokenGrain>(Guid.NewGuid()).Validate(TestSettings.FormatKeys.NewSecret(Guid.NewGuid()));
        });
        Assert.IsNotType<OperationCanceledException>(refused, exactMatch: false);
    }

    public static TheoryData<string> RefusedSilos => ["another CA", "a gateway certificate"];

    [Theory]
    [MemberData(nameof(RefusedSilos))]
    public async Task A_silo_without_a_silo_certificate_of_the_cluster_CA_cannot_join(string presenting)
    {
        using var rogueAuthority = ClusterCertificates.CreateAuthority("rogue CA");
        var tls = presenting == "another CA"
            ? new ClusterTlsMaterial(TestCertificates.Silo.Authorities, ClusterCertificates.Issue(rogueAuthority, ClusterRole.Silo, "rogue"))
            : new ClusterTlsMaterial(TestCertificates.Silo.Authorities, TestCertificates.Gateway.Certificate);

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var rogue = await TestSilo.StartAsync(joining: silo, tls: tls, configure: s =>
            {
                s.Configure<ClusterMembershipOptions>(o => o.MaxJoinAttemptTime = TimeSpan.FromSeconds(10));
                // Declared dead by the cluster, a silo ends its process; this one only stops, so the test can see it.
                s.Services.AddSingleton<IFatalErrorHandler, StopInsteadOfExiting>();
            });
        });

        // The cluster is unharmed: the real gateway certificate still gets answers.
        await using var client = await ConnectAsync(TestCertificates.Gateway);
        await client.Grains.GetGrain<ITokenGrain>(Guid.NewGuid()).Validate(TestSettings.FormatKeys.NewSecret(Guid.NewGuid()));
    }

    private async Task<ConnectedClient> ConnectAsync(ClusterTlsMaterial? tls, TestSilo? to = null)
    {
        var target = to ?? silo;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = target.ClusterId;
                o.ServiceId = target.ServiceId;
            });
            client.UseRedisClustering(target.Redis);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            // One attempt: a refused handshake surfaces as the start's exception instead of endless retries.
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
            if (tls is not null)
            {
                client.Configure<ClientConnectionOptions>(tls.ApplyTo);
            }
        });
        var host = builder.Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StartAsync(timeout.Token);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new ConnectedClient(host);
    }

    private sealed class StopInsteadOfExiting : IFatalErrorHandler
    {
        public bool IsUnexpected(Exception exception) => true;

        public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
        {
        }
    }

    private sealed class ConnectedClient(IHost host) : IAsyncDisposable
    {
        public IGrainFactory Grains => host.Services.GetRequiredService<IClusterClient>();

        public async ValueTask DisposeAsync()
        {
            try
            {
                await host.StopAsync(TimeSpan.FromSeconds(5));
            }
            finally
            {
                host.Dispose();
            }
        }
    }
}
