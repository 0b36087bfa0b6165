using ZeroPath.Grains;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

public static class SiloHostingExtensions
{
    /// <summary>Co-hosts the Orleans silo with the admin API: one process, one DI container, in-memory grain calls.</summary>
    public static WebApplicationBuilder AddTokenSilo(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            silo.AddMemoryGrainStorage(GrainStorageNames.Tokens);
            silo.AddActivityPropagation();
        });
        builder.Services.AddZeroPathGrains(builder.Configuration);
        builder.Services.AddHealthChecks().AddClusterReadinessCheck();
        return builder;
    }
}
