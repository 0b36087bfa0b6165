using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ZeroPath.ServiceDefaults;

/// <summary>
/// OpenTelemetry for the silo and the gateway: metrics always (Prometheus scrape and/or OTLP), traces and logs when they
/// are exported. One pipeline per signal, so OTLP and the scrape endpoint show the same instruments under the same names.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>The Prometheus scrape path on the scrape listener (and nowhere else).</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>
    /// Orleans' activity sources that belong to a request: grain calls of application grains, the activation a call
    /// causes (without it, the state read of a new activation starts a trace of its own) and grain storage. Its runtime
    /// source (membership probes, directory calls) is left out: it starts a trace per probe, unrelated to any request.
    /// </summary>
    public static readonly string[] OrleansSources = ["Microsoft.Orleans.Application", "Microsoft.Orleans.Lifecycle", "Microsoft.Orleans.Storage"];

    /// <summary>YARP's source: one <c>proxy.forwarder</c> span per proxied request.</summary>
    public const string YarpSource = "Yarp.ReverseProxy";

    private static readonly string[] OtlpEndpointKeys =
        ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"];

    public static void AddZeroPathTelemetry(this IHostApplicationBuilder builder, TelemetryOptions options, bool prometheus)
    {
        var otlp = OtlpConfigured(builder.Configuration);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, names the service; otherwise zeropath-silo / zeropath-gateway.
                if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(ServiceName(builder.Environment.ApplicationName), serviceVersion: Version());
                }
            })
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter("Microsoft.Orleans")
                    .AddMeter(ZeroPathTelemetry.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            });

        if (options.Traces ?? otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(OrleansSources)
                .AddSource(YarpSource)
                .AddSource(ZeroPathTelemetry.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation());
        }

        if (options.Logs ?? otlp)
        {
            // The formatted message and the structured values both: what the console shows, searchable by field.
            telemetry.WithLogging(configureBuilder: null, configureOptions: o =>
            {
                o.IncludeFormattedMessage = true;
                o.IncludeScopes = true;
            });
        }

        if (otlp)
        {
            // Endpoint, protocol, headers and per-signal endpoints from the standard OTEL_EXPORTER_OTLP_* variables.
            telemetry.UseOtlpExporter();
        }
    }

    /// <summary>
    /// On the scrape listener, only <see cref="ScrapePath"/> answers (404 otherwise); elsewhere the path is the
    /// application's. The listener is told by the socket a request came through, never by its Host header.
    /// </summary>
    public static WebApplication UsePrometheusScrapePort(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TelemetryEndpoints>().PrometheusPort is not { } port)
        {
            return app;
        }

        app.Use((context, next) =>
        {
            if (context.ArrivedOn(port) && !context.Request.Path.Equals(ScrapePath, StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.ArrivedOn(port) && context.Request.Path.Equals(ScrapePath, StringComparison.Ordinal));
        return app;
    }

    /// <summary>True when any OTLP endpoint is configured, for all signals or for one.</summary>
    public static bool OtlpConfigured(IConfiguration configuration) =>
        OtlpEndpointKeys.Any(key => !string.IsNullOrWhiteSpace(configuration[key]));

    /// <summary><c>ZeroPath.Silo</c> → <c>zeropath-silo</c>.</summary>
    public static string ServiceName(string applicationName) =>
        applicationName.Replace('.', '-').ToLowerInvariant();

    private static string? Version() =>
        Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz", StringComparison.Ordinal) || path.StartsWithSegments("/readyz", StringComparison.Ordinal);
}
