using System.Globalization;
using System.Text;

namespace ZeroPath.Bench.Edge;

/// <summary>
/// The "Refusal timing" section of docs/benchmarks.md. A full run writes it with the rest of the report; a
/// <c>--timing-only</c> run replaces just this section (between its two marker comments) in the existing report.
/// </summary>
internal static class TimingReport
{
    public const string Begin = "<!-- refusal-timing:begin (written by bench/ZeroPath.Bench.Edge/TimingReport.cs) -->";
    public const string End = "<!-- refusal-timing:end -->";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The section; <paramref name="commands"/> are listed in it when the report has no Commands section of its own.</summary>
    public static string Markdown(TimingResult? timing, string? foreignCpu, string invocation, IReadOnlyList<string>? commands)
    {
        var md = new StringBuilder();
        md.AppendLine(Begin);
        md.AppendLine("## Refusal timing: how long each kind of refused credentials takes").AppendLine();
        if (timing is null)
        {
            md.AppendLine("Not measured in this run.").AppendLine();
            md.AppendLine(End).AppendLine();
            return md.ToString();
        }

        var s = timing.Settings;
        md.AppendLine("How long the gateway takes to refuse wrong credentials, by kind, measured at the client over HTTP on loopback");
        md.AppendLine("(`/auth/check`, from sending the request to having read the whole answer). The gateway measured here was started for");
        md.AppendLine("this scenario alone, after its tokens were created and the silo restarted: nothing is cached in it and no token grain");
        md.AppendLine("is active. **Cold** is the first request for an id at this gateway; **warm** the requests for an id it has seen");
        md.AppendLine("before. Every kind is interleaved with every other in one random order, one request at a time over one kept-alive");
        md.AppendLine(Inv, $"connection with a {s.GapMs} ms pause after each answer, so whatever else the machine does weighs on all kinds alike:");
        md.AppendLine("**compare the kinds with each other, not with figures from another run**. Every wrong secret is a fresh one.");
        md.AppendLine(Inv, $"The run is cut into {s.Blocks} block(s), each holding an equal part of every kind's ids with all their requests,");
        md.AppendLine(Inv, $"shuffled within the block: an id's requests all lie within {timing.LongestIdSpanSeconds:F0} s (the gateway remembers an unknown");
        md.AppendLine("id for 5 minutes, so every warm request of an unknown id is answered from that memory), and cold samples are spread");
        md.AppendLine("over the whole run.");
        md.AppendLine(Inv, $"Tokens are hashed with cheap Argon2 ({s.CheapArgon2}), except those of `wrong.tagged`, whose wrong secrets are");
        md.AppendLine(Inv, $"verified: production Argon2 ({s.ProductionArgon2}), at most {s.TaggedRequestsPerToken} requests per token so that none is locked.");
        md.AppendLine("Secrets with a valid tag are made by the bench with the run's format key (`SecretFormatKeyRing.NewSecret`), as");
        md.AppendLine("only the cluster could. What the differences mean and what would remove them: [performance.md](performance.md#refusal-timing).").AppendLine();

        md.AppendLine("| | |").AppendLine("| --- | --- |");
        md.AppendLine(Inv, $"| Run | {timing.StartedAt:yyyy-MM-dd HH:mm} UTC, `{invocation}`; {N0(Requests(timing))} measured requests in {timing.DurationSeconds:F0} s ({timing.RequestsPerSecond:F0} req/s) after {N0(s.WarmupRequests)} discarded warm-up requests |");
        md.AppendLine(Inv, $"| Samples per kind | {s.ColdPerKind} ids (cold; more for `wrong.tagged`), {N0(s.WarmPerKind)} repeats over them (warm) |");
        md.AppendLine(Inv, $"| Order | random, seed {s.Seed} (`--TimingSeed={s.Seed}` repeats it) |");
        md.AppendLine(Inv, $"| Machine | {timing.Machine.CpuModel}, {timing.Machine.Cores} cores; {timing.Machine.Runtime} |");
        md.AppendLine(Inv, $"| Load average (1, 5, 15 min) before / after the measurement | {timing.LoadBefore} / {timing.LoadAfter} |");
        md.AppendLine(Inv, $"| CPU used by processes the bench did not start, during the measurement | {foreignCpu ?? "not measured"} (seconds of CPU time) |");
        md.AppendLine(Inv, $"| Answers other than 401 `invalid_token` | {N0(timing.UnexpectedAnswers)} (warm-up: {N0(timing.UnexpectedWarmupAnswers)}); waits to stay within the legacy lookup budget: {timing.BudgetWaits} |");
        md.AppendLine();

        md.AppendLine("| Kind | Credentials | What happens (from the code) | Answers (status code, body size) |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var kind in timing.Kinds)
        {
            var answers = string.Join("<br>", kind.Answers.OrderByDescending(a => a.Value).Select(a => $"{a.Key}: {N0(a.Value)}"));
            md.AppendLine(Inv, $"| `{kind.Id}` | {kind.Title} | {kind.Path} | {answers} |");
        }

        md.AppendLine();
        LatencyTable(md, timing, cold: true);
        LatencyTable(md, timing, cold: false);
        HistogramTable(md, timing);
        ComparisonTable(md, timing);

        if (commands is { Count: > 0 })
        {
            md.AppendLine("Commands of this measurement (each from its `bin/Release/net10.0` folder; the format key is generated per run");
            md.AppendLine("and shown as `<key>`; the driver reads it from `ZP_BENCH_FORMAT_KEY`):").AppendLine();
            md.AppendLine("```");
            foreach (var command in commands)
            {
                md.AppendLine(command);
            }

            md.AppendLine("```").AppendLine();
        }

        md.AppendLine(End).AppendLine();
        return md.ToString();
    }

    /// <summary>Replaces the section in <paramref name="report"/>, or adds it before "## Commands" (or at the end).</summary>
    public static string Splice(string report, string section)
    {
        var begin = report.IndexOf(Begin, StringComparison.Ordinal);
        var end = report.IndexOf(End, StringComparison.Ordinal);
        if (begin >= 0 && end > begin)
        {
            var after = end + End.Length;
            while (after < report.Length && report[after] is '\n' or '\r')
            {
                after++;
            }

            return report[..begin] + section + report[after..];
        }

        var commands = report.IndexOf("\n## Commands", StringComparison.Ordinal);
        return commands >= 0
            ? report[..(commands + 1)] + section + report[(commands + 1)..]
            : report.TrimEnd() + "\n\n" + section;
    }

    private static int Requests(TimingResult timing) => timing.Kinds.Sum(k => k.Cold.Count + k.Warm.Count);

    private static void LatencyTable(StringBuilder md, TimingResult timing, bool cold)
    {
        md.AppendLine(cold
            ? "### First request of an id (cold), milliseconds"
            : "### Repeated requests (warm), milliseconds").AppendLine();
        md.AppendLine("| Kind | Samples | p50 | p90 | p99 | p99.9 | max | mean |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var kind in timing.Kinds)
        {
            var l = cold ? kind.Cold : kind.Warm;
            md.AppendLine(Inv, $"| `{kind.Id}` | {N0(l.Count)} | {F(l.P50)} | {F(l.P90)} | {F(l.P99)} | {F(l.P999)} | {F(l.Max)} | {F(l.Mean)} |");
        }

        md.AppendLine();
        if (cold)
        {
            md.AppendLine("With a few hundred samples p99.9 is the largest value. An id's first request is the earliest of its");
            md.AppendLine("requests in its block, so cold samples lie mostly in the first part of each block: alike for every kind.").AppendLine();
        }
    }

    private static void HistogramTable(StringBuilder md, TimingResult timing)
    {
        var buckets = timing.BucketEdges.Length + 1;
        var used = Enumerable.Range(0, buckets)
            .Where(b => timing.Kinds.Any(k => k.Cold.Histogram[b] + k.Warm.Histogram[b] > 0))
            .ToArray();
        md.AppendLine("### Histogram: requests per latency bucket (milliseconds)").AppendLine();
        md.AppendLine("| Kind | | " + string.Join(" | ", used.Select(TimingStats.BucketLabel)) + " |");
        md.AppendLine("| --- | --- | " + string.Join(" | ", used.Select(_ => "---:")) + " |");
        foreach (var kind in timing.Kinds)
        {
            foreach (var (phase, summary) in new[] { ("cold", kind.Cold), ("warm", kind.Warm) })
            {
                var counts = string.Join(" | ", used.Select(b => summary.Histogram[b] == 0 ? "" : N0(summary.Histogram[b])));
                md.AppendLine(Inv, $"| `{kind.Id}` | {phase} | {counts} |");
            }
        }

        md.AppendLine();
    }

    private static void ComparisonTable(StringBuilder md, TimingResult timing)
    {
        md.AppendLine("### Told apart beyond noise?").AppendLine();
        md.AppendLine("B against A in the same run: the ratio and the difference of their medians with bootstrap 95% intervals");
        md.AppendLine(Inv, $"({N0(TimingStats.BootstrapResamples)} resamples), and the two-sample Kolmogorov-Smirnov statistic D (the largest gap between the");
        md.AppendLine("two distributions, 0 to 1) with its p-value. \"Yes\" when the ratio's interval leaves out 1 and p < 0.001. The KS");
        md.AppendLine("p-value holds even though background load comes in bursts, because each request's kind was drawn at random for");
        md.AppendLine("its time slot; the bootstrap intervals treat samples as independent, which bursts make them not, so they are a");
        md.AppendLine("little too narrow. The A/A control (the same kind twice) shows what noise alone gives: differences of its size");
        md.AppendLine("are noise. With thousands of samples a shift of some microseconds passes; the difference says how much an");
        md.AppendLine("observer would have to resolve.").AppendLine();
        md.AppendLine("| Phase | A | B | Question | A p50 ms | B p50 ms | B/A [95% interval] | B−A µs [95% interval] | KS D | KS p | Told apart |");
        md.AppendLine("| --- | --- | --- | --- | ---: | ---: | --- | --- | ---: | ---: | --- |");
        foreach (var c in timing.Comparisons)
        {
            var r = c.Result;
            md.AppendLine(Inv,
                $"| {c.Phase} | `{c.A}` | `{c.B}` | {c.Question} | {F(r.MedianA)} | {F(r.MedianB)} | {r.Ratio:F2} [{r.RatioLow:F2}, {r.RatioHigh:F2}] | {Us(r.DifferenceMs)} [{Us(r.DifferenceLowMs)}, {Us(r.DifferenceHighMs)}] | {r.KsD:F3} | {P(r.KsP)} | {(r.Distinguishable ? "yes" : "no")} |");
        }

        md.AppendLine();
    }

    private static string F(double value) => double.IsNaN(value) ? "n/a" : value >= 100 ? value.ToString("F1", Inv) : value.ToString("F3", Inv);

    private static string Us(double milliseconds) => (milliseconds * 1000).ToString(Math.Abs(milliseconds) >= 10 ? "N0" : "F0", Inv);

    private static string P(double p) => p < 1e-6 ? "< 1e-6" : p.ToString(p < 0.001 ? "0.0e0" : "F3", Inv);

    private static string N0(double value) => value.ToString("N0", Inv);
}
