using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ZeroPath.Testing;

/// <summary>
/// A real Kestrel upstream on a loopback port that answers with the name, path and headers it received. Two long-lived
/// answers too: a WebSocket request is echoed message by message, and a path ending in <c>/stream</c> is answered with
/// a line every 100 ms for up to a minute.
/// </summary>
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
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            if (context.WebSockets.IsWebSocketRequest)
            {
                await EchoWebSocketAsync(context);
            }
            else if (context.Request.Path.Value?.EndsWith("/stream", StringComparison.Ordinal) == true)
            {
                await StreamAsync(context);
            }
            else
            {
                await next(context);
            }
        });
        app.MapFallback((HttpRequest request) => Results.Json(new EchoResponse(
            name,
            request.Method,
            request.Path.Value ?? "",
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase))));
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new EchoUpstream(app, name, address);
    }

    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or System.Net.WebSockets.WebSocketException or IOException)
        {
            // The other side went away.
        }
    }

    private static async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        try
        {
            for (var i = 0; i < 600; i++)
            {
                await context.Response.WriteAsync($"tick {i}\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(100, context.RequestAborted);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The other side went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public sealed record EchoResponse(string Upstream, string Method, string Path, Dictionary<string, string> Headers);
