using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

/// <summary>Small helpers over the raw admin API, so tests read as the calls an operator makes.</summary>
public static class AdminClient
{
    public static string NewOrg() => TestSettings.UniqueId("org");

    public static Task<HttpResponseMessage> PutMemberAsync(this HttpClient client, string org, string user, params string[] permissions) =>
        client.PutAsJsonAsync($"/admin/v1/orgs/{org}/members/{user}", new { permissions });

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonElement> CreateTokenAsync(this HttpClient client, string org, object body)
    {
        using var response = await client.PostAsJsonAsync($"/admin/v1/orgs/{org}/tokens", body);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
