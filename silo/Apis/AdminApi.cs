using System.Security.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

public static class AdminApi
{
    public const string Prefix = "/admin/v1";

    /// <summary>
    /// Reads and checks the admin settings (keys, failed-authentication limit, TLS) before anything starts, and
    /// configures Kestrel: request bodies up to 64 KiB, and HTTPS with the configured certificate.
    /// </summary>
    public static WebApplicationBuilder AddAdminApi(this WebApplicationBuilder builder)
    {
        var settings = new StartupSettings(builder.Configuration);
        var options = AdminApiOptions.Load(settings, builder.Configuration);
        options.Validate(settings);
        var certificate = options.Tls.Load(settings, TimeProvider.System);
        if (options.Tls.Enabled)
        {
            options.Tls.RequireHttpsUrls(settings, builder.Configuration[WebHostDefaults.ServerUrlsKey]);
        }

        settings.ThrowIfInvalid();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Nothing the silo serves takes a larger body; the admin guard also refuses a larger Content-Length up front.
            kestrel.Limits.MaxRequestBodySize = AdminApiOptions.MaxRequestBodyBytes;
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https =>
                {
                    https.ServerCertificate = certificate;
                    https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                });
            }
        });

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.FailedAuthentication);
        builder.Services.AddSingleton<AdminKeys>();
        builder.Services.TryAddKeyedSingleton(FailedAuthenticationLimiter.ClockKey, TimeProvider.System);
        builder.Services.AddSingleton(services => new FailedAuthenticationLimiter(
            options.FailedAuthentication, services.GetRequiredKeyedService<TimeProvider>(FailedAuthenticationLimiter.ClockKey)));
        builder.Services.AddSingleton<IExceptionClassifier, AdminExceptionClassifier>();
        builder.Services.AddAdminOpenApi();
        return builder;
    }

    /// <summary>Maps every route under <c>/admin/v1</c>, all behind the admin guard (body limit, failed-authentication limit, admin key).</summary>
    public static WebApplication MapAdminApi(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase), admin => admin.UseMiddleware<AdminGuard>());
        var admin = app.MapGroup(Prefix).AddEndpointFilter<AuditActorFilter>();
        admin.MapMembersApi();
        admin.MapTokensApi();
        admin.MapPolicyApi();
        admin.MapRevocationApi();
        admin.MapAuditApi();
        admin.MapWebhooksApi();
        app.MapOpenApi(AdminOpenApi.DocumentPath);
        return app;
    }

    /// <summary>What needs no admin key under <c>/admin</c>: reading the OpenAPI document.</summary>
    internal static bool IsAnonymous(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && string.Equals(request.Path.Value, AdminOpenApi.DocumentPath, StringComparison.Ordinal);
}
