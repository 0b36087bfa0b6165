using Yarp.ReverseProxy.Configuration;

// The baseline of authenticated proxying in the edge benchmark: the same YARP route as the gateway's /api/v2/**, to
// the same upstream, without authentication.
var builder = WebApplication.CreateSlimBuilder(args);
var upstream = builder.Configuration["Upstream"];
if (!Uri.TryCreate(upstream, UriKind.Absolute, out var upstreamUri))
{
    throw new InvalidOperationException($"Upstream must be an absolute URL, e.g. --Upstream=http://127.0.0.1:9090 (was '{upstream}').");
}

builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "api-v2", ClusterId = "v2", Match = new RouteMatch { Path = "/api/v2/{**rest}" } }],
    [
        new ClusterConfig
        {
            ClusterId = "v2",
            Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstreamUri.ToString() } },
        },
    ]);

var app = builder.Build();
app.MapGet("/healthz", () => Results.Ok());
app.MapReverseProxy();
app.Run();
