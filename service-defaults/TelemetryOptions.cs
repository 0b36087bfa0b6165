namespace ZeroPath.ServiceDefaults;

/// <summary>
/// <c>ZeroPath:Telemetry</c>. Where telemetry goes is otherwise the OpenTelemetry SDK's own environment variables:
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (and its per-signal forms), <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>.
/// </summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "ZeroPath:Telemetry";

    /// <summary>The Prometheus scrape listener's section: <c>Listen</c> holds its URL (<c>http://0.0.0.0:9464</c>).</summary>
    public const string PrometheusSection = SectionName + ":Prometheus";

    /// <summary>
    /// Record traces. Unset: only when an OTLP endpoint is configured, since spans nobody exports still cost every
    /// request. True without an endpoint is for exporters added in code (tests).
    /// </summary>
    public bool? Traces { get; set; }

    /// <summary>Send logs through OpenTelemetry (besides the console). Unset: only when an OTLP endpoint is configured.</summary>
    public bool? Logs { get; set; }
}

/// <summary>The listeners telemetry added: the Prometheus scrape port, when one is configured.</summary>
public sealed record TelemetryEndpoints(int? PrometheusPort);
