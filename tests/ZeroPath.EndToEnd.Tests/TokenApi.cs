using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ZeroPath.EndToEnd.Tests;

public sealed record IssuedToken(string Org, string TokenId, string Secret);

/// <summary>The calls an operator and an API client make, over real HTTP.</summary>
public static class TokenApi
{
    public static HttpClient Admin(ProductProcess silo)
    {
        var client = new HttpClient { BaseAddress = silo.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LocalSystem.AdminKey);
        return client;
    }

    public static HttpRequestMessage ApiRequest(string path, string tokenId, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-ZeroPath-API-Token-Id", tokenId);
        request.Headers.Add("X-ZeroPath-API-Token-Secret", secret);
        return request;
    }

    public static async Task AddMemberAsync(this HttpClient admin, string org, string user, params string[] permissions) =>
        (await admin.PutAsJsonAsync($"/admin/v1/orgs/{org}/members/{user}", new { permissions })).EnsureSuccessStatusCode();

    public static async Task<IssuedToken> CreateTokenAsync(this HttpClient admin, string org, string user)
    {
        using var response = await admin.PostAsJsonAsync($"/admin/v1/orgs/{org}/tokens", new { userId = user });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new IssuedToken(org, body.GetProperty("tokenId").GetString()!, body.GetProperty("tokenSecret").GetString()!);
    }

    /// <summary>
    /// Every token the admin list shows, following pages: the body is an array, or a page
    /// <c>{"items": [...], "nextCursor": ...}</c> whose cursor goes back as <c>?cursor=</c> until it is null.
    /// </summary>
    public static async Task<string[]> ListTokenIdsAsync(this HttpClient admin, string org)
    {
        var ids = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 10_000; page++)
        {
            var path = $"/admin/v1/orgs/{org}/tokens" + (cursor is null ? "" : $"?cursor={Uri.EscapeDataString(cursor)}");
            var body = await admin.GetFromJsonAsync<JsonElement>(path);
            var items = body.ValueKind == JsonValueKind.Array ? body : body.GetProperty("items");
            ids.AddRange(items.EnumerateArray().Select(t => t.GetProperty("tokenId").GetString()!));
            cursor = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String
                ? next.GetString()
                : null;
            if (cursor is null)
            {
                return [.. ids];
            }
        }

        throw new InvalidOperationException($"The token list of {org} did not end after 10,000 pages.");
    }

    /// <summary>An organization's whole audit trail as (action, token id), following <c>nextBefore</c>.</summary>
    public static async Task<List<(string Action, string? TokenId)>> AuditEventsAsync(this HttpClient admin, string org)
    {
        var events = new List<(string, string?)>();
        long? before = null;
        for (var page = 0; page < 10_000; page++)
        {
            var body = await admin.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/audit?limit=500" + (before is null ? "" : $"&before={before}"));
            events.AddRange(body.GetProperty("events").EnumerateArray().Select(e => (
                e.GetProperty("action").GetString()!,
                e.TryGetProperty("tokenId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null)));
            before = body.GetProperty("nextBefore") is { ValueKind: JsonValueKind.Number } next ? next.GetInt64() : null;
            if (before is null)
            {
                return events;
            }
        }

        throw new InvalidOperationException($"The audit trail of {org} did not end after 10,000 pages.");
    }

    public static async Task<HttpStatusCode> CheckAsync(this HttpClient gateway, string tokenId, string secret)
    {
        using var response = await gateway.SendAsync(ApiRequest("/auth/check", tokenId, secret));
        return response.StatusCode;
    }
}
