using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Orleans.Runtime;
using Xunit.Abstractions;
using ZeroPath.Grains.Organizations;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>
/// Every pair of calls that touch the same organization and token, started at once, many rounds: no pair may wait on
/// the other (before calls went one way only, a token's own revoke and its expiry reminder called their organization
/// while the organization called the token, and both hung until the 30 s response timeout), and each leaves the one
/// right end state. Reminders run on real time here, so the only expiry tick is the one a round delivers by hand.
/// </summary>
/// <remarks>
/// Seed: <c>ZP_RACE_SEED</c> replays a run (it is printed); <c>ZP_RACE_ROUNDS</c> sets the rounds per pair (default 20).
/// </remarks>
public class TokenOrganizationRaceTests(NoExpiryTickClusterFixture fixture, ITestOutputHelper output) : IClassFixture<NoExpiryTickClusterFixture>
{
    /// <summary>
    /// A deadlock lasts the 30 s response timeout; a racing pair takes tens to hundreds of milliseconds (printed per pair).
    /// The bound tells the one from the other even on a loaded CI machine: what a round costs is measured and printed,
    /// never asserted, so a slow machine does not fail the test and a deadlock cannot pass it.
    /// </summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly ImmutableArray<string> Initial = ["scans:read"];

    /// <summary>Rounds (by pair) in which revoking an issued token by id answered "no such token".</summary>
    private readonly List<string> nullRevokes = [];

    /// <summary>Calls that end the target token when they win.</summary>
    private static readonly HashSet<RaceCall> Enders =
        [RaceCall.RevokeById, RaceCall.Delete, RaceCall.RevokeAll, RaceCall.RevokeMember, RaceCall.RemoveMember, RaceCall.ExpirySweep];

    public enum RaceCall
    {
        RevokeById,
        Delete,
        RevokeAll,
        RevokeMember,
        RemoveMember,
        SetMember,
        Create,
        List,
        ExpirySweep,
    }

    /// <summary>One round's organization: alice's target token (one day), bob's bystander token (30 days).</summary>
    private sealed record Round(IOrganizationGrain Org, string OrgId, IssuedToken Target, IssuedToken Bystander);

    private sealed record Call(RaceCall Kind, int Side)
    {
        /// <summary>The reason a revoking call gives, so the stored end names the call that won.</summary>
        public string Note => $"race {Kind} {Side.ToString(CultureInfo.InvariantCulture)}";

        public ImmutableArray<string> Permissions => Side == 0 ? ["scans:read", "scans:write"] : ["scans:read", "vulns:read"];

        public override string ToString() => $"{Kind}#{Side.ToString(CultureInfo.InvariantCulture)}";
    }

    [Fact]
    public async Task Every_racing_pair_finishes_within_a_second_and_the_first_end_wins_with_exactly_one_audit_event()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ZP_RACE_SEED"), CultureInfo.InvariantCulture, out var given) ? given : Random.Shared.Next();
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("ZP_RACE_ROUNDS"), CultureInfo.InvariantCulture, out var r) ? r : 20;
        var random = new Random(seed);
        var calls = Enum.GetValues<RaceCall>();
        var pairs = calls.SelectMany((a, i) => calls.Skip(i).Select(b => (A: a, B: b))).ToList();
        var failures = new List<string>();
        var slowest = (Ms: 0.0, Pair: "");
        var total = 0;

        // One unbounded round first, so the first bounded one does not pay for warming the cluster up.
        await RaceAsync(new Call(RaceCall.RevokeAll, 0), new Call(RaceCall.Create, 1), (0, 0), bounded: false);

        foreach (var (a, b) in pairs)
        {
            var pairSlowest = 0.0;
            var done = 0;
            for (var round = 0; round < rounds; round++)
            {
                var jitter = (FirstStarts: random.Next(2), Spin: random.Next(0, 4000));
                try
                {
                    var elapsed = await RaceAsync(new Call(a, 0), new Call(b, 1), jitter);
                    pairSlowest = Math.Max(pairSlowest, elapsed.TotalMilliseconds);
                    done++;
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    failures.Add($"{a} × {b}, round {round}, seed {seed}: {exception.Message}");
                    break;
                }
            }

            total += done;
            if (pairSlowest > slowest.Ms)
            {
                slowest = (pairSlowest, $"{a} × {b}");
            }

            output.WriteLine($"  {a} × {b}: {done} rounds, slowest {pairSlowest:F0} ms");
        }

        output.WriteLine(
            $"grain race suite: {pairs.Count} pairs, {total} rounds ({rounds} per pair), slowest round {slowest.Ms:F0} ms ({slowest.Pair}), " +
            $"{failures.Count} failing pairs, seed {seed}");
        if (nullRevokes.Count > 0)
        {
            failures.Add(
                $"revoking an issued token by id answered null (404 token_not_found) when a racing call had ended it first, in {nullRevokes.Count} rounds: " +
                string.Join(", ", nullRevokes.CountBy(p => p).Select(p => $"{p.Key} ({p.Value})")));
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Starts both calls at once; returns how long the slower took after the gate opened. Throws on a hang or a wrong end state.</summary>
    private async Task<TimeSpan> RaceAsync(Call a, Call b, (int FirstStarts, int Spin) jitter, bool bounded = true)
    {
        var round = await NewRoundAsync();
        if (a.Kind == RaceCall.ExpirySweep || b.Kind == RaceCall.ExpirySweep)
        {
            // The target is past its expiry when the tick comes; the bystander is not.
            await fixture.AdvanceAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<object?> Start(Call call, bool late) => Task.Run(async () =>
        {
            await gate.Task;
            if (late)
            {
                Thread.SpinWait(jitter.Spin);
            }

            return await RunAsync(call, round);
        });

        var first = Start(a, late: jitter.FirstStarts == 1);
        var second = Start(b, late: jitter.FirstStarts == 0);
        var clock = Stopwatch.StartNew();
        gate.SetResult();
        try
        {
            await Task.WhenAll(first, second).WaitAsync(bounded ? Bound : TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Observe(first);
            Observe(second);
            throw new TimeoutException(
                $"the calls did not both finish within {Bound.TotalSeconds} s ({a}: {first.Status}, {b}: {second.Status}; organization {round.OrgId})");
        }

        var elapsed = clock.Elapsed;
        await CheckAsync(round, [(a, first.Result), (b, second.Result)]);
        return elapsed;
    }

    private static void Observe(Task task) => task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);

    private async Task<Round> NewRoundAsync()
    {
        var orgId = TestSettings.UniqueId("race");
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(orgId);
        await org.SetMember("alice", Initial);
        await org.SetMember("bob", Initial);
        var target = await CreateAsync(org, "alice", 1);
        var bystander = await CreateAsync(org, "bob", 30);
        return new Round(org, orgId, target.Token!, bystander.Token!);
    }

    private static async Task<CreateTokenResult> CreateAsync(IOrganizationGrain org, string user, int days)
    {
        var created = await org.CreateToken(new CreateTokenCommand(user, null, days));
        Assert.Equal(CreateTokenStatus.Created, created.Status);
        return created;
    }

    private async Task<object?> RunAsync(Call call, Round round) => call.Kind switch
    {
        RaceCall.RevokeById => await fixture.Grains.RevokeTokenAsync(round.Target.TokenId, call.Note),
        RaceCall.Delete => await round.Org.DeleteToken(round.Target.TokenId),
        RaceCall.RevokeAll => await round.Org.RevokeAll(call.Note),
        RaceCall.RevokeMember => await round.Org.RevokeMemberTokens("alice", call.Note),
        RaceCall.RemoveMember => await round.Org.RemoveMember("alice"),
        RaceCall.SetMember => await round.Org.SetMember("alice", call.Permissions),
        RaceCall.Create => await round.Org.CreateToken(new CreateTokenCommand("alice", null, 30)),
        RaceCall.List => await round.Org.ListAllTokensAsync(),
        RaceCall.ExpirySweep => await TickAsync(round.Org),
        _ => throw new ArgumentOutOfRangeException(nameof(call)),
    };

    /// <summary>The organization's expiry reminder, delivered by hand.</summary>
    private static async Task<object?> TickAsync(IOrganizationGrain org)
    {
        await org.AsReference<IRemindable>().ReceiveReminder("expire", new TickStatus(DateTime.UtcNow, TimeSpan.FromHours(1), DateTime.UtcNow));
        return null;
    }

    private async Task CheckAsync(Round round, (Call Call, object? Result)[] results)
    {
        var kinds = results.Select(r => r.Call.Kind).ToHashSet();
        var ends = kinds.Overlaps(Enders);
        var revokesAll = kinds.Contains(RaceCall.RevokeAll);

        // At once, before any background work: a revoke, delete or expiry that returned holds; nothing else ended anything.
        var target = await fixture.ValidateAsync(round.Target.TokenId, round.Target.Secret);
        Assert.True(target.IsValid != ends, $"the target {(ends ? "validates after a call that ends it returned" : "stopped validating")}: {target.Outcome}");
        Assert.True(
            (await fixture.ValidateAsync(round.Bystander.TokenId, round.Bystander.Secret)).IsValid != revokesAll,
            "bob's token " + (revokesAll ? "validates after revoke-all returned" : "was touched by a call about alice"));

        await SettledAsync(round.Org);

        var audit = (await fixture.Grains.GetGrain<IAuditLogGrain>(round.OrgId).GetPage(null, 500)).Events;
        var indexed = ((await fixture.ReadStoredAsync<TokenIndexShardState>("index", fixture.Grains.GetGrain<ITokenIndexShardGrain>($"{round.OrgId}/0"))).State?.Entries ?? [])
            .Select(e => e.Token.TokenId).ToHashSet();
        var listed = (await round.Org.ListAllTokensAsync()).Select(t => t.TokenId).ToHashSet();
        var member = await fixture.Grains.GetGrain<IMemberGrain>($"{round.OrgId}/alice").GetPermissions();

        // The target: ended by exactly one of the racing calls (the first), recorded once, out of the index.
        var stored = (await fixture.ReadStoredTokenAsync(round.Target.TokenId))!;
        var targetEnds = EndEvents(audit, round.Target.TokenId);
        Assert.Single(audit, e => e.TokenId == round.Target.TokenId && e.Action == AuditAction.TokenCreated);
        if (!ends)
        {
            Assert.Null(stored.EndReason);
            Assert.Empty(targetEnds);
            Assert.Contains(round.Target.TokenId, listed);
        }
        else
        {
            Assert.Null(stored.SecretHash);
            var winner = Winner(stored, results.Select(r => r.Call));
            var ended = Assert.Single(targetEnds);
            Assert.Equal(ExpectedEvent(winner), (ended.Action, ended.Reason));
            Assert.DoesNotContain(round.Target.TokenId, indexed);
            Assert.DoesNotContain(round.Target.TokenId, listed);
            Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(round.Target.TokenId, round.Target.Secret)).Outcome);
            var described = (await fixture.Grains.GetGrain<ITokenGrain>(round.Target.TokenId).Describe())!;
            Assert.Equal(StatusOf(stored.EndReason!.Value), described.Status);

            foreach (var (call, result) in results)
            {
                switch (call.Kind)
                {
                    case RaceCall.RevokeById when result is TokenDetails details:
                        Assert.Equal(winner == call ? TokenStatus.Revoked : described.Status, details.Status);
                        break;
                    case RaceCall.RevokeById:
                        // The token was issued, so revoking it by id answers with it however it ended, never "no such
                        // token" (the admin route's 404 token_not_found). Counted, and the round's other checks go on.
                        nullRevokes.Add($"{results[0].Call.Kind} × {results[1].Call.Kind}");
                        break;
                }
            }

            // A delete answers true exactly when it ended the token.
            var deleted = results.Count(r => r.Call.Kind == RaceCall.Delete && (bool)r.Result!);
            Assert.True(deleted == (winner.Kind == RaceCall.Delete ? 1 : 0), $"{deleted} deletes answered true; {winner} ended the token");
        }

        // Bob's token: only revoke-all reaches it.
        var bystander = (await fixture.ReadStoredTokenAsync(round.Bystander.TokenId))!;
        var bystanderEnds = EndEvents(audit, round.Bystander.TokenId);
        if (revokesAll)
        {
            Assert.Equal(TokenEndReason.Revoked, bystander.EndReason);
            Assert.Equal(AuditAction.TokenRevoked, Assert.Single(bystanderEnds).Action);
            Assert.DoesNotContain(round.Bystander.TokenId, indexed);
        }
        else
        {
            Assert.Null(bystander.EndReason);
            Assert.Empty(bystanderEnds);
            Assert.Contains(round.Bystander.TokenId, listed);
        }

        foreach (var (call, result) in results)
        {
            switch (call.Kind)
            {
                case RaceCall.Create:
                    await CheckCreatedAsync(round, (CreateTokenResult)result!, results, audit, indexed, listed, member);
                    break;
                case RaceCall.SetMember when !kinds.Contains(RaceCall.RemoveMember) && results.Count(x => x.Call.Kind == RaceCall.SetMember) == 1:
                    Assert.Equal(call.Permissions.ToArray(), member!.Value.ToArray());
                    break;
                case RaceCall.RemoveMember when !kinds.Contains(RaceCall.SetMember):
                    Assert.Null(member);
                    break;
                case RaceCall.List:
                    Assert.Subset(Issued(round, results), ((ImmutableArray<TokenSummary>)result!).Select(t => t.TokenId).ToHashSet());
                    break;
            }
        }

        // A live token of alice's carries her current permissions, whichever order a permission change took.
        if (!ends && member is { } permissions)
        {
            Assert.Equal(permissions.ToArray(), (await fixture.ValidateAsync(round.Target.TokenId, round.Target.Secret)).Permissions.ToArray());
        }
    }

    /// <summary>
    /// A token created while a bulk call runs is either covered (created first: refused, and ended once the fan-out
    /// finishes) or not (created after: valid and listed); never listed-and-refused nor unlisted-and-valid.
    /// </summary>
    private async Task CheckCreatedAsync(
        Round round, CreateTokenResult created, (Call Call, object? Result)[] results, ImmutableArray<AuditEvent> audit,
        HashSet<Guid> indexed, HashSet<Guid> listed, ImmutableArray<string>? member)
    {
        var removes = results.Any(r => r.Call.Kind == RaceCall.RemoveMember);
        if (created.Status == CreateTokenStatus.MemberNotFound && removes)
        {
            return;
        }

        Assert.Equal(CreateTokenStatus.Created, created.Status);
        var token = created.Token!;
        var valid = (await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid;
        var stored = (await fixture.ReadStoredTokenAsync(token.TokenId))!;
        Assert.Single(audit, e => e.TokenId == token.TokenId && e.Action == AuditAction.TokenCreated);
        Assert.True(valid == listed.Contains(token.TokenId), $"the created token is {(valid ? "valid but not listed" : "listed but refused")}");
        Assert.True(valid == indexed.Contains(token.TokenId), "the created token's index entry disagrees with whether it validates");
        Assert.True(valid == (stored.EndReason is null), $"the created token validates: {valid}, stored end: {stored.EndReason}");
        Assert.Equal(valid ? 0 : 1, EndEvents(audit, token.TokenId).Count());

        // Covered exactly when the bulk call counted it (it counts the target, and bob's token for revoke-all).
        var expectedValid = true;
        foreach (var (call, result) in results)
        {
            expectedValid &= call.Kind switch
            {
                RaceCall.RevokeAll => (int)result! == 2,
                RaceCall.RevokeMember => (int?)result != 2,
                RaceCall.RemoveMember => false,
                _ => true,
            };
        }

        Assert.Equal(expectedValid, valid);
        if (valid && member is { } permissions)
        {
            Assert.Equal(permissions.ToArray(), (await fixture.ValidateAsync(token.TokenId, token.Secret)).Permissions.ToArray());
        }
    }

    private static HashSet<Guid> Issued(Round round, (Call Call, object? Result)[] results) =>
    [
        round.Target.TokenId,
        round.Bystander.TokenId,
        .. results.Select(r => r.Result).OfType<CreateTokenResult>().Where(c => c.Token is not null).Select(c => c.Token!.TokenId),
    ];

    private static IEnumerable<AuditEvent> EndEvents(ImmutableArray<AuditEvent> audit, Guid tokenId) =>
        audit.Where(e => e.TokenId == tokenId && e.Action != AuditAction.TokenCreated);

    /// <summary>Which racing call ended the token, read from what the token stored.</summary>
    private static Call Winner(Grains.Tokens.TokenState stored, IEnumerable<Call> calls)
    {
        var candidates = calls.Where(call => stored.EndReason switch
        {
            TokenEndReason.Deleted => call.Kind == RaceCall.Delete,
            TokenEndReason.Expired => call.Kind == RaceCall.ExpirySweep,
            TokenEndReason.MemberRemoved => call.Kind == RaceCall.RemoveMember,
            _ => call.Note == stored.EndNote,
        }).ToList();
        Assert.True(candidates.Count > 0, $"the token ended ({stored.EndReason}, {stored.EndNote}) by no racing call");
        // Two deletes (or two sweeps, or two removals) end it alike; the first of them is the winner.
        return candidates[0];
    }

    private static (AuditAction, string?) ExpectedEvent(Call winner) => winner.Kind switch
    {
        RaceCall.Delete => (AuditAction.TokenDeleted, null),
        RaceCall.ExpirySweep => (AuditAction.TokenExpired, null),
        RaceCall.RemoveMember => (AuditAction.TokenRevoked, "owner removed from the organization"),
        _ => (AuditAction.TokenRevoked, winner.Note),
    };

    private static TokenStatus StatusOf(TokenEndReason reason) => reason switch
    {
        TokenEndReason.Deleted => TokenStatus.Deleted,
        TokenEndReason.Expired => TokenStatus.Expired,
        _ => TokenStatus.Revoked,
    };

    /// <summary>Waits, bounded, until every fan-out (revocations and the expiry sweep) and permission change is done.</summary>
    private async Task SettledAsync(IOrganizationGrain org)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var work = await org.PendingWork();
            var stored = await fixture.ReadStoredAsync<OrganizationState>("organization", org);
            if (work == new OrganizationWork(0, 0) && (stored.State?.FanOuts.Count ?? 0) == 0)
            {
                return;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"the organization's background work did not finish: {work}");
            await Task.Delay(10);
        }
    }
}
