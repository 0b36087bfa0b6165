using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ZeroPath.Gateway.Tests;

/// <summary>
/// Sends requests to one gateway and tells, for each, how it was decided: the result and <c>decided_by</c> tags of the
/// one authentication the request recorded. Requests of one probe must not overlap (xUnit runs one class's tests in turn).
/// </summary>
public sealed class AuthProbe : IDisposable
{
    private readonly HttpClient client;
    private readonly GatewayMeasurements measurements;

    public AuthProbe(WebApplicationFactory<Program> gateway)
    {
        client = gateway.CreateClient();
        measurements = new GatewayMeasurements(gateway.Services);
    }

    public HttpClient Client => client;

    public async Task<AuthAnswer> SendAsync(string path, Guid tokenId, string secret)
    {
        var before = measurements.Decisions.Count;
        var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, path, tokenId, secret));
        var decision = Assert.Single(measurements.Decisions.Skip(before));
        return new AuthAnswer(response, decision.Result, decision.DecidedBy);
    }

    /// <summary>Sends and asserts the status and how it was decided; returns the response for further checks.</summary>
    public async Task<HttpResponseMessage> ExpectAsync(string path, Guid tokenId, string secret, HttpStatusCode status, string result, string decidedBy)
    {
        var answer = await SendAsync(path, tokenId, secret);
        Assert.Equal((status, result, decidedBy), (answer.Response.StatusCode, answer.Result, answer.DecidedBy));
        return answer.Response;
    }

    public void Dispose()
    {
        measurements.Dispose();
        client.Dispose();
    }
}

public sealed record AuthAnswer(HttpResponseMessage Response, string Result, string DecidedBy);
