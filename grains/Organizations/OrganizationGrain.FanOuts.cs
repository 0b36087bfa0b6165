using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>Bulk revocations and expiry sweeps: in effect at once through the revocation marks, then carried out in the background, one index shard per turn.</summary>
public sealed partial class OrganizationGrain
{
    /// <summary>Token grains called at once by a fan-out; the rest wait their turn.</summary>
    private const int FanOutParallelism = 64;

    public async Task<int> RevokeAll(string reason)
    {
        var revoked = await RevokeAsync(null, TokenEndReason.Revoked, reason);
        LogRevoked(logger, OrganizationId, revoked, reason);
        return revoked;
    }

    /// <summary>
    /// Revokes a member's tokens (or, with no member, the organization's) at once, and durably. The raised marks and the
    /// fan-out are stored together, and a reminder set, before anything else; the marks then reach every silo, so no
    /// covered token validates from then on; gateways are told each token's end; then this returns, and the fan-out ends
    /// each token and drops it from the index in the background, one shard per turn. Returns how many tokens.
    /// </summary>
    private async Task<int> RevokeAsync(string? member, TokenEndReason reason, string? note)
    {
        var covered = new List<ImmutableArray<IndexedToken>>();
        var selection = new TokenSelection(UserId: member, Before: Org.NextSequence);
        foreach (var shard in Org.Shards)
        {
            // Tokens an earlier revocation or sweep is already ending are neither counted nor revoked again.
            var tokens = (await Shard(shard).Find(selection)).RemoveAll(Org.IsBeingEnded);
            if (!tokens.IsEmpty)
            {
                covered.Add(tokens);
            }
        }

        var count = covered.Sum(tokens => tokens.Length);
        if (count == 0)
        {
            if (Org.FanOuts.Any(f => f.Kind == FanOutKind.Revocation))
            {
                // Perhaps a retry of a revocation whose call failed after its fan-out was stored: its marks are put in
                // effect again and its fan-out carried on, though this call revokes nothing more.
                await PublishMarksAsync();
                ContinueFanOuts();
            }

            return 0;
        }

        await RegisterResumeAsync();
        Org.BeginRevocation(member, reason, note, AuditActor.Current);
        await PersistAsync();
        await PublishMarksAsync();
        foreach (var tokens in covered)
        {
            await Events.PublishEnded([.. tokens.Select(t => t.Token.TokenId)]);
        }

        LogRevocationStarted(logger, OrganizationId, count);
        ContinueFanOuts();
        return count;
    }

    /// <summary>Stores the marks as this organization holds them and hands them to every silo.</summary>
    private Task PublishMarksAsync() => GrainFactory.GetGrain<IRevocationMarksGrain>(OrganizationId).Publish(Org.Marks);

    /// <summary>A step is asked for and has not started yet: one chain of steps at a time, however often work is added.</summary>
    private bool stepQueued;

    /// <summary>
    /// Asks this organization, without waiting, to carry its owed fan-outs one step further in a turn of its own.
    /// <paramref name="force"/> (the resume reminder): ask even if a step is thought queued, in case that call was lost.
    /// </summary>
    private void ContinueFanOuts(bool force = false)
    {
        if (Org.FanOuts.Count > 0 && (!stepQueued || force))
        {
            stepQueued = true;
            Self.RunFanOuts().Ignore();
        }
    }

    /// <summary>
    /// One step of the oldest fan-out: the next shard it covers. Ends the tokens the fan-out selects there, tells the
    /// gateways, records why, drops them from the shard, and stores how far it got; then asks for the next step, so
    /// other calls take turns in between. A failure leaves the step to the resume reminder.
    /// </summary>
    public async Task RunFanOuts()
    {
        stepQueued = false;
        if (Org.FanOuts.Count == 0)
        {
            return;
        }

        var fanOut = Org.FanOuts[0];
        try
        {
            if (Org.NextShardOf(fanOut) is { } shard)
            {
                await (fanOut.Kind == FanOutKind.PolicySync ? FollowPolicyAsync(fanOut, shard) : EndSelectedAsync(fanOut, shard));
                fanOut.NextShard = shard + 1;
                await PersistAsync();
                await FlushAuditAsync();
            }
            else
            {
                await FinishAsync(fanOut);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogFanOutDeferred(logger, exception, OrganizationId, fanOut.Kind);
            return;
        }

        ContinueFanOuts();
    }

    private async Task EndSelectedAsync(FanOut fanOut, long shard)
    {
        var tokens = await Shard(shard).Find(fanOut.Selection);
        if (tokens.IsEmpty)
        {
            return;
        }

        await ForEachTokenAsync(tokens, token => token.Terminate(fanOut.Reason, fanOut.Note));
        await Events.PublishEnded([.. tokens.Select(t => t.Token.TokenId)]);
        await RecordEndsAsync(tokens.Select(t => (t, Entry(fanOut.Action, t.Token.TokenId, t.Token.UserId, fanOut.AuditReason, fanOut.Actor))));
        await UnlistAsync([.. tokens.Select(t => t.Sequence)]);
    }

    private async Task FinishAsync(FanOut fanOut)
    {
        var marksChanged = Org.Finish(fanOut);
        if (fanOut.Kind == FanOutKind.Expiry)
        {
            await RescheduleExpiryAsync();
        }

        await PersistAsync();
        if (marksChanged)
        {
            await PublishMarksAsync();
        }

        await UnregisterResumeWhenDoneAsync();
        LogFanOutFinished(logger, OrganizationId, fanOut.Kind);
    }

    public Task<OrganizationWork> PendingWork() =>
        Task.FromResult(new OrganizationWork(
            Org.FanOuts.Count(f => f.Kind == FanOutKind.Revocation), Org.PermissionSyncs.Count, Org.FanOuts.Count(f => f.Kind == FanOutKind.PolicySync)));

    /// <summary>Calls token grains in batches of <see cref="FanOutParallelism"/>: bounded parallelism, all done on return.</summary>
    private async Task ForEachTokenAsync(ImmutableArray<IndexedToken> tokens, Func<ITokenGrain, Task> call)
    {
        foreach (var batch in tokens.Chunk(FanOutParallelism))
        {
            await Task.WhenAll(batch.Select(entry => call(Token(entry.Token.TokenId))));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revoked {TokenCount} tokens of organization {OrganizationId}: {Reason}")]
    private static partial void LogRevoked(ILogger logger, string organizationId, int tokenCount, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoking {TokenCount} tokens of organization {OrganizationId}: marks raised, gateways told; fan-out started")]
    private static partial void LogRevocationStarted(ILogger logger, string organizationId, int tokenCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Organization {OrganizationId}: {Kind} fan-out finished")]
    private static partial void LogFanOutFinished(ILogger logger, string organizationId, FanOutKind kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Organization {OrganizationId}: a {Kind} fan-out step failed; the resume reminder tries again")]
    private static partial void LogFanOutDeferred(ILogger logger, Exception exception, string organizationId, FanOutKind kind);
}
