using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace ZeroPath.ServiceDefaults;

/// <summary>What the silo and the gateway both wire once: telemetry, health endpoints and problem+json errors.</summary>
public static class ServiceDefaultsExtensions
{
    public const string ReadyTag = "ready";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var settings = new StartupSettings(builder.Configuration);
        var options = settings.Bind<TelemetryOptions>(TelemetryOptions.SectionName);
        var scrapePort = builder.AddListener(settings, TelemetryOptions.PrometheusSection, "Listen", "Metrics", HttpProtocols.Http1);
        settings.ThrowIfInvalid();
        builder.Services.AddSingleton(new TelemetryEndpoints(scrapePort));
        builder.AddZeroPathTelemetry(options, scrapePort is not null);
        builder.Services.AddHealthChecks();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        return builder;
    }

    /// <summary>A readiness check that makes one real grain call, so "ready" means "can serve a validation".</summary>
    public static IHealthChecksBuilder AddClusterReadinessCheck(this IHealthChecksBuilder checks) =>
        checks.AddCheck<ClusterReadinessCheck>("orleans-cluster", tags: [ReadyTag]);

    /// <summary><c>/healthz</c>: the process is up. <c>/readyz</c>: every readiness check passes.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UsePrometheusScrapePort();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReport,
        });
        return app;
    }

    /// <summary>Says why: each check's status and description (never exception details), as JSON.</summary>
    private static Task WriteReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }
}
