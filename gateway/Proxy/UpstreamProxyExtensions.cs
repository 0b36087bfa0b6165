using Yarp.ReverseProxy.Configuration;

namespace ZeroPath.Gateway.Proxy;

/// <summary>The upstream API services. Section <c>ZeroPath:Upstreams</c>.</summary>
public sealed class UpstreamOptions
{
    public const string SectionName = "ZeroPath:Upstreams";

    /// <summary>Base address that receives <c>/api/v1/**</c>.</summary>
    public string V1 { get; set; } = "";

    /// <summary>Base address that receives <c>/api/v2/**</c>.</summary>
    public string V2 { get; set; } = "";
}

public static class UpstreamProxyExtensions
{
    /// <summary>
    /// Builds the YARP routes in code: the two authenticated prefixes are part of the contract, so configuration
    /// chooses only where they go and cannot add an unauthenticated route.
    /// </summary>
    public static WebApplicationBuilder AddUpstreamProxy(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(UpstreamOptions.SectionName).Get<UpstreamOptions>() ?? new UpstreamOptions();
        var v1 = RequireAbsolute(options.V1, nameof(UpstreamOptions.V1));
        var v2 = RequireAbsolute(options.V2, nameof(UpstreamOptions.V2));

        builder.Services.AddReverseProxy().LoadFromMemory(
            [Route("api-v1", "/api/v1/{**rest}", "v1"), Route("api-v2", "/api/v2/{**rest}", "v2")],
            [Cluster("v1", v1), Cluster("v2", v2)]);
        return builder;
    }

    private static RouteConfig Route(string id, string path, string cluster) =>
        new() { RouteId = id, ClusterId = cluster, Match = new RouteMatch { Path = path } };

    private static ClusterConfig Cluster(string id, Uri address) => new()
    {
        ClusterId = id,
        Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = address.ToString() } },
    };

    private static Uri RequireAbsolute(string value, string name)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        throw new InvalidOperationException(
            $"{UpstreamOptions.SectionName}:{name} must be an absolute http(s) URL (was '{value}'); " +
            $"set it in appsettings or as ZeroPath__Upstreams__{name}.");
    }
}
