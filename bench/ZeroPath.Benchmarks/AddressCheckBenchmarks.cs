using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using ZeroPath.Gateway.Authentication;

namespace ZeroPath.Benchmarks;

/// <summary>
/// A whole gateway decision answered from the validation cache (<see cref="TokenAuthenticator.AuthenticateAsync(HttpRequest)"/>:
/// header parsing, cache lookup, and the client address check), for a token without <c>allowedCidrs</c> (what every
/// token costs; the baseline, comparable with a build from before the option) and for tokens limited to 1 range and to
/// 32 ranges with the client in the last one (the worst case).
/// </summary>
[MemoryDiagnoser]
public class AddressCheckBenchmarks
{
    private CachedDecisions decisions = null!;
    private TokenAuthenticator authenticator = null!;
    private HttpRequest open = null!;
    private HttpRequest oneRange = null!;
    private HttpRequest manyRanges = null!;

    [GlobalSetup]
    public void Setup()
    {
        decisions = new CachedDecisions();
        authenticator = decisions.Authenticator();
        open = decisions.Cached("203.0.113.9");
        oneRange = decisions.Cached("203.0.113.9", ["203.0.113.0/24"]);
        manyRanges = decisions.Cached("2001:db8::9", [.. Enumerable.Range(0, 31).Select(i => $"10.{i}.0.0/16"), "2001:db8::/32"]);
        decisions.Confirm(authenticator, open, oneRange, manyRanges);
    }

    [GlobalCleanup]
    public void Cleanup() => decisions.Dispose();

    [Benchmark(Baseline = true, Description = "cache hit, token without allowedCidrs")]
    public ValueTask<AuthDecision> Open() => authenticator.AuthenticateAsync(open);

    [Benchmark(Description = "cache hit, 1 range")]
    public ValueTask<AuthDecision> OneRange() => authenticator.AuthenticateAsync(oneRange);

    [Benchmark(Description = "cache hit, 32 ranges, IPv6 client in the last")]
    public ValueTask<AuthDecision> ManyRanges() => authenticator.AuthenticateAsync(manyRanges);
}
