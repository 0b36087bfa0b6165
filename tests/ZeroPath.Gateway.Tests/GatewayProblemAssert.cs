using System.Net;
using System.Text.Json;

namespace ZeroPath.Gateway.Tests;

public static class GatewayProblemAssert
{
    /// <summary>A gateway failure: problem+json with the code, plus the 401 challenge naming it or the 503 Retry-After.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var problem = await Testing.ProblemAssert.IsProblemAsync(response, status, code);
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
