using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ZeroPath.Bench.Edge;

/// <summary>The silo's admin API: members, tokens, revocations. Retries what the API says is retryable (503).</summary>
internal sealed class AdminClient : IDisposable
{
    private const int Attempts = 20;
    private readonly HttpClient http;

    public AdminClient(Uri baseAddress, string adminKey)
    {
        http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        http.DefaultRequestHeaders.Add("X-ZeroPath-Actor", "bench");
    }

    public async Task SetMemberAsync(string orgId, string userId, string[] permissions, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Put, $"/admin/v1/orgs/{orgId}/members/{userId}") { Content = JsonContent.Create(new { permissions }) },
            cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, $"PUT member {orgId}/{userId}");
    }

    public async Task<IssuedToken> CreateTokenAsync(string orgId, string userId, string name, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, $"/admin/v1/orgs/{orgId}/tokens")
            {
                Content = JsonContent.Create(new { userId, name, expiresInDays = 30 }),
            },
            cancellationToken);
        await EnsureAsync(response, HttpStatusCode.Created, $"POST token {orgId}/{userId}");
        var created = await response.Content.ReadFromJsonAsync<CreatedToken>(Json.Options, cancellationToken)
            ?? throw new InvalidOperationException("The admin API answered 201 without a body.");
        return new IssuedToken(created.TokenId, created.TokenSecret, orgId, userId, created.Permissions ?? [], created.ExpiresAt);
    }

    /// <summary>Sends the revocation once (no retry: the bench times this very call).</summary>
    public async Task RevokeAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync($"/admin/v1/tokens/{tokenId}/revoke", new { reason = "bench" }, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, $"revoke {tokenId}");
    }

    /// <summary>Sends the permission change once (no retry: the bench times this very call).</summary>
    public async Task ChangePermissionsAsync(string orgId, string userId, string[] permissions, CancellationToken cancellationToken = default)
    {
        using var response = await http.PutAsJsonAsync($"/admin/v1/orgs/{orgId}/members/{userId}", new { permissions }, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, $"PUT member {orgId}/{userId}");
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var message = request();
            var response = await http.SendAsync(message, cancellationToken);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == Attempts)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), cancellationToken);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"{what}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        }
    }

    private sealed record CreatedToken(string TokenId, string TokenSecret, DateTimeOffset ExpiresAt, string[]? Permissions);
}

internal static class Json
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
