using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using ZeroPath.Silo.Apis;

namespace ZeroPath.Silo.Tests.Fuzzing;

/// <summary>A silo with a next key configured too, so both keys are fuzzed.</summary>
public sealed class FuzzSilo() : Apis.SiloFactoryWith(new SiloFactory { NextKey = SiloFactory.NextAdminKey });

/// <summary>
/// Property-based fuzzing of every admin route (in process, real grains, real storage): 10,000 generated requests per
/// run. Properties: never a 5xx; every 4xx is application/problem+json whose <c>code</c> is one the admin API documents
/// and whose <c>status</c> matches; no request without an accepted key in an accepted form gets a 2xx; every 2xx is JSON
/// (or an empty 204). The seed is printed (and can be fixed with ZP_FUZZ_SEED) so a failure can be replayed.
/// </summary>
public class AdminFuzzTests(FuzzSilo silo, ITestOutputHelper output) : IClassFixture<FuzzSilo>
{
    public const int Cases = 10_000;

    [Fact]
    public async Task Every_admin_route_answers_every_generated_request_with_a_documented_problem_or_a_success_and_never_a_5xx()
    {
        var seed = Environment.GetEnvironmentVariable("ZP_FUZZ_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var generator = new AdminRequestGenerator(
            seed, silo.Silo.Services.GetRequiredService<EndpointDataSource>(), Guid.NewGuid().ToString("N")[..8], SiloFactory.AdminKey, SiloFactory.NextAdminKey);
        using var client = silo.Silo.CreateClient();
        // Every plausible member exists from the start, holding every permission well-formed requests ask for, so a
        // well-formed create can succeed whatever came before it (a member set and a create for the same pair ahead of a
        // lock-out was not certain in 10,000 cases).
        foreach (var (organization, user) in generator.Members)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/admin/v1/orgs/{organization}/members/{user}")
            {
                Content = new StringContent("{\"permissions\":[\"admin:*\",\"scans:read\",\"vulns:write\"]}", System.Text.Encoding.UTF8, "application/json"),
            };
            put.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SiloFactory.AdminKey);
            (await client.SendAsync(put)).EnsureSuccessStatusCode();
        }

        // Generated up front from the seed, so the cases do not depend on the order the answers come back in.
        var requests = Enumerable.Range(0, Cases).Select(_ => generator.Next()).ToArray();
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var clock = Stopwatch.StartNew();

        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (request, cancellationToken) =>
        {
            var (status, problem) = await SendAndCheckAsync(client, request, generator, cancellationToken);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (problem is not null)
            {
                failures.Enqueue($"{problem}\n    {request}");
            }
        });

        var byStatus = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
        output.WriteLine($"admin fuzz: {Cases} cases, {failures.Count} failures (seed {seed}, {generator.RouteCount} routes, {clock.Elapsed.TotalSeconds:0.0} s)");
        output.WriteLine($"admin fuzz: answers by status: {byStatus}");
        foreach (var failure in failures.Take(20))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {Cases} cases broke a property (seed {seed}); first: {failures.FirstOrDefault()}");
        // The generator reaches past the checks: successes, refusals and the lock-out all happen.
        Assert.Contains(200, statuses.Keys);
        Assert.Contains(201, statuses.Keys);
        Assert.Contains(401, statuses.Keys);
        Assert.Contains(400, statuses.Keys);
        Assert.Contains(413, statuses.Keys);
        Assert.Contains(429, statuses.Keys);
    }

    private static async Task<(int Status, string? Problem)> SendAndCheckAsync(HttpClient client, FuzzRequest fuzz, AdminRequestGenerator generator, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(fuzz.Method), fuzz.PathAndQuery);
        foreach (var (name, value) in fuzz.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (fuzz.Body is { } body)
        {
            request.Content = fuzz.Chunked ? new StreamContent(new UnseekableStream(body)) : new ByteArrayContent(body);
            if (fuzz.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        using var response = await client.SendAsync(request, cancellationToken);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (status >= 500)
        {
            return (status, $"{status}: a server error ({text})");
        }

        if (!fuzz.ValidKey && status is >= 200 and < 300)
        {
            return (status, $"{status}: a request without an accepted key succeeded");
        }

        if (fuzz.Method == "HEAD")
        {
            return (status, null);
        }

        if (status >= 400)
        {
            if (mediaType != "application/problem+json")
            {
                return (status, $"{status}: answered as {mediaType ?? "(no content type)"}, not problem+json");
            }

            if (!TryParse(text, out var problem) || problem.ValueKind != JsonValueKind.Object
                || !problem.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String
                || !AdminProblems.AllCodes.Contains(code.GetString()!))
            {
                return (status, $"{status}: the problem has no documented code: {text}");
            }

            return problem.TryGetProperty("status", out var statusProperty) && statusProperty.TryGetInt32(out var stated) && stated == status
                ? (status, null)
                : (status, $"{status}: the problem states another status: {text}");
        }

        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return (status, text.Length == 0 ? null : $"204 with a body: {text}");
        }

        if (mediaType != "application/json" || !TryParse(text, out var json))
        {
            return (status, $"{status}: a success that is not JSON ({mediaType}): {text}");
        }

        if (status == 201 && json.TryGetProperty("tokenId", out var tokenId) && tokenId.TryGetGuid(out var id))
        {
            generator.Remember(id);
        }

        return (status, null);
    }

    private static bool TryParse(string text, out JsonElement element)
    {
        try
        {
            element = JsonDocument.Parse(text).RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            element = default;
            return false;
        }
    }

    /// <summary>Hides its length, so the body goes without Content-Length.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
