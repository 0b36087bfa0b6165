using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ZeroPath.Tokens;

namespace ZeroPath.Bench.Edge;

/// <summary>
/// The refusal-timing scenario: how long the gateway takes to refuse each kind of wrong credentials
/// (<see cref="TimingKinds"/>), first sight of an id (cold) and repeated (warm), over HTTP on loopback against a gateway
/// started for it after its tokens were made and the silo restarted. All kinds are interleaved in one random order, one
/// request at a time over one kept-alive connection, so that whatever else the machine does weighs on each kind alike.
/// </summary>
internal sealed class TimingPhase(BenchSettings settings)
{
    public async Task<TimingResult> RunAsync()
    {
        var startedAt = DateTimeOffset.UtcNow;
        var machine = MachineInfo.Read(settings);
        var seed = settings.TimingSeed;
        var random = new Random(seed);
        var sets = await TimingSeeder.ReadAsync(settings.Results);
        var keyRing = new SecretFormatKeyRing(
            new Dictionary<string, byte[]> { [settings.KeyId] = Convert.FromBase64String(BenchSettings.FormatKey) }, settings.KeyId, acceptLegacySecrets: true);
        using var admin = new AdminClient(settings.Admin, BenchSettings.AdminKey);

        var pushed = Both(sets, TimingKinds.RevokedPushed);
        Console.WriteLine($"==> refusal timing: revoking the {pushed.Length} tokens of {TimingKinds.RevokedPushed} (pushed to the timing gateway)");
        await TimingSeeder.RevokeAsync(admin, pushed);
        await Task.Delay(TimeSpan.FromSeconds(1));

        foreach (var set in new[] { TimingKinds.InUseRandom, TimingKinds.InUseLegacy })
        {
            var inUse = Both(sets, set);
            var failures = await AuthCheck.WarmAsync(settings.GatewayTiming, inUse, parallelism: 4);
            if (failures > 0)
            {
                throw new InvalidOperationException($"{failures} of the {inUse.Length} tokens of {set} did not validate at the timing gateway.");
            }
        }

        Console.WriteLine("    the tokens of inuse.* validated once at the timing gateway with their own secrets (now cached there)");
        using var http = AuthCheck.Client(settings.GatewayTiming);
        using (await http.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
        }

        var runner = new TimingRunner(http, keyRing, settings.KeyId, settings.TimingGapMs);
        var warmupIds = settings.TimingWarmupIds;
        var warmupPlan = Plan(Pools(sets, TimingSeeder.WarmupSuffix, warmupIds), warmupIds * (TimingKinds.TaggedRequestsPerToken - 1), blocks: 1, random);
        Console.WriteLine($"==> refusal timing: warm-up, {warmupPlan.Steps.Length} requests (discarded)");
        var warmup = await runner.RunAsync(warmupPlan);

        var blocks = Math.Max(1, settings.TimingCold / IdsPerBlock);
        var plan = Plan(Pools(sets, "", settings.TimingCold), settings.TimingWarm, blocks, random);
        Console.WriteLine($"==> refusal timing: {plan.Steps.Length} requests, {TimingKinds.All.Length} kinds interleaved in random order, {blocks} blocks (seed {seed})");
        var loadBefore = MachineInfo.LoadAverage();
        var started = Stopwatch.GetTimestamp();
        var samples = await runner.RunAsync(plan);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var loadAfter = MachineInfo.LoadAverage();
        await WriteSamplesAsync(samples);

        var kinds = TimingKinds.All.Select((kind, index) => new TimingKindResult(
            kind.Id,
            kind.Title,
            kind.Path,
            LatencySummary.Of(Latencies(samples, index, cold: true)),
            LatencySummary.Of(Latencies(samples, index, cold: false)),
            samples.Where(s => s.Kind == index).GroupBy(s => $"{s.Answer}, {s.Bytes} bytes").ToDictionary(g => g.Key, g => g.LongCount()))).ToArray();
        var comparisons = new List<TimingComparison>();
        foreach (var cold in new[] { true, false })
        {
            foreach (var (a, b, question) in TimingKinds.Comparisons)
            {
                var indexA = Array.FindIndex(TimingKinds.All, k => k.Id == a);
                var indexB = Array.FindIndex(TimingKinds.All, k => k.Id == b);
                var compared = TimingStats.Compare(Latencies(samples, indexA, cold), Latencies(samples, indexB, cold), seed + comparisons.Count);
                comparisons.Add(new TimingComparison(cold ? "cold" : "warm", a, b, question, compared));
            }
        }

        var result = new TimingResult(
            startedAt,
            machine,
            new TimingRunSettings(
                settings.TimingCold, settings.TimingWarm, warmup.Length, settings.TimingGapMs, seed, blocks, settings.SeedArgon2, settings.ColdArgon2,
                TimingKinds.TaggedRequestsPerToken),
            seconds,
            samples.Length / seconds,
            runner.BudgetWaits,
            loadBefore,
            loadAfter,
            kinds,
            [.. comparisons],
            TimingStats.BucketEdges,
            LongestIdSpan(samples, plan),
            samples.LongCount(s => s.Answer != TimingRunner.ExpectedAnswer),
            warmup.LongCount(s => s.Answer != TimingRunner.ExpectedAnswer));
        Print(result);
        return result;
    }

    /// <summary>
    /// Ids of each kind per block of the measurement. Every id's requests stay within its block, so a block must end well
    /// within the 5 minutes a gateway remembers an unknown id (after that, its next request would be a grain call again).
    /// </summary>
    private const int IdsPerBlock = 50;

    private static IssuedToken[] Both(Dictionary<string, IssuedToken[]> sets, string set) => [.. sets[set], .. sets[set + TimingSeeder.WarmupSuffix]];

    private static double[] Latencies(TimingSample[] samples, int kind, bool cold) =>
        samples.Where(s => s.Kind == kind && s.Cold == cold).Select(s => s.LatencyMs).ToArray();

    /// <summary>Per kind, the ids it asks about: fresh random ones for an unknown id, else its token set (measured or warm-up).</summary>
    private static TimingPool[] Pools(Dictionary<string, IssuedToken[]> sets, string suffix, int unknownIds) =>
        TimingKinds.All.Select(kind =>
        {
            if (kind.Ids == TimingIds.Unknown)
            {
                return new TimingPool(kind, Enumerable.Range(0, unknownIds).Select(_ => Guid.NewGuid()).ToArray(), null);
            }

            var tokens = sets[kind.TokenSet! + suffix];
            return new TimingPool(kind, tokens.Select(t => Guid.Parse(t.TokenId)).ToArray(), tokens);
        }).ToArray();

    /// <summary>
    /// Every id once (its cold request) and <paramref name="warm"/> repeats per kind spread evenly over its ids. The ids of
    /// each kind are cut into <paramref name="blocks"/> equal parts; block by block, the requests of that part of every
    /// kind are shuffled together. An id's first request in the order is its cold one, wherever the shuffle put it.
    /// </summary>
    internal static TimingPlan Plan(TimingPool[] pools, int warm, int blocks, Random random)
    {
        var order = new List<TimingStep>();
        for (var block = 0; block < blocks; block++)
        {
            var steps = new List<TimingStep>();
            for (var kind = 0; kind < pools.Length; kind++)
            {
                var pool = pools[kind];
                var ids = pool.Ids.Length;
                var (each, extra) = Math.DivRem(warm, ids);
                if (1 + each + (extra > 0 ? 1 : 0) > pool.Kind.MaxRepeatsPerId)
                {
                    throw new InvalidOperationException($"{pool.Kind.Id}: {warm} repeats over {ids} ids exceed {pool.Kind.MaxRepeatsPerId} requests per id.");
                }

                for (var id = block * ids / blocks; id < (block + 1) * ids / blocks; id++)
                {
                    var requests = 1 + each + (id < extra ? 1 : 0);
                    for (var i = 0; i < requests; i++)
                    {
                        steps.Add(new TimingStep(kind, id));
                    }
                }
            }

            var shuffled = steps.ToArray();
            random.Shuffle(shuffled);
            order.AddRange(shuffled);
        }

        return new TimingPlan(pools, [.. order]);
    }

    /// <summary>The longest time, in seconds, from an id's first request to its last.</summary>
    private static double LongestIdSpan(TimingSample[] samples, TimingPlan plan) =>
        samples.Select((sample, order) => (Key: (sample.Kind, plan.Steps[order].Id), sample.StartMs))
            .GroupBy(s => s.Key)
            .Max(g => g.Max(s => s.StartMs) - g.Min(s => s.StartMs)) / 1000;

    private async Task WriteSamplesAsync(TimingSample[] samples)
    {
        var csv = new StringBuilder("order,kind,phase,start_ms,latency_ms,answer,bytes\n");
        foreach (var s in samples)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{s.Order},{TimingKinds.All[s.Kind].Id},{(s.Cold ? "cold" : "warm")},{s.StartMs:F3},{s.LatencyMs:F4},{s.Answer},{s.Bytes}\n");
        }

        await File.WriteAllTextAsync(Path.Combine(settings.Results, "timing-samples.csv"), csv.ToString());
    }

    private static void Print(TimingResult result)
    {
        Console.WriteLine(FormattableString.Invariant(
            $"    {result.DurationSeconds:F1} s, {result.RequestsPerSecond:F0} req/s, unexpected answers {result.UnexpectedAnswers}, budget waits {result.BudgetWaits}"));
        foreach (var kind in result.Kinds)
        {
            Console.WriteLine(FormattableString.Invariant(
                $"    {kind.Id,-18} cold p50 {kind.Cold.P50,8:F3} p99 {kind.Cold.P99,8:F3} ms | warm p50 {kind.Warm.P50,8:F3} p99 {kind.Warm.P99,8:F3} ms"));
        }
    }
}

internal sealed record TimingPool(TimingKind Kind, Guid[] Ids, IssuedToken[]? Tokens);

internal readonly record struct TimingStep(int Kind, int Id);

internal sealed record TimingPlan(TimingPool[] Pools, TimingStep[] Steps);

/// <summary>One request: when it started (ms since the run began), how long until its answer was read, and the answer.</summary>
internal readonly record struct TimingSample(int Order, int Kind, bool Cold, double StartMs, double LatencyMs, string Answer, long Bytes);

/// <summary>Sends a plan's requests one at a time and times each from sending to having read the whole answer.</summary>
internal sealed class TimingRunner(HttpClient http, SecretFormatKeyRing keyRing, string keyId, int gapMs)
{
    /// <summary>What every refusal here should be answered, whatever its kind: anything else tells the kinds apart by itself.</summary>
    public const string ExpectedAnswer = "401 invalid_token";

    /// <summary>Legacy lookups allowed in any second, below the gateway's default budget (50/s), so none answers 503.</summary>
    private const int LegacyPerSecond = 40;

    private readonly Queue<long> legacyStarts = new();

    /// <summary>Times a request waited so that legacy lookups stayed within <see cref="LegacyPerSecond"/>.</summary>
    public int BudgetWaits { get; private set; }

    public async Task<TimingSample[]> RunAsync(TimingPlan plan)
    {
        var seen = plan.Pools.Select(p => new bool[p.Ids.Length]).ToArray();
        var samples = new TimingSample[plan.Steps.Length];
        var runStarted = Stopwatch.GetTimestamp();
        for (var order = 0; order < plan.Steps.Length; order++)
        {
            var (kindIndex, idIndex) = plan.Steps[order];
            var pool = plan.Pools[kindIndex];
            var kind = pool.Kind;
            var id = pool.Ids[idIndex];
            var cold = !seen[kindIndex][idIndex];
            seen[kindIndex][idIndex] = true;
            var secret = kind.Secrets switch
            {
                TimingSecrets.RandomCurrent => SecretShapes.NewFormat(keyId),
                TimingSecrets.Tagged => keyRing.NewSecret(id),
                TimingSecrets.Legacy => SecretShapes.Legacy(),
                TimingSecrets.Right => pool.Tokens![idIndex].Secret,
                _ => throw new InvalidOperationException("Unknown secret kind."),
            };
            if (kind.SpendsLegacyBudget(cold))
            {
                await StayWithinBudgetAsync();
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/check");
            request.Headers.Add("X-ZeroPath-API-Token-Id", id.ToString("D"));
            request.Headers.Add("X-ZeroPath-API-Token-Secret", secret);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var body = await response.Content.ReadAsByteArrayAsync();
            samples[order] = new TimingSample(
                order, kindIndex, cold, Stopwatch.GetElapsedTime(runStarted, started).TotalMilliseconds, latency, await AnswerAsync(response), body.Length);
            if (gapMs > 0)
            {
                await Task.Delay(gapMs);
            }

            if ((order + 1) % Math.Max(1, plan.Steps.Length / 10) == 0)
            {
                Console.WriteLine(FormattableString.Invariant($"    {order + 1} of {plan.Steps.Length} requests, {Stopwatch.GetElapsedTime(runStarted).TotalSeconds:F0} s"));
            }
        }

        return samples;
    }

    private async Task StayWithinBudgetAsync()
    {
        var now = Stopwatch.GetTimestamp();
        while (legacyStarts.Count > 0 && Stopwatch.GetElapsedTime(legacyStarts.Peek(), now) >= TimeSpan.FromSeconds(1))
        {
            legacyStarts.Dequeue();
        }

        if (legacyStarts.Count >= LegacyPerSecond)
        {
            BudgetWaits++;
            var wait = TimeSpan.FromSeconds(1) - Stopwatch.GetElapsedTime(legacyStarts.Dequeue(), now);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        legacyStarts.Enqueue(Stopwatch.GetTimestamp());
    }

    /// <summary>Status and problem code ("401 invalid_token"); the code from WWW-Authenticate, or from the body otherwise.</summary>
    private static async Task<string> AnswerAsync(HttpResponseMessage response)
    {
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return status + " ok";
        }

        foreach (var challenge in response.Headers.WwwAuthenticate)
        {
            var parameter = challenge.Parameter ?? "";
            var at = parameter.IndexOf("error=\"", StringComparison.Ordinal);
            if (at >= 0)
            {
                var start = at + "error=\"".Length;
                var end = parameter.IndexOf('"', start);
                return $"{status} {parameter[start..(end < 0 ? parameter.Length : end)]}";
            }
        }

        var text = await response.Content.ReadAsStringAsync();
        var code = System.Text.RegularExpressions.Regex.Match(text, "\"code\"\\s*:\\s*\"([a-z_]+)\"");
        return code.Success ? $"{status} {code.Groups[1].Value}" : status;
    }
}

internal sealed record TimingRunSettings(
    int ColdPerKind,
    int WarmPerKind,
    int WarmupRequests,
    int GapMs,
    int Seed,
    int Blocks,
    string CheapArgon2,
    string ProductionArgon2,
    int TaggedRequestsPerToken);

internal sealed record TimingKindResult(string Id, string Title, string Path, LatencySummary Cold, LatencySummary Warm, Dictionary<string, long> Answers);

internal sealed record TimingComparison(string Phase, string A, string B, string Question, SampleComparison Result);

/// <summary>Everything the refusal-timing scenario measured (written to results/timing.json); latencies in milliseconds.</summary>
internal sealed record TimingResult(
    DateTimeOffset StartedAt,
    Machine Machine,
    TimingRunSettings Settings,
    double DurationSeconds,
    double RequestsPerSecond,
    int BudgetWaits,
    string LoadBefore,
    string LoadAfter,
    TimingKindResult[] Kinds,
    TimingComparison[] Comparisons,
    double[] BucketEdges,
    double LongestIdSpanSeconds,
    long UnexpectedAnswers,
    long UnexpectedWarmupAnswers);
