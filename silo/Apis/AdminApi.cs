using Microsoft.Extensions.Options;

namespace ZeroPath.Silo.Apis;

public static class AdminApi
{
    public static WebApplicationBuilder AddAdminApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdminApiOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                configuration.GetSection(AdminApiOptions.SectionName).Bind(options);
                if (string.IsNullOrEmpty(options.Key))
                {
                    options.Key = configuration[AdminApiOptions.EnvironmentVariable] ?? "";
                }
            })
            .Validate(
                o => o.Key.Length >= AdminApiOptions.MinKeyLength,
                $"The admin API key is missing or shorter than {AdminApiOptions.MinKeyLength} characters: " +
                $"set {AdminApiOptions.EnvironmentVariable} (or ZeroPath:Admin:Key).")
            .ValidateOnStart();
        builder.Services.AddSingleton<AdminKeyFilter>();
        return builder;
    }

    /// <summary>Maps every route under <c>/admin/v1</c>, all behind the admin key.</summary>
    public static WebApplication MapAdminApi(this WebApplication app)
    {
        var admin = app.MapGroup("/admin/v1").AddEndpointFilter<AdminKeyFilter>().AddEndpointFilter<AuditActorFilter>();
        admin.MapMembersApi();
        admin.MapTokensApi();
        admin.MapRevocationApi();
        admin.MapAuditApi();
        return app;
    }
}
