using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ZeroPath.EndToEnd.Tests.Telemetry.Otlp;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests.Telemetry;

/// <summary>
/// An OTLP/HTTP receiver on loopback, as a collector would be: it keeps every export request body exactly as it arrived
/// (for the redaction search: protobuf carries strings as plain UTF-8) and reads the spans out of the trace exports.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(string Signal, byte[] Body)> exports = new();

    private OtlpReceiver(WebApplication app, int port)
    {
        this.app = app;
        Endpoint = $"http://127.0.0.1:{port}";
    }

    /// <summary>For <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>.</summary>
    public string Endpoint { get; }

    public IReadOnlyList<(string Signal, byte[] Body)> Exports => [.. exports];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var port = FreeTcpPort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, port);
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            var content = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
            await content.CopyToAsync(body);
            receiver.exports.Enqueue((signal, body.ToArray()));
            // An empty Export*ServiceResponse: everything accepted.
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Every span received so far, with the service that sent it and the instrumentation scope that made it.</summary>
    public IReadOnlyList<ReceivedSpan> Spans() =>
    [
        .. Exports.Where(e => e.Signal == "traces")
            .SelectMany(e => ExportTraceServiceRequest.Parser.ParseFrom(e.Body).ResourceSpans)
            .SelectMany(r => r.ScopeSpans.SelectMany(s => s.Spans.Select(span => new ReceivedSpan(
                Attribute(r.Resource?.Attributes, "service.name") ?? "",
                s.Scope?.Name ?? "",
                span)))),
    ];

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private static string? Attribute(IEnumerable<KeyValue>? attributes, string key) =>
        attributes?.FirstOrDefault(a => a.Key == key)?.Value?.StringValue;

    public sealed record ReceivedSpan(string Service, string Scope, Span Span)
    {
        public string TraceId => Convert.ToHexStringLower(Span.TraceId.Span);
        public string SpanId => Convert.ToHexStringLower(Span.SpanId.Span);
        public string ParentId => Convert.ToHexStringLower(Span.ParentSpanId.Span);
        public string Name => Span.Name;
        public Span.Types.SpanKind Kind => Span.Kind;

        public string? Tag(string key) => Attribute(Span.Attributes, key);

        public override string ToString() => $"{Service} {Scope} {Kind} \"{Name}\" {SpanId} <- {ParentId}";
    }
}
