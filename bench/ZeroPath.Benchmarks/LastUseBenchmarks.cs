using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Usage;

namespace ZeroPath.Benchmarks;

/// <summary>
/// What recording the last use costs a gateway decision answered from the validation cache: without a recorder (the
/// baseline, as before the feature), with recording on and the token already recorded this minute from this address (the
/// steady state: two comparisons), and the worst case, where every request comes from another address than the last one
/// (one dictionary write and one small allocation per request).
/// </summary>
[MemoryDiagnoser]
public class LastUseBenchmarks
{
    private CachedDecisions decisions = null!;
    private TokenAuthenticator without = null!;
    private TokenAuthenticator recording = null!;
    private HttpRequest request = null!;
    private HttpRequest otherRequest = null!;
    private HttpRequest alternating = null!;
    private int turn;

    [GlobalSetup]
    public void Setup()
    {
        decisions = new CachedDecisions();
        // The grain factory is never called: nothing is flushed during a benchmark.
        var recorder = new TokenUseRecorder(new LastUseOptions(), null!, TimeProvider.System, NullLogger<TokenUseRecorder>.Instance);
        without = decisions.Authenticator();
        recording = decisions.Authenticator(recorder);
        request = decisions.Cached("203.0.113.9", indexSequence: 7);
        alternating = decisions.Cached("203.0.113.9", indexSequence: 7);
        otherRequest = CachedDecisions.Request(alternating.Headers[TokenHeaders.TokenId]!, alternating.Headers[TokenHeaders.TokenSecret]!, "203.0.113.10");
        decisions.Confirm(recording, request, alternating, otherRequest);
    }

    [GlobalCleanup]
    public void Cleanup() => decisions.Dispose();

    [Benchmark(Baseline = true, Description = "cache hit, no use recording")]
    public ValueTask<AuthDecision> Without() => without.AuthenticateAsync(request);

    [Benchmark(Description = "cache hit, use recorded already this minute")]
    public ValueTask<AuthDecision> Recorded() => recording.AuthenticateAsync(request);

    [Benchmark(Description = "cache hit, client address changes every request")]
    public ValueTask<AuthDecision> AddressChanges() => recording.AuthenticateAsync((turn++ & 1) == 0 ? alternating : otherRequest);
}
