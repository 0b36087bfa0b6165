using System.Net;
using System.Text.Json;

namespace ZeroPath.Gateway.Tests;

public static class ProblemAssert
{
    /// <summary>Asserts problem+json with the code, and for 401 the WWW-Authenticate challenge naming it.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (status == HttpStatusCode.Unauthorized)
        {
            var challenge = Assert.Single(response.Headers.WwwAuthenticate);
            Assert.Equal("ZeroPath-API-Token", challenge.Scheme);
            Assert.Contains($"error=\"{code}\"", challenge.Parameter, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }

        return problem;
    }
}
