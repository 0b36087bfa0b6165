using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace ZeroPath.Gateway.Tests.Fuzzing;

/// <summary>
/// The same generated headers as raw bytes over a socket to Kestrel: what HttpClient will not send (CR, LF, NUL, bytes
/// above 0x7F) reaches the server. Kestrel answers some of it itself before the gateway sees the request (400 for a
/// malformed header line, 431 for headers over 32 KB): those are not the gateway's answers and carry no problem body,
/// and are counted apart. Everything else must satisfy the same properties as <see cref="CredentialHeaderFuzzTests"/>.
/// </summary>
public class RawCredentialHeaderFuzzTests(KestrelGatewayFixture fixture, ITestOutputHelper output) : IClassFixture<KestrelGatewayFixture>
{
    private const int Cases = 2_000;

    [Fact]
    public async Task Raw_header_bytes_never_give_a_5xx_and_only_the_valid_pair_is_accepted()
    {
        var (_, token) = await fixture.IssueAsync(["scans:read"]);
        var cases = new CredentialHeaderCases(token.TokenId, token.Secret);
        var seed = CredentialHeaderCases.Seed();
        var requests = cases.Sample(Cases, seed);
        using (var warm = await fixture.Gateway.CreateClient().SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check", token.TokenId, token.Secret)))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var failures = new ConcurrentQueue<string>();
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (request, cancellationToken) =>
        {
            var response = await RawHttpClient.SendAsync(fixture.Address, request, cancellationToken);
            var (outcome, failure) = IsKestrelRejection(response)
                ? ($"{response.Status} (Kestrel)", CredentialHeaderFuzzTests.Acceptable(cases, request.Headers) && !HasBytesKestrelRefuses(request) ? "Kestrel refused the valid pair" : null)
                : CredentialHeaderFuzzTests.Judge(
                    cases,
                    request,
                    response.Status,
                    response.Headers.GetValueOrDefault("Content-Type")?.Split(';')[0],
                    response.Headers.GetValueOrDefault("WWW-Authenticate") ?? "",
                    response.Body);
            outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
            if (failure is not null)
            {
                failures.Enqueue($"{failure}\n    request: {request}");
            }
        });
        clock.Stop();

        output.WriteLine($"gateway fuzz (raw bytes to Kestrel): {requests.Length} cases, {failures.Count} failures (seed {seed}; {clock.Elapsed.TotalSeconds:F1} s)");
        output.WriteLine("outcomes: " + string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));
        foreach (var failure in failures.Take(20))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Length} cases failed (seed {seed}); first: {failures.FirstOrDefault()}");
        Assert.True(outcomes.GetValueOrDefault("200 ok") > 20, "too few valid pairs were generated");
    }

    /// <summary>Kestrel's own refusal of a request it could not parse or would not read: no problem body.</summary>
    private static bool IsKestrelRejection(RawResponse response) =>
        response.Status is 400 or 431 && !response.Headers.ContainsKey("Content-Type") && response.Body.Length == 0;

    /// <summary>A CR or LF in a value ends the header line early: what Kestrel then sees is not the pair generated.</summary>
    /// <summary>
    /// A header (any header, not only the credentials) with a line break, a control character or a byte outside ASCII:
    /// Kestrel answers 400 before the gateway sees the request, whatever the credentials. Or headers near or over
    /// Kestrel's 32 KB limit on all of them (<c>MaxRequestHeadersTotalSize</c>): it answers 431, whatever the credentials.
    /// </summary>
    private static bool HasBytesKestrelRefuses(FuzzRequest request) =>
        request.Headers.Any(h => h.Value.Any(c => (c < 0x20 && c != '\t') || c >= 0x7F))
        || request.Headers.Sum(h => h.Key.Length + h.Value.Length + 4) > NearKestrelHeaderLimit;

    /// <summary>Kestrel's default <c>MaxRequestHeadersTotalSize</c> (32 KiB), less a margin for how it counts.</summary>
    private const int NearKestrelHeaderLimit = 32 * 1024 - 1024;
}
