using System.Diagnostics;
using System.Globalization;

namespace ZeroPath.Bench.Edge;

/// <summary>
/// Creates tokens through the admin API with bounded parallelism. An organization rewrites its index on every
/// creation, so tokens are spread over many organizations and handed out round robin across them.
/// </summary>
internal sealed class TokenSeeder(AdminClient admin, int parallelism)
{
    public static readonly string[] Permissions = ["scans:read", "vulns:write"];

    /// <summary><paramref name="count"/> tokens of one member per organization, <paramref name="perOrg"/> per organization.</summary>
    public async Task<(IssuedToken[] Tokens, SeedingResult Result)> CreateAsync(string prefix, int count, int perOrg, string argon2)
    {
        var organizations = (count + perOrg - 1) / perOrg;
        var orgIds = Enumerable.Range(0, organizations).Select(i => Invariant($"{prefix}-{i}")).ToArray();
        await Parallel.ForEachAsync(orgIds, Options(), async (org, ct) => await admin.SetMemberAsync(org, "member", Permissions, ct));

        var tokens = new IssuedToken[count];
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), Options(), async (i, ct) =>
            tokens[i] = await admin.CreateTokenAsync(orgIds[i % organizations], "member", Invariant($"bench-{i}"), ct));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (tokens, new SeedingResult(count, organizations, parallelism, seconds, count / seconds, argon2));
    }

    /// <summary>One token for each of <paramref name="count"/> members, <paramref name="perOrg"/> members per organization.</summary>
    public async Task<IssuedToken[]> CreateOnePerMemberAsync(string prefix, int count, int perOrg)
    {
        var tokens = new IssuedToken[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), Options(), async (i, ct) =>
        {
            var org = Invariant($"{prefix}-{i % ((count + perOrg - 1) / perOrg)}");
            var user = Invariant($"member-{i}");
            await admin.SetMemberAsync(org, user, Permissions, ct);
            tokens[i] = await admin.CreateTokenAsync(org, user, "bench", ct);
        });
        return tokens;
    }

    private ParallelOptions Options() => new() { MaxDegreeOfParallelism = parallelism };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
