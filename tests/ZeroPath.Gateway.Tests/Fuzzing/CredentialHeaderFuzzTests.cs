using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;
using ZeroPath.Gateway.Authentication;

namespace ZeroPath.Gateway.Tests.Fuzzing;

public sealed class FuzzFixture : EdgeFixture;

/// <summary>
/// Generated credential headers against the real gateway pipeline (in process, a real silo over TCP, the echo upstream
/// behind YARP). Properties: never a 5xx; nothing but the valid (id, secret) pair is ever accepted, and that pair always
/// is; every refusal is problem+json with a documented code and the status that goes with it; an accepted proxied
/// request carries neither the secret nor a forged header upstream.
/// </summary>
public class CredentialHeaderFuzzTests(FuzzFixture fixture, ITestOutputHelper output) : IClassFixture<FuzzFixture>
{
    private const int Cases = 10_000;

    /// <summary>Refusal codes and the statuses they may come with (docs/api.md); 503s are not among them here.</summary>
    private static readonly Dictionary<string, HttpStatusCode[]> Refusals = new(StringComparer.Ordinal)
    {
        ["missing_credentials"] = [HttpStatusCode.Unauthorized],
        ["malformed_credentials"] = [HttpStatusCode.Unauthorized],
        ["invalid_token"] = [HttpStatusCode.Unauthorized],
        ["token_expired"] = [HttpStatusCode.Unauthorized],
        ["too_many_failures"] = [HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests],
    };

    [Fact]
    public async Task Generated_credential_headers_never_give_a_5xx_and_only_the_valid_pair_is_accepted()
    {
        var (_, token) = await fixture.IssueAsync(["scans:read"]);
        var cases = new CredentialHeaderCases(token.TokenId, token.Secret);
        var seed = CredentialHeaderCases.Seed();
        var requests = cases.Sample(Cases, seed);
        using var client = fixture.Gateway.CreateClient();
        using var measurements = new GatewayMeasurements(fixture.Gateway.Services);
        // The valid pair is validated (and cached) before any wrong secret can lock the token.
        using (var warm = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check", token.TokenId, token.Secret)))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var failures = new ConcurrentQueue<string>();
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (request, _) =>
        {
            var (outcome, failure) = await RunAsync(client, cases, request);
            outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
            if (failure is not null)
            {
                failures.Enqueue($"{failure}\n    request: {request}");
            }
        });
        clock.Stop();

        var decided = measurements.Decisions.GroupBy(d => d.DecidedBy).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"gateway fuzz: {requests.Length} cases, {failures.Count} failures (seed {seed}, ZP_FUZZ_SEED to replay; {clock.Elapsed.TotalSeconds:F1} s)");
        output.WriteLine("outcomes: " + string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));
        output.WriteLine("decided by: " + string.Join(", ", decided.OrderByDescending(d => d.Value).Select(d => $"{d.Key} {d.Value}")));
        foreach (var failure in failures.Take(20))
        {
            output.WriteLine(failure);
        }

        Assert.True(requests.Length >= Cases);
        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Length} cases failed (seed {seed}); first: {failures.FirstOrDefault()}");
        // Both answers were exercised: the property can tell an acceptance from a refusal.
        Assert.True(outcomes.GetValueOrDefault("200 ok") > 100, "too few valid pairs were generated");
        Assert.True(outcomes.Where(o => o.Key.StartsWith("401", StringComparison.Ordinal)).Sum(o => o.Value) > Cases / 2, "too few refusals were generated");
    }

    private static async Task<(string Outcome, string? Failure)> RunAsync(HttpClient client, CredentialHeaderCases cases, FuzzRequest fuzz)
    {
        using var request = new HttpRequestMessage(new HttpMethod(fuzz.Method), fuzz.Path);
        foreach (var (name, value) in fuzz.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                return ("not sendable", $"HttpRequestMessage refused header {name}");
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException)
        {
            return ("client error", $"the request failed: {exception.GetType().Name}: {exception.Message}");
        }

        using (response)
        {
            return Judge(
                cases,
                fuzz,
                (int)response.StatusCode,
                response.Content.Headers.ContentType?.MediaType,
                string.Join(", ", response.Headers.WwwAuthenticate),
                await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>The properties, for one answer: its outcome (for the summary) and what is wrong with it, if anything.</summary>
    public static (string Outcome, string? Failure) Judge(
        CredentialHeaderCases cases, FuzzRequest fuzz, int status, string? contentType, string wwwAuthenticate, string body)
    {
        var acceptable = Acceptable(cases, fuzz.Headers);
        var exact = Exact(cases, fuzz.Headers);
        if (status >= 500)
        {
            return ($"{status}", $"a server error ({status}): {body}");
        }

        if (status is >= 200 and < 300)
        {
            if (!acceptable)
            {
                return ($"{status} ACCEPTED", "an invalid credential was accepted");
            }

            if (fuzz.Path.StartsWith("/api/", StringComparison.Ordinal) &&
                (body.Contains(cases.ValidSecret, StringComparison.Ordinal) || body.Contains("fuzz-forged", StringComparison.Ordinal)))
            {
                return ($"{status} ok", "the upstream received the secret or a forged header");
            }

            return ($"{status} ok", null);
        }

        if (exact)
        {
            return ($"{status}", $"the valid pair was refused ({status}): {body}");
        }

        string? code;
        try
        {
            using var problem = JsonDocument.Parse(body);
            code = problem.RootElement.GetProperty("code").GetString();
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ($"{status} no problem", $"not problem+json ({status}): {body}");
        }

        var outcome = $"{status} {code}";
        if (contentType != "application/problem+json")
        {
            return (outcome, $"content type {contentType}");
        }

        if (code is null || !Refusals.TryGetValue(code, out var statuses) || !statuses.Contains((HttpStatusCode)status))
        {
            return (outcome, $"an undocumented code or status: {status} {code}");
        }

        if (status == (int)HttpStatusCode.TooManyRequests && fuzz.Path.StartsWith("/auth/check", StringComparison.Ordinal))
        {
            return (outcome, "a 429 from /auth/check (forward-auth proxies need 401)");
        }

        if (status == (int)HttpStatusCode.Unauthorized && !wwwAuthenticate.Contains($"error=\"{code}\"", StringComparison.Ordinal))
        {
            return (outcome, "a 401 without the WWW-Authenticate challenge naming its code");
        }

        return (outcome, null);
    }

    /// <summary>
    /// The pair the gateway may accept: each credential header exactly once (header names compare case-insensitively),
    /// the token's id (a hyphenated UUID, either letter case) and its exact secret, allowing the spaces and tabs around a
    /// value that HTTP does not count as part of it.
    /// </summary>
    public static bool Acceptable(CredentialHeaderCases cases, IReadOnlyList<KeyValuePair<string, string>> headers) =>
        Single(headers, TokenHeaders.TokenId) is { } id && Single(headers, TokenHeaders.TokenSecret) is { } secret &&
        Guid.TryParseExact(id.Trim(' ', '\t'), "D", out var parsed) && parsed == cases.ValidId &&
        secret.Trim(' ', '\t') == cases.ValidSecret;

    /// <summary>The pair exactly as issued, once each: the gateway must accept it.</summary>
    private static bool Exact(CredentialHeaderCases cases, IReadOnlyList<KeyValuePair<string, string>> headers) =>
        Single(headers, TokenHeaders.TokenId) == cases.ValidId.ToString("D") && Single(headers, TokenHeaders.TokenSecret) == cases.ValidSecret;

    private static string? Single(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        var values = headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();
        return values.Length == 1 ? values[0] : null;
    }
}
