using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ZeroPath.Tokens;

namespace ZeroPath.Benchmarks;

/// <summary>
/// The <c>scale</c> phase: one organization seeded with M members and N tokens by C concurrent creators, then each
/// operation on it timed once at that size. Sizes: <c>--Members</c>, <c>--Tokens</c>, <c>--Creators</c>, <c>--Sample</c>
/// (tokens whose refusal after revoke-all is watched), <c>--Probe</c> (sequential creates timed on the empty and the full
/// organization), <c>--Windows</c> (seeding rate reported per tenth by default).
/// </summary>
internal sealed class ScaleRun(IClusterClient client, IConfiguration configuration)
{
    private readonly int members = Int(configuration, "Members", 10_000);
    private readonly int tokens = Int(configuration, "Tokens", 100_000);
    private readonly int creators = Int(configuration, "Creators", 16);
    private readonly int sampleSize = Int(configuration, "Sample", 200);
    private readonly int probe = Int(configuration, "Probe", 100);
    private readonly int windows = Int(configuration, "Windows", 10);
    private readonly int siloPid = Int(configuration, "SiloPid", 0);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly JsonObject result = [];

    private static int Int(IConfiguration configuration, string key, int fallback) =>
        configuration[key] is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string MemberId(int i) => $"m{i:D5}";

    private void Say(string text) => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F0}s] {text}");

    public async Task<JsonObject> RunAsync()
    {
        var orgId = $"bench-scale-{Guid.NewGuid():N}"[..24];
        var org = client.GetGrain<IOrganizationGrain>(orgId);
        result["organization"] = orgId;
        result["members"] = members;
        result["creators"] = creators;
        var cpu = CpuMeter.Start(configuration);

        await SeedMembersAsync(org);
        Memory("siloAfterMembers");

        // Warm-up in an organization of its own (JIT, the create path's grains), so the first window is not the silo's start.
        var warmUp = client.GetGrain<IOrganizationGrain>($"{orgId}-warm-up");
        await warmUp.SetMember("warm-up", ["scans:read"]);
        await Task.WhenAll(Enumerable.Range(0, creators).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await OrgScale.CreateOneAsync(warmUp, "warm-up");
            }
        })));

        // One create's cost on the empty organization, one caller: the baseline for the same probe at full size.
        result["probeEmpty"] = await ProbeAsync(org);
        var seeded = await SeedTokensAsync(org, tokens - probe);
        result["tokens"] = tokens;
        Memory("siloAfterSeeding");
        result["probeFull"] = await ProbeAsync(org);
        result["tokensAfterProbe"] = tokens + probe;

        await ListAsync(org);
        await DeleteAsync(org, seeded);
        await PermissionChangeAsync(org, seeded);
        await RemoveMemberAsync(org, seeded);
        await RevokeAllAsync(org, seeded);
        Memory("siloAfterRevokeAll");
        result["foreignCpu"] = cpu.Foreign();
        result["seconds"] = OrgScale.Round(clock.Elapsed.TotalSeconds, 0);
        return result;
    }

    private async Task SeedMembersAsync(IOrganizationGrain org)
    {
        Say($"members: {members} (SetMember, 16 concurrent)");
        var watch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < members)
            {
                await org.SetMember(MemberId(i), ["scans:read", "scans:write"]);
            }
        })));
        result["memberSeeding"] = new JsonObject
        {
            ["seconds"] = OrgScale.Round(watch.Elapsed.TotalSeconds, 1),
            ["perSecond"] = OrgScale.Round(members / watch.Elapsed.TotalSeconds, 0),
        };
    }

    private async Task<JsonObject> ProbeAsync(IOrganizationGrain org)
    {
        var latencies = new double[probe];
        for (var i = 0; i < probe; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await OrgScale.CreateOneAsync(org, MemberId(i % members));
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(latencies);
        Say($"probe: {probe} sequential creates, mean {latencies.Average():F1} ms");
        return new JsonObject
        {
            ["creates"] = probe,
            ["meanMs"] = OrgScale.Round(latencies.Average(), 2),
            ["p50Ms"] = OrgScale.Round(OrgScale.Percentile(latencies, 0.5), 2),
            ["p99Ms"] = OrgScale.Round(OrgScale.Percentile(latencies, 0.99), 2),
        };
    }

    /// <summary>Seeded tokens kept for the operations after: a spread sample, and every token of members 1 and 2.</summary>
    private sealed record Seeded(List<IssuedToken> Sample, List<IssuedToken> Removed, List<IssuedToken> Changed);

    private async Task<Seeded> SeedTokensAsync(IOrganizationGrain org, int count)
    {
        Say($"tokens: {count} from {creators} concurrent creators");
        var every = Math.Max(1, count / sampleSize);
        var sample = new ConcurrentBag<IssuedToken>();
        var removed = new ConcurrentBag<IssuedToken>();
        var changed = new ConcurrentBag<IssuedToken>();
        var windowSize = Math.Max(1, count / windows);
        var windowEnds = new double[windows];
        var windowLatency = new double[windows];
        var done = 0;
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, creators).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var member = i % members;
                var started = Stopwatch.GetTimestamp();
                var token = await OrgScale.CreateOneAsync(org, MemberId(member));
                var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var finished = Interlocked.Increment(ref done);
                var window = Math.Min(windows - 1, (finished - 1) / windowSize);
                lock (windowLatency)
                {
                    windowLatency[window] += took;
                    windowEnds[window] = Math.Max(windowEnds[window], watch.Elapsed.TotalSeconds);
                }

                if (member == 1)
                {
                    removed.Add(token);
                }
                else if (member == 2)
                {
                    changed.Add(token);
                }
                else if (i % every == 0)
                {
                    sample.Add(token);
                }

                if (finished % 10_000 == 0)
                {
                    Say($"  {finished} tokens, {finished / watch.Elapsed.TotalSeconds:F0}/s overall");
                }
            }
        })));
        var rows = new JsonArray();
        var start = 0.0;
        for (var w = 0; w < windows; w++)
        {
            var size = w == windows - 1 ? count - (windowSize * (windows - 1)) : windowSize;
            var seconds = windowEnds[w] - start;
            rows.Add(new JsonObject
            {
                ["from"] = w * windowSize,
                ["to"] = (w * windowSize) + size,
                ["seconds"] = OrgScale.Round(seconds, 1),
                ["perSecond"] = OrgScale.Round(size / seconds, 1),
                ["meanMs"] = OrgScale.Round(windowLatency[w] / size, 1),
            });
            start = windowEnds[w];
        }

        result["seeding"] = new JsonObject
        {
            ["tokens"] = count,
            ["seconds"] = OrgScale.Round(watch.Elapsed.TotalSeconds, 1),
            ["perSecond"] = OrgScale.Round(count / watch.Elapsed.TotalSeconds, 1),
            ["windows"] = rows,
        };
        return new Seeded([.. sample], [.. removed], [.. changed]);
    }

    private async Task ListAsync(IOrganizationGrain org)
    {
        var first = await TimeAsync(() => org.ListTokens(null, 100));
        var firstAgain = await TimeAsync(() => org.ListTokens(null, 100));
        // A deep page: the 100 tokens after the 1,000 oldest sequences (past 99% of the organization), by its cursor.
        var deepCursor = TokenPageCursor.After(1_000);
        var deep = await TimeAsync(() => org.ListTokens(deepCursor, 100));
        var deepAgain = await TimeAsync(() => org.ListTokens(deepCursor, 100));
        Check(first.Value.Items.Length == 100 && deep.Value.Items.Length == 100, "list pages are full");

        var (listed, pages, walkMs) = await ListAllAsync(org);
        Check(listed == tokens + probe, $"listing every page finds {tokens + probe} tokens (found {listed})");
        result["list"] = new JsonObject
        {
            ["firstPageMs"] = first.Ms,
            ["firstPageAgainMs"] = firstAgain.Ms,
            ["deepPageMs"] = deep.Ms,
            ["deepPageAgainMs"] = deepAgain.Ms,
            ["deepPageCursorAfterSequence"] = 1_000,
            ["allPagesOf500"] = pages,
            ["allPagesMs"] = walkMs,
            ["listed"] = listed,
        };
        Say($"list: first page {first.Ms} ms, deep page {deep.Ms} ms, all {pages} pages {walkMs} ms");
    }

    /// <summary>Every page, 500 at a time: how many tokens are listed, in how many pages and milliseconds.</summary>
    private static async Task<(int Listed, int Pages, double Ms)> ListAllAsync(IOrganizationGrain org)
    {
        var walk = Stopwatch.StartNew();
        var listed = 0;
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await org.ListTokens(cursor, 500);
            listed += page.Items.Length;
            pages++;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return (listed, pages, OrgScale.Round(walk.Elapsed.TotalMilliseconds, 0));
    }

    private async Task DeleteAsync(IOrganizationGrain org, Seeded seeded)
    {
        var token = seeded.Sample[^1];
        seeded.Sample.RemoveAt(seeded.Sample.Count - 1);
        Check((await Validate(token)).IsValid, "the token to delete validates");
        var deleted = await TimeAsync(() => org.DeleteToken(token.TokenId));
        Check(deleted.Value, "delete found the token");
        Check(!(await Validate(token)).IsValid, "a deleted token refuses");
        result["deleteOneMs"] = deleted.Ms;
        Say($"delete one token: {deleted.Ms} ms");
    }

    private async Task PermissionChangeAsync(IOrganizationGrain org, Seeded seeded)
    {
        var changed = await TimeAsync(() => org.SetMember(MemberId(2), ["scans:read", "reports:read"]));
        var after = await ValidateAll(seeded.Changed);
        Check(after.All(v => v.IsValid && v.Permissions.Contains("reports:read") && !v.Permissions.Contains("scans:write")),
            "every token of the changed member carries the new permissions");
        result["permissionChange"] = new JsonObject { ["ms"] = changed.Ms, ["memberTokens"] = seeded.Changed.Count };
        Say($"permission change ({seeded.Changed.Count} tokens): {changed.Ms} ms");
    }

    private async Task RemoveMemberAsync(IOrganizationGrain org, Seeded seeded)
    {
        Check(await ValidateAll(seeded.Removed) is var removedBefore && removedBefore.All(v => v.IsValid), $"the member's tokens validate before ({Outcomes(removedBefore)})");
        var watch = Stopwatch.StartNew();
        var removed = await TimeAsync(() => org.RemoveMember(MemberId(1)));
        Check(removed.Value, "the member was removed");
        Check((await ValidateAll(seeded.Removed)).All(v => !v.IsValid), "no token of a removed member validates");
        var refusedMs = OrgScale.Round(watch.Elapsed.TotalMilliseconds, 1);
        var fanOut = await WaitForFanOutsAsync(org, watch);
        result["removeMember"] = new JsonObject
        {
            ["memberTokens"] = seeded.Removed.Count,
            ["ms"] = removed.Ms,
            ["allRefusedMs"] = refusedMs,
            ["fanOutDoneMs"] = fanOut,
        };
        Say($"remove member ({seeded.Removed.Count} tokens): returned {removed.Ms} ms, fan-out done {fanOut} ms");
    }

    private async Task RevokeAllAsync(IOrganizationGrain org, Seeded seeded)
    {
        var sample = seeded.Sample;
        // Twice: the first validation of a token is cold (activation, Argon2 with cheap parameters); the second is warm,
        // as tokens in use are.
        var cold = await TimeAsync(() => ValidateAll(sample));
        var before = await TimeAsync(() => ValidateAll(sample));
        Check(before.Value.All(v => v.IsValid), $"the sample validates before revoke-all ({Outcomes(before.Value)})");
        // What is left after the delete and the member's removal: revoke-all must cover exactly these.
        var (live, _, _) = await ListAllAsync(org);

        var watch = Stopwatch.StartNew();
        var revoked = await org.RevokeAll("bench: revoke-all");
        var returnedMs = OrgScale.Round(watch.Elapsed.TotalMilliseconds, 1);
        // The sample, validated until none validates (each pass in parallel, as gateways would ask).
        var passes = 0;
        double refusedMs;
        while (true)
        {
            passes++;
            var answers = await ValidateAll(sample);
            if (answers.All(v => !v.IsValid))
            {
                refusedMs = OrgScale.Round(watch.Elapsed.TotalMilliseconds, 1);
                break;
            }

            Check(watch.Elapsed < TimeSpan.FromMinutes(5), "the sample refuses within 5 minutes of revoke-all");
        }

        var fanOut = await WaitForFanOutsAsync(org, watch);
        var page = await org.ListTokens(null, 100);
        Check(page.Items.IsEmpty, "nothing is listed after revoke-all's fan-out");
        Check(revoked == live, $"revoke-all covered {live} tokens (it said {revoked})");
        result["revokeAll"] = new JsonObject
        {
            ["tokens"] = revoked,
            ["sample"] = sample.Count,
            ["sampleValidateColdMs"] = cold.Ms,
            ["sampleValidateWarmMs"] = before.Ms,
            ["returnedMs"] = returnedMs,
            ["sampleAllRefusedMs"] = refusedMs,
            ["samplePasses"] = passes,
            ["fanOutDoneMs"] = fanOut,
        };
        Say($"revoke-all of {revoked}: returned {returnedMs} ms, sample refused {refusedMs} ms, fan-out done {fanOut} ms");
    }

    private async Task<double> WaitForFanOutsAsync(IOrganizationGrain org, Stopwatch since)
    {
        while ((await org.PendingWork()).Revocations > 0)
        {
            Check(since.Elapsed < TimeSpan.FromMinutes(30), "the fan-out finishes within 30 minutes");
            await Task.Delay(50);
        }

        return OrgScale.Round(since.Elapsed.TotalMilliseconds, 0);
    }

    /// <summary>
    /// One token's answer, asked again while it is Busy (a cold token's first validation runs Argon2, whose queue is
    /// bounded), as a gateway's caller would retry.
    /// </summary>
    private async Task<TokenValidation> Validate(IssuedToken token)
    {
        var grain = client.GetGrain<ITokenGrain>(token.TokenId);
        for (var attempt = 0; ; attempt++)
        {
            var answer = await grain.Validate(token.Secret);
            if (answer.Outcome != TokenValidationOutcome.Busy || attempt == 100)
            {
                return answer;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Every token's answer, at most 32 asked at once (as a few gateways under load would).</summary>
    private async Task<TokenValidation[]> ValidateAll(List<IssuedToken> sample)
    {
        var answers = new TokenValidation[sample.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, sample.Count), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, _) => answers[i] = await Validate(sample[i]));
        return answers;
    }

    private static string Outcomes(IEnumerable<TokenValidation> answers) =>
        string.Join(", ", answers.GroupBy(a => a.Outcome).Select(g => $"{g.Key}: {g.Count()}"));

    private static async Task<(T Value, double Ms)> TimeAsync<T>(Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var value = await call();
        return (value, OrgScale.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1));
    }

    private void Memory(string key)
    {
        if (siloPid > 0 && CpuMeter.Memory(siloPid) is { } memory)
        {
            result[key] = new JsonObject { ["rssMiB"] = memory.Rss, ["peakRssMiB"] = memory.Peak };
            Say($"silo RSS {memory.Rss} MiB (peak {memory.Peak} MiB)");
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"org-scale check failed: {what}");
        }
    }
}
