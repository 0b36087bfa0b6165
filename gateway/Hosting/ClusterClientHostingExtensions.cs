using Orleans.Configuration;
using ZeroPath.ServiceDefaults;
using ZeroPath.ServiceDefaults.ClusterSecurity;

namespace ZeroPath.Gateway.Hosting;

public static partial class ClusterClientHostingExtensions
{
    /// <summary>
    /// Points an Orleans client at the token cluster: its ids, Redis membership (which also tells the client which silo
    /// gateways are alive) and mutual TLS with a gateway certificate (silos accept it on their gateway port only, and the
    /// client accepts only silos of the same cluster CA). Shared by the gateway and trusted tools.
    /// </summary>
    public static IClientBuilder UseTokenCluster(this IClientBuilder client, ClusterConnectionOptions cluster, ClusterTlsMaterial tls)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        client.UseRedisClustering(o => o.ConfigurationOptions = cluster.RedisConfiguration());
        return client.Configure<ClientConnectionOptions>(tls.ApplyTo);
    }

    /// <summary>
    /// Makes the gateway an Orleans client. It serves /healthz at once and keeps trying to reach the cluster for as long
    /// as it takes; /readyz says when it has.
    /// </summary>
    public static WebApplicationBuilder AddTokenClusterClient(this WebApplicationBuilder builder)
    {
        var settings = new StartupSettings(builder.Configuration);
        var cluster = settings.Bind<ClusterConnectionOptions>(ClusterConnectionOptions.SectionName);
        var options = settings.Bind<ClusterClientOptions>(ClusterConnectionOptions.SectionName);
        cluster.Validate(settings);
        var tls = settings.Bind<ClusterTlsOptions>(ClusterTlsOptions.SectionName).Load(settings, ClusterRole.Gateway);
        settings.ThrowIfInvalid();

        builder.UseOrleansClient(client =>
        {
            // The gateway holds no call key, so it may only validate and subscribe to token events.
            client.UseTokenCluster(cluster, tls!);
            client.Configure<GatewayOptions>(g => g.GatewayListRefreshPeriod = options.GatewayListRefreshPeriod);
            client.Configure<ClientMessagingOptions>(m => m.ResponseTimeout = options.ResponseTimeout);
            client.AddActivityPropagation();
            client.UseConnectionRetryFilter<RetryForeverFilter>();
        });

        // Kestrel and the cluster client start side by side, so probes are answered while the cluster is away.
        builder.Services.Configure<HostOptions>(h => h.ServicesStartConcurrently = true);
        builder.Services.AddSingleton(options);
        builder.Services.AddHealthChecks().AddClusterReadinessCheck();
        return builder;
    }

    private sealed partial class RetryForeverFilter(ClusterClientOptions options, ILogger<RetryForeverFilter> logger) : IClientConnectionRetryFilter
    {
        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            LogConnectRetry(logger, exception.GetType().Name, exception.Message);
            await Task.Delay(options.ConnectRetryDelay, cancellationToken);
            return true;
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Token cluster not reachable yet ({ErrorType}: {Reason}); retrying")]
        private static partial void LogConnectRetry(ILogger logger, string errorType, string reason);
    }
}
