using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ZeroPath.Testing;

/// <summary>
/// A real Kestrel webhook receiver on a loopback port: records every POST (headers and body) and answers with the
/// next status from a script (then 200), as an organization's endpoint would.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<int> script;

    private WebhookReceiver(WebApplication app, ConcurrentQueue<int> script)
    {
        this.app = app;
        this.script = script;
    }

    public string Url { get; private set; } = "";

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <param name="statuses">Answers for the first requests, in order; every later request gets 200.</param>
    public static async Task<WebhookReceiver> StartAsync(params int[] statuses)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, new ConcurrentQueue<int>(statuses));
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = new Uri(new Uri(app.Urls.First()), "/hooks/zeropath").ToString();
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var status = script.TryDequeue(out var next) ? next : StatusCodes.Status200OK;
        Requests.Enqueue(new Received(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body,
            status));
        context.Response.StatusCode = status;
    }

    /// <summary>Verifies a <c>ZeroPath-Signature</c> as a receiver would: HMAC-SHA256(secret, "t.body") in hex, compared in fixed time.</summary>
    public static bool SignatureValid(string header, string body, string secret)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1))
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(expected)), Encoding.ASCII.GetBytes(v1));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, int AnsweredWith);
}
