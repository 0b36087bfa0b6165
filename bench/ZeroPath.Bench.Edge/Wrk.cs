using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ZeroPath.Bench.Edge;

/// <summary>What one wrk run sends: the static token in -H headers, or a token file the Lua script rotates over.</summary>
internal sealed record WrkLoad(IssuedToken? StaticToken = null, string? TokenFile = null, int? Rate = null, bool CountCodes = false);

/// <summary>Runs wrk with bench/lua/edge.lua and reads the line its <c>done()</c> prints.</summary>
internal sealed class WrkRunner(string luaScript)
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    /// <summary>Warm-up (discarded), then the measured run, same load and shape.</summary>
    public async Task<WrkRun> MeasureAsync(string name, Uri url, WrkLoad load, int threads, int connections, int warmupSeconds, int durationSeconds)
    {
        if (warmupSeconds > 0)
        {
            await Start(name + " (warm-up)", url, load, threads, connections, warmupSeconds).WaitAsync();
        }

        var run = await Start(name, url, load, threads, connections, durationSeconds).WaitAsync();
        Console.WriteLine(Invariant($"    {name,-40} {run.RequestsPerSecond,10:F0} req/s  p50 {run.LatencyUs.P50 / 1000.0,6:F2} ms  p99 {run.LatencyUs.P99 / 1000.0,6:F2} ms  failures {run.Failures}"));
        return run;
    }

    /// <summary>
    /// A baseline and its subject, each warmed up, then measured in two halves in the order baseline, subject, subject,
    /// baseline, so that drift in the machine (other processes, background work) weighs on both sides alike.
    /// </summary>
    public async Task<(WrkRun Baseline, WrkRun Subject)> MeasurePairAsync(
        (string Name, Uri Url, WrkLoad Load) baseline, (string Name, Uri Url, WrkLoad Load) subject, int threads, int connections, int warmupSeconds, int durationSeconds)
    {
        var half = Math.Max(1, durationSeconds / 2);
        foreach (var (name, url, load) in new[] { baseline, subject })
        {
            if (warmupSeconds > 0)
            {
                await Start(name + " (warm-up)", url, load, threads, connections, warmupSeconds).WaitAsync();
            }
        }

        var a1 = await Start(baseline.Name, baseline.Url, baseline.Load, threads, connections, half).WaitAsync();
        var b1 = await Start(subject.Name, subject.Url, subject.Load, threads, connections, half).WaitAsync();
        var b2 = await Start(subject.Name, subject.Url, subject.Load, threads, connections, half).WaitAsync();
        var a2 = await Start(baseline.Name, baseline.Url, baseline.Load, threads, connections, half).WaitAsync();
        var pair = (WrkRun.Combine(a1, a2), WrkRun.Combine(b1, b2));
        foreach (var run in new[] { pair.Item1, pair.Item2 })
        {
            Console.WriteLine(Invariant($"    {run.Name,-40} {run.RequestsPerSecond,10:F0} req/s  p50 {run.LatencyUs.P50 / 1000.0,6:F2} ms  p99 {run.LatencyUs.P99 / 1000.0,6:F2} ms  failures {run.Failures}"));
        }

        return pair;
    }

    public WrkProcess Start(string name, Uri url, WrkLoad load, int threads, int connections, int durationSeconds)
    {
        var start = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var shown = new StringBuilder();
        void Env(string key, string value)
        {
            start.Environment[key] = value;
            shown.Append(CultureInfo.InvariantCulture, $"{key}={value} ");
        }

        Env("BENCH_THREADS", threads.ToString(CultureInfo.InvariantCulture));
        if (load.TokenFile is { } file)
        {
            start.Environment["BENCH_TOKEN_FILE"] = file;
            shown.Append(CultureInfo.InvariantCulture, $"BENCH_TOKEN_FILE={Path.GetRelativePath(Directory.GetCurrentDirectory(), file)} ");
        }

        if (load.Rate is { } rate)
        {
            Env("BENCH_RATE", rate.ToString(CultureInfo.InvariantCulture));
        }

        if (load.CountCodes)
        {
            Env("BENCH_COUNT_CODES", "1");
        }

        shown.Append("wrk");
        void Arg(string value, string? display = null)
        {
            start.ArgumentList.Add(value);
            shown.Append(' ').Append(display ?? value);
        }

        Arg(Invariant($"-t{threads}"));
        Arg(Invariant($"-c{connections}"));
        Arg(Invariant($"-d{durationSeconds}s"));
        Arg("-s");
        Arg(luaScript, Path.GetRelativePath(Directory.GetCurrentDirectory(), luaScript));
        if (load.StaticToken is { } token)
        {
            Arg("-H");
            Arg($"X-ZeroPath-API-Token-Id: {token.TokenId}", "'X-ZeroPath-API-Token-Id: <id>'");
            Arg("-H");
            Arg($"X-ZeroPath-API-Token-Secret: {token.Secret}", "'X-ZeroPath-API-Token-Secret: <secret>'");
        }

        Arg(url.ToString());
        var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
        Running[process.Id] = process;
        return new WrkProcess(name, shown.ToString(), process);
    }

    /// <summary>Ends every wrk still running (the driver is stopping).</summary>
    public static void KillAll()
    {
        foreach (var process in Running.Values)
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    internal static void Forget(Process process) => Running.TryRemove(process.Id, out _);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A wrk process; <see cref="StopAsync"/> ends an open-ended run early the way Ctrl-C would (wrk still reports).</summary>
internal sealed class WrkProcess(string name, string command, Process process)
{
    private readonly Task<string> stdout = process.StandardOutput.ReadToEndAsync();
    private readonly Task<string> stderr = process.StandardError.ReadToEndAsync();

    public async Task<WrkRun> StopAsync()
    {
        if (!process.HasExited)
        {
            using var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        return await WaitAsync();
    }

    public async Task<WrkRun> WaitAsync()
    {
        var output = await stdout;
        var errors = await stderr;
        await process.WaitForExitAsync();
        WrkRunner.Forget(process);
        process.Dispose();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("BENCHJSON ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk ({name}) printed no BENCHJSON line:\n{output}\n{errors}");
        var parsed = JsonSerializer.Deserialize<WrkDone>(line["BENCHJSON ".Length..], SnakeCase)
            ?? throw new InvalidOperationException($"wrk ({name}): unreadable {line}");
        var seconds = parsed.DurationUs / 1e6;
        return new WrkRun(name, command, parsed.Requests, seconds, parsed.Requests / seconds, parsed.Errors, parsed.LatencyUs, parsed.Codes);
    }

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record WrkDone(long Requests, long DurationUs, long Bytes, WrkErrors Errors, WrkLatency LatencyUs, Dictionary<string, long>? Codes);
}
