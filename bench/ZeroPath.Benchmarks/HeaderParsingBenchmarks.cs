using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using ZeroPath.Gateway.Authentication;

namespace ZeroPath.Benchmarks;

/// <summary>The gateway's in-process shape check of the two credential headers, before any cluster call.</summary>
[MemoryDiagnoser]
public class HeaderParsingBenchmarks
{
    private readonly HeaderDictionary valid = new()
    {
        [TokenHeaders.TokenId] = "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d",
        [TokenHeaders.TokenSecret] = "Y7qGza93uwoZhojhRf2URrNkbEoxxVBxLbJ_W1TRMxc",
    };

    private readonly HeaderDictionary missing = new() { ["Accept"] = "*/*" };

    private readonly HeaderDictionary malformed = new()
    {
        [TokenHeaders.TokenId] = "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d",
        [TokenHeaders.TokenSecret] = new string('A', 4096),
    };

    [Benchmark(Baseline = true, Description = "well-formed headers")]
    public AuthFailure Valid() => TokenCredentials.TryParse(valid, out _);

    [Benchmark(Description = "headers missing")]
    public AuthFailure Missing() => TokenCredentials.TryParse(missing, out _);

    [Benchmark(Description = "oversized secret")]
    public AuthFailure Malformed() => TokenCredentials.TryParse(malformed, out _);
}
