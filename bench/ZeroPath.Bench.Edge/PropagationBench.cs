using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;

namespace ZeroPath.Bench.Edge;

/// <summary>
/// Scenario (f): an operator changes a token (revokes it, or changes its owner's permissions) while every gateway
/// process is asked about it back to back by its own client and carries (b)-level load from wrk. Per event and
/// gateway: the time from the admin call returning to the gateway's first answer that shows the change.
/// </summary>
internal sealed class PropagationBench(AdminClient admin, IReadOnlyList<Uri> gateways, WrkRunner wrk, BenchSettings settings, IssuedToken loadToken)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Answers sent after the call returned that must show the change before a poller stops.</summary>
    private const int ConfirmingAnswers = 3;

    private enum Answer
    {
        Old,
        New,
        Unexpected,
    }

    public Task<PropagationResult> RevocationsAsync(IReadOnlyList<IssuedToken> tokens) =>
        MeasureAsync(
            "revocation",
            tokens,
            (token, _) => admin.RevokeAsync(token.TokenId),
            (_, status, _) => status switch
            {
                HttpStatusCode.OK => Answer.Old,
                HttpStatusCode.Unauthorized => Answer.New,
                _ => Answer.Unexpected,
            });

    public Task<PropagationResult> PermissionChangesAsync(IReadOnlyList<IssuedToken> tokens) =>
        MeasureAsync(
            "permission change",
            tokens,
            (token, index) => admin.ChangePermissionsAsync(token.OrgId, token.UserId, NewPermissions(index)),
            (index, status, permissions) => status != HttpStatusCode.OK
                ? Answer.Unexpected
                : AuthCheck.SamePermissions(permissions, NewPermissions(index))
                    ? Answer.New
                    : AuthCheck.SamePermissions(permissions, TokenSeeder.Permissions) ? Answer.Old : Answer.Unexpected);

    private static string[] NewPermissions(int index) => ["scans:read", $"bench:event-{index}"];

    private async Task<PropagationResult> MeasureAsync(
        string kind,
        IReadOnlyList<IssuedToken> tokens,
        Func<IssuedToken, int, Task> change,
        Func<int, HttpStatusCode, string?, Answer> classify)
    {
        Console.WriteLine($"==> (f) {kind}: {tokens.Count} events x {gateways.Count} gateway processes, under wrk load");
        foreach (var gateway in gateways)
        {
            var failures = await AuthCheck.WarmAsync(gateway, tokens);
            if (failures > 0)
            {
                throw new InvalidOperationException($"{failures} of the (f) tokens did not validate at {gateway} before the events.");
            }
        }

        var clients = gateways.Select(g => AuthCheck.Client(g)).ToArray();
        var load = gateways.Select((g, i) => wrk.Start(
            $"(f) {kind} load, gateway {i + 1}",
            new Uri(g, "/auth/check"),
            new WrkLoad(StaticToken: loadToken),
            settings.Threads,
            settings.Connections,
            durationSeconds: 900)).ToArray();
        WrkRun[] loadRuns;
        var samples = new List<double>();
        int overOneSecond = 0, timedOut = 0, appliedBeforeReturn = 0;
        long stillOld = 0, oldAfterNew = 0, unexpected = 0;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            for (var index = 0; index < tokens.Count; index++)
            {
                var token = tokens[index];
                var eventIndex = index;
                var returned = new StrongBox<long>(long.MaxValue);
                var pollers = clients.Select(http => Task.Run(() => PollAsync(http, token, a => classify(eventIndex, a.Status, a.Permissions), returned))).ToArray();
                await Task.Delay(5);
                await change(token, index);
                Volatile.Write(ref returned.Value, Stopwatch.GetTimestamp());
                foreach (var checks in await Task.WhenAll(pollers))
                {
                    var first = checks.FindIndex(c => c.Answer == Answer.New);
                    unexpected += checks.Count(c => c.Answer == Answer.Unexpected);
                    stillOld += checks.Count(c => c.Sent > returned.Value && c.Answer == Answer.Old);
                    if (first < 0)
                    {
                        timedOut++;
                        samples.Add(EventTimeout.TotalMilliseconds);
                        overOneSecond++;
                        continue;
                    }

                    oldAfterNew += checks.Skip(first + 1).Count(c => c.Answer == Answer.Old);
                    var milliseconds = checks[first].Done <= returned.Value ? 0 : Stopwatch.GetElapsedTime(returned.Value, checks[first].Done).TotalMilliseconds;
                    appliedBeforeReturn += milliseconds == 0 ? 1 : 0;
                    overOneSecond += milliseconds > 1000 ? 1 : 0;
                    samples.Add(milliseconds);
                }
            }
        }
        finally
        {
            loadRuns = await Task.WhenAll(load.Select(l => l.StopAsync()));
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        var result = new PropagationResult(
            kind, tokens.Count, gateways.Count, Distribution.Of(samples), overOneSecond, timedOut, appliedBeforeReturn, stillOld, oldAfterNew, unexpected, loadRuns);
        Console.WriteLine(
            $"    p50 {result.Milliseconds.P50:F2} ms, p99 {result.Milliseconds.P99:F2} ms, max {result.Milliseconds.Max:F2} ms; " +
            $"old answers after the first new one: {oldAfterNew}; load {string.Join(" + ", loadRuns.Select(r => r.RequestsPerSecond.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} req/s");
        return result;
    }

    private static async Task<List<Check>> PollAsync(HttpClient http, IssuedToken token, Func<(HttpStatusCode Status, string? Permissions), Answer> classify, StrongBox<long> returned)
    {
        var checks = new List<Check>(256);
        var confirming = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(EventTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var sent = Stopwatch.GetTimestamp();
            var answer = classify(await AuthCheck.SendAsync(http, token.TokenId, token.Secret));
            checks.Add(new Check(sent, Stopwatch.GetTimestamp(), answer));
            if (answer == Answer.New && sent > Volatile.Read(ref returned.Value) && ++confirming >= ConfirmingAnswers)
            {
                break;
            }
        }

        return checks;
    }

    private readonly record struct Check(long Sent, long Done, Answer Answer);
}
