using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ZeroPath.Testing;

/// <summary>A real Kestrel upstream on a loopback port that answers with the name, path and headers it received.</summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private readonly WebApplication app;

    private EchoUpstream(WebApplication app, string name, Uri address)
    {
        this.app = app;
        Name = name;
        Address = address;
    }

    public string Name { get; }

    public Uri Address { get; }

    public static async Task<EchoUpstream> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapFallback((HttpRequest request) => Results.Json(new EchoResponse(
            name,
            request.Method,
            request.Path.Value ?? "",
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase))));
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new EchoUpstream(app, name, address);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public sealed record EchoResponse(string Upstream, string Method, string Path, Dictionary<string, string> Headers);
