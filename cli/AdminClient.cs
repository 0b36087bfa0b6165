using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ZeroPath.Cli;

/// <summary>The admin API over HTTP; every answer becomes an exit code and something to print.</summary>
public sealed class AdminClient(Uri baseAddress, string key, string? actor) : IDisposable
{
    private readonly HttpClient http = Create(baseAddress, key, actor);

    public Task<(int Exit, JsonElement? Body)> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken) =>
        SendCoreAsync(method, path, body, cancellationToken);

    public void Dispose() => http.Dispose();

    private static HttpClient Create(Uri baseAddress, string key, string? actor)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (!string.IsNullOrEmpty(actor))
        {
            client.DefaultRequestHeaders.Add("X-ZeroPath-Actor", actor);
        }

        return client;
    }

    private async Task<(int Exit, JsonElement? Body)> SendCoreAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            await Console.Error.WriteLineAsync($"zpctl: cannot reach the admin API at {TerminalText.Escape(http.BaseAddress?.ToString())}: {TerminalText.Escape(exception.Message)}");
            return (ExitCodes.Unreachable, null);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonElement? json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
                ? JsonDocument.Parse(text).RootElement.Clone()
                : null;
            if (response.IsSuccessStatusCode)
            {
                return (ExitCodes.Ok, json);
            }

            var detail = json is { } problem && problem.TryGetProperty("detail", out var d) ? d.GetString() : response.ReasonPhrase;
            var code = json is { } p && p.TryGetProperty("code", out var c) ? c.GetString() : null;
            // Server-provided text: escaped, so an answer cannot drive the terminal.
            await Console.Error.WriteLineAsync($"zpctl: {(int)response.StatusCode} {TerminalText.Escape(code)}: {TerminalText.Escape(detail)}");
            return (response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.AuthFailed,
                HttpStatusCode.NotFound => ExitCodes.NotFound,
                >= HttpStatusCode.InternalServerError => ExitCodes.ServerError,
                _ => ExitCodes.Rejected,
            }, json);
        }
    }
}
