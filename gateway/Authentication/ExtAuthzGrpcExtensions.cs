using Microsoft.AspNetCore.Server.Kestrel.Core;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Gateway.Authentication;

/// <summary>Hosting for <see cref="ExtAuthzGrpcService"/>: the gRPC services and the cleartext HTTP/2 listener Envoy calls.</summary>
public static class ExtAuthzGrpcExtensions
{
    public const string SectionName = "ZeroPath:Gateway:ExtAuthz";
    public const string ListenKey = "Listen";

    /// <summary>
    /// gRPC, and the listener in <c>ZeroPath:Gateway:ExtAuthz:Listen</c> (<c>http://0.0.0.0:9001</c>): HTTP/2 only, as
    /// Envoy speaks gRPC without TLS (prior knowledge); unset, no such listener. The service answers on every listener
    /// that speaks HTTP/2; on an HTTP/1.1 one it cannot be reached.
    /// </summary>
    public static WebApplicationBuilder AddExtAuthzGrpc(this WebApplicationBuilder builder)
    {
        var settings = new StartupSettings(builder.Configuration);
        builder.AddListener(settings, SectionName, ListenKey, "ExtAuthzGrpc", HttpProtocols.Http2);
        settings.ThrowIfInvalid();
        builder.Services.AddGrpc();
        return builder;
    }

    public static IEndpointConventionBuilder MapExtAuthzGrpc(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGrpcService<ExtAuthzGrpcService>();
}
