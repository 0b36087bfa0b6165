using System.Net;
using Orleans.Configuration;
using ZeroPath.Grains;
using ZeroPath.ServiceDefaults;
using ZeroPath.ServiceDefaults.ClusterSecurity;

namespace ZeroPath.Silo.Hosting;

public static class SiloHostingExtensions
{
    public const string MembershipSection = "ZeroPath:Silo:Membership";

    /// <summary>
    /// Co-hosts the Orleans silo with the admin API: Redis membership, grain state and reminders in the configured store
    /// (Redis by default, or Azure Table storage), all from configuration, checked before anything starts.
    /// </summary>
    public static WebApplicationBuilder AddTokenSilo(this WebApplicationBuilder builder)
    {
        var settings = new StartupSettings(builder.Configuration);
        var cluster = settings.Bind<ClusterConnectionOptions>(ClusterConnectionOptions.SectionName);
        var host = settings.Bind<SiloHostOptions>(SiloHostOptions.SectionName);
        var storage = settings.Bind<StorageOptions>(StorageOptions.SectionName);
        cluster.Validate(settings);
        host.Validate(settings);
        storage.Validate(settings);
        var kubernetes = settings.Bind<KubernetesHostingSettings>(KubernetesHostingSettings.SectionName);
        var pod = kubernetes.Validate(settings, host, cluster);
        var tls = settings.Bind<ClusterTlsOptions>(ClusterTlsOptions.SectionName).Load(settings, ClusterRole.Silo);
        settings.ThrowIfInvalid();

        builder.UseOrleans(silo =>
        {
            if (pod is not null)
            {
                // First, so our Configure calls below run after its own: they set the same, checked values (the pod's
                // name and IP, our cluster ids), and our explicit endpoints keep its PostConfigure from changing them.
                silo.UseKubernetesHosting(options => options.Configure(o =>
                {
                    o.DeleteDefunctSiloPods = kubernetes.DeleteDefunctPods;
                    o.MaxAgents = kubernetes.MaxAgents;
                }));
            }

            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            var siloName = pod?.Name ?? host.SiloName;
            if (siloName.Length > 0)
            {
                silo.Configure<SiloOptions>(o => o.SiloName = siloName);
            }

            var address = pod?.Address ?? host.Address;
            silo.ConfigureEndpoints(address, host.SiloPort, host.GatewayPort, host.ListenOnAnyHostAddress);
            if (pod is not null && !host.ListenOnAnyHostAddress)
            {
                // The hosting would listen on every interface; ListenOnAnyHostAddress=false keeps to the pod IP.
                silo.Configure<EndpointOptions>(o =>
                {
                    o.SiloListeningEndpoint = new IPEndPoint(address, host.SiloPort);
                    o.GatewayListeningEndpoint = new IPEndPoint(address, host.GatewayPort);
                });
            }
            // Mutual TLS: silos need a silo certificate of the cluster CA, clients on the gateway port a gateway one.
            silo.Configure<SiloConnectionOptions>(tls!.ApplyTo);
            silo.UseRedisClustering(o => o.ConfigurationOptions = cluster.RedisConfiguration());
            // Failure detection, explicit (appsettings.json): how fast a crashed silo is declared dead.
            silo.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection(MembershipSection));

            silo.AddTokenStorage(storage, cluster);
            silo.AddActivityPropagation();
        });
        builder.Services.AddZeroPathGrains(builder.Configuration);
        builder.Services.AddSingleton<IExceptionClassifier, StorageExceptionClassifier>();
        builder.Services.AddHealthChecks().AddClusterReadinessCheck();
        return builder;
    }
}
