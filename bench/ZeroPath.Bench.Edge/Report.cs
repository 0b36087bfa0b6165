using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ZeroPath.Bench.Edge;

/// <summary>One line of the report's summary: a measured figure next to the target the issue set for it.</summary>
internal sealed record TargetCheck(string Scenario, string What, double Measured, string MeasuredText, string Target, bool Met);

/// <summary>Writes <c>docs/benchmarks.md</c> and <c>results/summary.json</c> from what the phases measured.</summary>
internal sealed class Report(
    LoadResults load,
    ColdResult? cold,
    MemoryResult? memory,
    TimingResult? timing,
    IReadOnlyList<string> commands,
    TimeSpan? elapsed,
    string endLoadAverage,
    string? foreignCpu,
    string? timingForeignCpu,
    string invocation)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly (string Subject, string Baseline, double Target, string Scenario)[] RatioTargets =
    [
        ("b.1", "a.static", 0.90, "(b)/(a), 1 token"),
        ("b.10k", "a.rotating", 0.90, "(b)/(a), {0} tokens"),
        ("c.1", "d.1", 1.00, "(c)/(d), 1 token"),
        ("c.10k", "d.10k", 1.00, "(c)/(d), {0} tokens"),
        ("e.gateway", "e.plain", 0.85, "(e)/plain proxy"),
    ];

    private Dictionary<string, string> RunTitles => new()
    {
        ["a.static"] = "(a) `/healthz`, static headers of 1 token",
        ["b.1"] = "(b) `/auth/check`, 1 token (static headers)",
        ["a.rotating"] = $"(a) `/healthz`, {N0(load.Settings.Tokens)} tokens' headers rotating (Lua)",
        ["b.10k"] = $"(b) `/auth/check`, {N0(load.Settings.Tokens)} tokens round robin (Lua)",
        ["d.1"] = "(d) RedisEdge `/auth/check`, 1 token",
        ["c.1"] = "(c) gateway without cache `/auth/check`, 1 token",
        ["d.10k"] = $"(d) RedisEdge `/auth/check`, {N0(load.Settings.Tokens)} tokens",
        ["c.10k"] = $"(c) gateway without cache `/auth/check`, {N0(load.Settings.Tokens)} tokens",
        ["e.plain"] = "(e) PlainProxy `/api/v2/x`, no authentication",
        ["e.gateway"] = "(e) cached gateway `/api/v2/x`, 1 token",
    };

    public IReadOnlyList<TargetCheck> Checks()
    {
        var checks = new List<TargetCheck>();
        foreach (var (subject, baseline, target, scenario) in RatioTargets)
        {
            if (Ratio(subject, baseline) is { } ratio)
            {
                checks.Add(new TargetCheck(string.Format(Inv, scenario, N0(load.Settings.Tokens)), $"{subject} / {baseline} req/s", ratio, F2(ratio), $">= {F2(target)}", ratio >= target));
            }
        }

        foreach (var p in load.Propagation)
        {
            checks.Add(new TargetCheck($"(f) {p.Kind}", "p99 ms", p.Milliseconds.P99, F2(p.Milliseconds.P99), "<= 100 ms", p.Milliseconds.P99 <= 100));
            checks.Add(new TargetCheck($"(f) {p.Kind}", "max ms", p.Milliseconds.Max, F2(p.Milliseconds.Max), "<= 1,000 ms", p.Milliseconds.Max <= 1000 && p.TimedOut == 0));
            checks.Add(new TargetCheck($"(f) {p.Kind}", "old answers after the first new one", p.OldAnswersAfterFirstNew, N0(p.OldAnswersAfterFirstNew), "0", p.OldAnswersAfterFirstNew == 0));
        }

        if (load.Runs.TryGetValue("b.1", out var b))
        {
            foreach (var flood in load.Floods)
            {
                var ratio = flood.Valid.RequestsPerSecond / b.RequestsPerSecond;
                checks.Add(new TargetCheck($"({flood.Id[2..]}) flood", "valid req/s / (b) 1 token", ratio, F2(ratio), ">= 0.80", ratio >= 0.80));
            }
        }

        return checks;
    }

    public string Markdown()
    {
        var md = new StringBuilder();
        var s = load.Settings;
        var m = load.Machine;
        md.AppendLine("# Edge benchmarks").AppendLine();
        md.AppendLine("`./bench.sh` measures the public edge on one machine. Every process runs side by side on the same cores, and");
        md.AppendLine("each figure is compared with a baseline measured the same way in the same run: **the ratios are what to compare**;");
        md.AppendLine("absolute figures depend on the machine and on wrk sharing its cores with the processes it measures. Ratios move");
        md.AppendLine("by about ±0.05 from run to run. What bounds each figure, profiled: [performance.md](performance.md).").AppendLine();
        md.AppendLine("What runs, all on loopback: redis-server and Azurite; 1 silo; 2 gateways with the validation cache (the default)");
        md.AppendLine("and 1 with `--ZeroPath:Gateway:Cache:Enabled=false`; the demo upstream (`tools/demo-upstream`); two comparison");
        md.AppendLine("services, **RedisEdge** (`bench/ZeroPath.Bench.RedisEdge`: SHA-256 of the secret and one `HMGET` in its own");
        md.AppendLine("redis-server per request, nothing cached in process, no telemetry) and **PlainProxy** (`bench/ZeroPath.Bench.PlainProxy`:");
        md.AppendLine("the gateway's `/api/v2/{**rest}` YARP route to the same upstream, without authentication); both are minimal hosts");
        md.AppendLine("(`WebApplication.CreateSlimBuilder`, no OpenTelemetry), while the gateways carry the product's telemetry wiring");
        md.AppendLine("(instrumented, nothing exported: no OTLP endpoint is set). The driver");
        md.AppendLine("(`bench/ZeroPath.Bench.Edge`) creates tokens through the admin API, runs wrk with `bench/lua/edge.lua` (the same");
        md.AppendLine("script on both sides of every comparison; its `done()` prints the counts and latency percentiles) and writes this");
        md.AppendLine("file and `bench/results/summary.json`. The last section, refusal timing, is a different kind of measurement:");
        md.AppendLine("single requests timed one by one against a gateway of its own (`./bench.sh --timing-only` runs it alone).").AppendLine();
        md.AppendLine(Inv, $"Every wrk run: `-t{s.Threads} -c{s.Connections}` (wrk gets at most one of the cores). Before any measurement each endpoint");
        md.AppendLine("gets a few seconds of load (JIT compilation settles); each measurement starts with a warm-up run (discarded). The");
        md.AppendLine(Inv, $"two sides of a comparison are each measured for {s.DurationSeconds} s in two halves, in the order baseline, subject, subject, baseline,");
        md.AppendLine("so drift in the machine weighs on both alike: req/s is over both halves, p50/p99 the mean of the two halves'.");
        md.AppendLine(Inv, $"Seeded tokens are hashed with cheap Argon2 ({load.Seeding.Argon2}: the silo runs with");
        md.AppendLine("`--ZeroPath:Argon2:MemoryKiB=64 --ZeroPath:Argon2:Iterations=1`) so that thousands can be created quickly; scenario (i) restarts the silo without");
        md.AppendLine("these settings and runs with the production parameters. Warm means every token was validated once at the target");
        md.AppendLine("before measuring. Latencies are wrk's, per request, in milliseconds; \"failures\" counts answers other than 2xx/3xx");
        md.AppendLine("plus socket errors and timeouts (0 expected for valid tokens).").AppendLine();

        md.AppendLine("## Machine and run").AppendLine();
        md.AppendLine("| | |").AppendLine("| --- | --- |");
        md.AppendLine(Inv, $"| CPU | {m.CpuModel}, {m.Cores} cores |");
        md.AppendLine(Inv, $"| OS | {m.Os} |");
        md.AppendLine(Inv, $"| Load average (1, 5, 15 min) before the run | {m.LoadAverage} |");
        md.AppendLine(Inv, $"| CPU used by processes the bench did not start, during scenarios (a)-(g) | {foreignCpu ?? "not measured"} (seconds of CPU time) |");
        md.AppendLine(Inv, $"| .NET | {m.Runtime} (SDK {m.Sdk}), Release builds |");
        md.AppendLine(Inv, $"| wrk | {m.Wrk} |");
        md.AppendLine(Inv, $"| Run | {load.StartedAt:yyyy-MM-dd HH:mm} UTC{(elapsed is { } e ? $", bench.sh took {e.TotalMinutes:F1} min" : "")} |");
        md.AppendLine(Inv, $"| Secrets issued | {s.SecretShape} |");
        md.AppendLine().AppendLine("## Results against the targets").AppendLine();
        md.AppendLine("| Scenario | Measured | Value | Target | Result |").AppendLine("| --- | --- | ---: | --- | --- |");
        foreach (var check in Checks())
        {
            md.AppendLine(Inv, $"| {check.Scenario} | {check.What} | {check.MeasuredText} | {check.Target} | {(check.Met ? "met" : "missed")} |");
        }

        md.AppendLine();
        RunTable(md, "(a), (b): `/auth/check` with a warm cache against the unauthenticated `/healthz`", ["a.static", "b.1", "a.rotating", "b.10k"]);
        md.AppendLine("Both sides of each ratio send the same headers; with 10,000 tokens both use the same Lua script rotating them, so");
        md.AppendLine("wrk's own cost is the same on both sides.").AppendLine();
        RunTable(md, "(c), (d): the gateway without its cache (one grain call per request) against RedisEdge", ["d.1", "c.1", "d.10k", "c.10k"]);
        RunTable(md, "(e): authenticated proxying through the cached gateway against plain YARP", ["e.plain", "e.gateway"]);
        md.AppendLine("Both send the same token headers to `/api/v2/x`; the demo upstream echoes what it receives.").AppendLine();
        PropagationSection(md);
        FloodSection(md);
        MemorySection(md);
        ColdSection(md);
        md.Append(TimingReport.Markdown(timing, timingForeignCpu, invocation, commands: null));
        CommandsSection(md);
        return md.ToString();
    }

    public object Summary() => new
    {
        generatedAt = DateTimeOffset.UtcNow,
        load.StartedAt,
        elapsedSeconds = elapsed?.TotalSeconds,
        machine = load.Machine,
        endLoadAverage,
        foreignCpuDuringLoadPhase = foreignCpu,
        settings = load.Settings,
        seeding = load.Seeding,
        warmupFailures = load.WarmupFailures,
        targets = Checks(),
        runs = load.Runs.Values.Select(r => new
        {
            id = r.Name,
            r.RequestsPerSecond,
            p50Ms = r.LatencyUs.P50 / 1000.0,
            p99Ms = r.LatencyUs.P99 / 1000.0,
            r.Requests,
            r.Failures,
            baseline = RatioTargets.FirstOrDefault(t => t.Subject == r.Name).Baseline,
            ratio = RatioTargets.FirstOrDefault(t => t.Subject == r.Name) is { Baseline: { } baseline } ? Ratio(r.Name, baseline) : null,
        }),
        propagation = load.Propagation.Select(p => new
        {
            p.Kind,
            p.Events,
            p.Gateways,
            p50Ms = p.Milliseconds.P50,
            p99Ms = p.Milliseconds.P99,
            maxMs = p.Milliseconds.Max,
            p.OverOneSecond,
            p.TimedOut,
            p.AppliedBeforeReturn,
            p.ChecksSentAfterReturnStillOld,
            p.OldAnswersAfterFirstNew,
            p.UnexpectedAnswers,
            loadRequestsPerSecond = p.LoadDuring.Select(l => l.RequestsPerSecond),
        }),
        floods = load.Floods.Select(f => new
        {
            f.Id,
            f.Description,
            f.TargetRate,
            floodRequestsPerSecond = f.Flood.RequestsPerSecond,
            floodP50Ms = f.Flood.LatencyUs.P50 / 1000.0,
            floodP99Ms = f.Flood.LatencyUs.P99 / 1000.0,
            floodAnswers = f.Flood.Codes,
            validRequestsPerSecond = f.Valid.RequestsPerSecond,
            validP99Ms = f.Valid.LatencyUs.P99 / 1000.0,
            validFailures = f.Valid.Failures,
            ratioToB1 = load.Runs.TryGetValue("b.1", out var b) ? f.Valid.RequestsPerSecond / b.RequestsPerSecond : (double?)null,
        }),
        memory,
        cold,
        timing = timing is null ? null : new
        {
            timing.DurationSeconds,
            timing.UnexpectedAnswers,
            kinds = timing.Kinds.Select(k => new
            {
                k.Id,
                coldP50Ms = k.Cold.P50,
                coldP99Ms = k.Cold.P99,
                warmP50Ms = k.Warm.P50,
                warmP99Ms = k.Warm.P99,
            }),
            comparisons = timing.Comparisons.Select(c => new
            {
                c.Phase,
                c.A,
                c.B,
                c.Result.Ratio,
                c.Result.RatioLow,
                c.Result.RatioHigh,
                c.Result.KsD,
                c.Result.KsP,
                c.Result.Distinguishable,
            }),
        },
    };

    public static JsonSerializerOptions SummaryJson { get; } = new(Json.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private double? Ratio(string subject, string baseline) =>
        load.Runs.TryGetValue(subject, out var s) && load.Runs.TryGetValue(baseline, out var b) && b.RequestsPerSecond > 0
            ? s.RequestsPerSecond / b.RequestsPerSecond
            : null;

    private void RunTable(StringBuilder md, string title, string[] names)
    {
        md.AppendLine(Inv, $"## {title}").AppendLine();
        md.AppendLine("| Run | req/s | p50 ms | p99 ms | failures | Ratio | Target | Result |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var name in names)
        {
            if (!load.Runs.TryGetValue(name, out var run))
            {
                continue;
            }

            var target = RatioTargets.FirstOrDefault(t => t.Subject == name);
            var ratio = target.Baseline is null ? null : Ratio(name, target.Baseline);
            var ratioText = ratio is { } r ? $"{F2(r)} of {target.Baseline}" : "baseline";
            var targetText = target.Baseline is null ? "" : $">= {F2(target.Target)}";
            var result = ratio is { } value ? (value >= target.Target ? "met" : "missed") : "";
            md.AppendLine(Inv, $"| {RunTitles.GetValueOrDefault(name, name)} | {N0(run.RequestsPerSecond)} | {Ms(run.LatencyUs.P50)} | {Ms(run.LatencyUs.P99)} | {N0(run.Failures)} | {ratioText} | {targetText} | {result} |");
        }

        md.AppendLine();
    }

    private void PropagationSection(StringBuilder md)
    {
        md.AppendLine("## (f): revocation and permission-change propagation to the 2 cached gateway processes").AppendLine();
        md.AppendLine("While wrk drives (b)-level load (1 token) on both cached gateways, the driver changes tokens one at a time: it");
        md.AppendLine("revokes one (`POST /admin/v1/tokens/{id}/revoke`), or changes the permissions of a member who has one token");
        md.AppendLine("(`PUT /admin/v1/orgs/{org}/members/{user}`). Each token was validated at both gateways first, and each gateway is");
        md.AppendLine("asked about it back to back by its own client from before the call until three answers sent after the call");
        md.AppendLine("returned show the change. Per event and gateway: the time from the admin call returning to the first answer");
        md.AppendLine("showing the change (401, or the new `X-ZeroPath-Permissions`); 0 when it already showed before the call returned.").AppendLine();
        md.AppendLine("| Kind | Samples (events x gateways) | p50 ms | p99 ms | max ms | over 1 s | shown before the call returned | old answers to checks sent after the return | old answers after the first new one | other answers | p99 target | Result |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var p in load.Propagation)
        {
            var met = p.Milliseconds.P99 <= 100 && p.Milliseconds.Max <= 1000 && p.TimedOut == 0;
            md.AppendLine(Inv, $"| {p.Kind} | {p.Milliseconds.Count} ({p.Events} x {p.Gateways}) | {F2(p.Milliseconds.P50)} | {F2(p.Milliseconds.P99)} | {F2(p.Milliseconds.Max)} | {p.OverOneSecond} | {p.AppliedBeforeReturn} | {N0(p.ChecksSentAfterReturnStillOld)} | {N0(p.OldAnswersAfterFirstNew)} | {N0(p.UnexpectedAnswers)} | <= 100 ms, never over 1 s | {(met ? "met" : "missed")} |");
        }

        md.AppendLine().AppendLine("Load carried meanwhile (wrk, 1 token, per gateway):").AppendLine();
        md.AppendLine("| Kind | Run | req/s | p50 ms | p99 ms | failures |").AppendLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var p in load.Propagation)
        {
            foreach (var run in p.LoadDuring)
            {
                md.AppendLine(Inv, $"| {p.Kind} | {run.Name} | {N0(run.RequestsPerSecond)} | {Ms(run.LatencyUs.P50)} | {Ms(run.LatencyUs.P99)} | {N0(run.Failures)} |");
            }
        }

        md.AppendLine();
    }

    private void FloodSection(StringBuilder md)
    {
        md.AppendLine("## (g): valid throughput during a flood of bad credentials").AppendLine();
        md.AppendLine("The (b) measurement (1 token, cached gateway) repeated while a second wrk sends bad credentials to the same");
        md.AppendLine("gateway's `/auth/check` at a fixed rate (`delay()` in the Lua script books one slot per request). The known token");
        md.AppendLine("id of (i) belongs to a real token other than the one measured. Answers are counted as `status code`.").AppendLine();
        md.AppendLine("| Flood | Flood target req/s | Flood achieved req/s | Flood p50 / p99 ms | Flood answers | Valid req/s | Valid p50 ms | Valid p99 ms | Valid failures | Ratio to (b) 1 token | Target | Result |");
        md.AppendLine("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        load.Runs.TryGetValue("b.1", out var b);
        foreach (var f in load.Floods)
        {
            var ratio = b is null ? double.NaN : f.Valid.RequestsPerSecond / b.RequestsPerSecond;
            var answers = string.Join("<br>", (f.Flood.Codes ?? []).OrderByDescending(c => c.Value).Select(c => $"{c.Key.Trim()}: {N0(c.Value)}")
                .Concat(SocketErrors(f.Flood.Errors)));
            md.AppendLine(Inv, $"| ({f.Id[2..]}) {f.Description} | {N0(f.TargetRate)} | {N0(f.Flood.RequestsPerSecond)} | {Ms(f.Flood.LatencyUs.P50)} / {Ms(f.Flood.LatencyUs.P99)} | {answers} | {N0(f.Valid.RequestsPerSecond)} | {Ms(f.Valid.LatencyUs.P50)} | {Ms(f.Valid.LatencyUs.P99)} | {N0(f.Valid.Failures)} | {F2(ratio)} | >= 0.80 | {(ratio >= 0.80 ? "met" : "missed")} |");
        }

        md.AppendLine();
    }

    private void MemorySection(StringBuilder md)
    {
        md.AppendLine("## (h): memory per token").AppendLine();
        if (memory is null)
        {
            md.AppendLine("Not measured in this run.").AppendLine();
        }
        else
        {
            md.AppendLine(Inv, $"Measured in process with the product's own types (`bench/ZeroPath.Benchmarks`, `memory {memory.Tokens}`): the managed heap");
            md.AppendLine(Inv, $"after a full, compacting collection, before and after {N0(memory.Tokens)} entries, divided by {N0(memory.Tokens)}. The silo side");
            md.AppendLine("runs the production grains in an in-process cluster: token states are written to grain storage and every token");
            md.AppendLine("activated by a read-only call (one active grain holding its state), then a sample of 1,000 validated once (adding");
            md.AppendLine("the verified-secret digest and the answer kept for warm calls). Reminders and storage are not counted.").AppendLine();
            md.AppendLine("| Where | Bytes per token | For 100,000 tokens |");
            md.AppendLine("| --- | ---: | ---: |");
            MemoryRow(md, "gateway: cached validation (`ValidationCache`)", memory.GatewayCacheBytesPerToken);
            MemoryRow(md, "gateway: refused id (`RefusalCache`)", memory.GatewayRefusalBytesPerId);
            MemoryRow(md, "silo: active token grain, not yet validated", memory.SiloBytesPerActiveTokenGrain);
            MemoryRow(md, "silo: active token grain after its first validation", memory.SiloBytesPerValidatedTokenGrain);
            md.AppendLine();
        }

        var seeding = load.Seeding;
        md.AppendLine(Inv, $"Why not 100,000 real tokens through the admin API: the seeding rate measured in this run was {N0(seeding.Tokens)} tokens over");
        md.AppendLine(Inv, $"{N0(seeding.Organizations)} organizations, {seeding.Parallelism} creations in parallel, Argon2 {seeding.Argon2}: {seeding.Seconds:F1} s,");
        md.AppendLine(Inv, $"**{N0(seeding.TokensPerSecond)} tokens/s**, so 100,000 tokens would take about {100_000 / seeding.TokensPerSecond / 60:F1} min.").AppendLine();
    }

    private static void MemoryRow(StringBuilder md, string where, double bytes) =>
        md.AppendLine(Inv, $"| {where} | {N0(bytes)} | {bytes * 100_000 / (1024 * 1024):F1} MiB |");

    private void ColdSection(StringBuilder md)
    {
        md.AppendLine("## (i): cold first validation with production Argon2").AppendLine();
        if (cold is null)
        {
            md.AppendLine("Not measured in this run.").AppendLine();
            return;
        }

        md.AppendLine(Inv, $"The silo was stopped and started again without the cheap Argon2 settings (Argon2 {cold.Argon2}); {cold.Tokens} tokens");
        md.AppendLine(Inv, $"were then created one by one ({cold.CreationSeconds:F1} s, {cold.CreationSeconds * 1000 / cold.Tokens:F0} ms per token) and each was checked twice");
        md.AppendLine("at a cached gateway, one request at a time, nothing else running: the first `/auth/check` (grain, stored state,");
        md.AppendLine("Argon2id verify) and the second (cache hit). Times are the client's, request sent to answer read.").AppendLine();
        md.AppendLine("| Check | Tokens | p50 ms | p99 ms | max ms | not 200 |").AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        md.AppendLine(Inv, $"| first `/auth/check` | {cold.FirstMilliseconds.Count} | {F2(cold.FirstMilliseconds.P50)} | {F2(cold.FirstMilliseconds.P99)} | {F2(cold.FirstMilliseconds.Max)} | {cold.FirstFailures} |");
        md.AppendLine(Inv, $"| second `/auth/check` | {cold.SecondMilliseconds.Count} | {F2(cold.SecondMilliseconds.P50)} | {F2(cold.SecondMilliseconds.P99)} | {F2(cold.SecondMilliseconds.Max)} | {cold.SecondFailures} |");
        md.AppendLine();
    }

    private void CommandsSection(StringBuilder md)
    {
        md.AppendLine("## Commands").AppendLine();
        md.AppendLine("`./bench.sh` (options: `./bench.sh --help`) builds Release and starts, each from its `bin/Release/net10.0` folder");
        md.AppendLine("(`ZP_ADMIN_KEY` in the silo's environment; the secret-format key is generated per run and shown as `<key>`):").AppendLine();
        md.AppendLine("```");
        foreach (var command in commands)
        {
            md.AppendLine(command);
        }

        md.AppendLine("```").AppendLine();
        md.AppendLine("wrk runs (each measured run is preceded by a warm-up run of the same command with the warm-up duration;");
        md.AppendLine("\"x2\" marks the two halves of a comparison; token files are written by the driver, `id secret` per line):").AppendLine();
        md.AppendLine("```");
        var all = load.Runs.Values
            .Concat(load.Propagation.SelectMany(p => p.LoadDuring))
            .Concat(load.Floods.SelectMany(f => new[] { f.Flood, f.Valid }));
        foreach (var run in all)
        {
            md.AppendLine(Inv, $"# {run.Name}");
            md.AppendLine(run.Command);
        }

        md.AppendLine("```");
    }

    /// <summary>What wrk counted besides answers: no answer within its 2 s timeout, or a broken connection.</summary>
    private static IEnumerable<string> SocketErrors(WrkErrors errors)
    {
        if (errors.Timeout > 0)
        {
            yield return $"no answer within wrk's 2 s timeout: {N0(errors.Timeout)}";
        }

        if (errors.Connect + errors.Read + errors.Write > 0)
        {
            yield return $"connect/read/write errors: {N0(errors.Connect + errors.Read + errors.Write)}";
        }
    }

    private static string F2(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F2", Inv);

    private static string N0(double value) => value.ToString("N0", Inv);

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("F2", Inv);
}
