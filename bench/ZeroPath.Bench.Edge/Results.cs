namespace ZeroPath.Bench.Edge;

/// <summary>One token as created through the admin API (the secret is only ever written to the bench's own files).</summary>
internal sealed record IssuedToken(string TokenId, string Secret, string OrgId, string UserId, string[] Permissions, DateTimeOffset ExpiresAt);

internal sealed record WrkErrors(long Connect, long Read, long Write, long Status, long Timeout);

/// <summary>Latency percentiles of one wrk run, in microseconds.</summary>
internal sealed record WrkLatency(long Min, double Mean, double Stdev, long Max, long P50, long P75, long P90, long P99, long P999);

/// <summary>One measured wrk run, parsed from the line the Lua <c>done()</c> prints.</summary>
internal sealed record WrkRun(
    string Name,
    string Command,
    long Requests,
    double DurationSeconds,
    double RequestsPerSecond,
    WrkErrors Errors,
    WrkLatency LatencyUs,
    Dictionary<string, long>? Codes)
{
    /// <summary>Answers that were not 2xx/3xx, plus socket errors and timeouts: should be 0 for every valid-token run.</summary>
    public long Failures => Errors.Status + Errors.Connect + Errors.Read + Errors.Write + Errors.Timeout;

    /// <summary>Two halves of one measurement: counts add up; percentiles are the mean of the halves' (wrk keeps no mergeable histogram).</summary>
    public static WrkRun Combine(WrkRun first, WrkRun second)
    {
        var requests = first.Requests + second.Requests;
        var seconds = first.DurationSeconds + second.DurationSeconds;
        var (x, y) = (first.LatencyUs, second.LatencyUs);
        Dictionary<string, long>? codes = null;
        if (first.Codes is not null || second.Codes is not null)
        {
            codes = new Dictionary<string, long>(first.Codes ?? []);
            foreach (var (key, value) in second.Codes ?? [])
            {
                codes[key] = codes.GetValueOrDefault(key) + value;
            }
        }

        return new WrkRun(
            first.Name,
            first.Command + "   # x2",
            requests,
            seconds,
            requests / seconds,
            new WrkErrors(
                first.Errors.Connect + second.Errors.Connect,
                first.Errors.Read + second.Errors.Read,
                first.Errors.Write + second.Errors.Write,
                first.Errors.Status + second.Errors.Status,
                first.Errors.Timeout + second.Errors.Timeout),
            new WrkLatency(
                Math.Min(x.Min, y.Min),
                (x.Mean + y.Mean) / 2,
                (x.Stdev + y.Stdev) / 2,
                Math.Max(x.Max, y.Max),
                (x.P50 + y.P50) / 2,
                (x.P75 + y.P75) / 2,
                (x.P90 + y.P90) / 2,
                (x.P99 + y.P99) / 2,
                (x.P999 + y.P999) / 2),
            codes);
    }
}

internal sealed record SeedingResult(int Tokens, int Organizations, int Parallelism, double Seconds, double TokensPerSecond, string Argon2);

/// <summary>Per event and gateway: from the admin call returning to the gateway's first answer with the change.</summary>
internal sealed record PropagationResult(
    string Kind,
    int Events,
    int Gateways,
    Distribution Milliseconds,
    int OverOneSecond,
    int TimedOut,
    int AppliedBeforeReturn,
    long ChecksSentAfterReturnStillOld,
    long OldAnswersAfterFirstNew,
    long UnexpectedAnswers,
    WrkRun[] LoadDuring);

internal sealed record FloodResult(string Id, string Description, int TargetRate, WrkRun Flood, WrkRun Valid);

internal sealed record ColdResult(
    int Tokens,
    string Argon2,
    double CreationSeconds,
    Distribution FirstMilliseconds,
    Distribution SecondMilliseconds,
    int FirstFailures,
    int SecondFailures);

internal sealed record Machine(int Cores, string CpuModel, string Runtime, string Sdk, string Wrk, string Os, string LoadAverage);

internal sealed record RunSettings(
    int Threads,
    int Connections,
    int DurationSeconds,
    int WarmupSeconds,
    int Tokens,
    int PropagationEvents,
    int FloodRate,
    int FloodConnections,
    string SecretShape);

/// <summary>Everything the load phase measured (written to results/load.json).</summary>
internal sealed record LoadResults(
    DateTimeOffset StartedAt,
    Machine Machine,
    RunSettings Settings,
    SeedingResult Seeding,
    Dictionary<string, WrkRun> Runs,
    long WarmupFailures,
    PropagationResult[] Propagation,
    FloodResult[] Floods);

/// <summary>Scenario (h), as printed by <c>ZeroPath.Benchmarks memory N</c> (bench/ZeroPath.Benchmarks/MemoryFootprint.cs).</summary>
internal sealed record MemoryResult(
    int Tokens,
    double GatewayCacheBytesPerToken,
    double GatewayRefusalBytesPerId,
    double SiloBytesPerActiveTokenGrain,
    double SiloBytesPerValidatedTokenGrain);
