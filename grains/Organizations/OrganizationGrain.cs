using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Storage;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>
/// Wires an organization together: its record (<see cref="OrganizationState"/>, whose transitions are plain code), its
/// members (<see cref="MemberGrain"/>), its token index (<see cref="TokenIndexShardGrain"/>s), its tokens, revocation
/// marks, audit trail and the gateways' event hub. It calls them; none calls it back.
/// </summary>
public sealed partial class OrganizationGrain(
    [PersistentState("organization", GrainStorageNames.Tokens)] IPersistentState<OrganizationState> state,
    TokenSecretHasher hasher,
    SecretFormatKeyRing formatKeys,
    TimeProvider time,
    ILogger<OrganizationGrain> logger) : Grain, IOrganizationGrain, IRemindable
{
    private OrganizationState Org => state.State;

    private string OrganizationId => this.GetPrimaryKeyString();

    private ITokenEventHubGrain Events => GrainFactory.GetGrain<ITokenEventHubGrain>(0);

    private IAuditLogGrain AuditLog => GrainFactory.GetGrain<IAuditLogGrain>(OrganizationId);

    private IOrganizationGrain Self => GrainFactory.GetGrain<IOrganizationGrain>(OrganizationId);

    private IMemberGrain Member(string userId) => GrainFactory.GetGrain<IMemberGrain>($"{OrganizationId}/{userId}");

    private ITokenIndexShardGrain Shard(long shard) => GrainFactory.GetGrain<ITokenIndexShardGrain>(TokenIndexLayout.ShardKey(OrganizationId, shard));

    private ITokenGrain Token(Guid tokenId) => GrainFactory.GetGrain<ITokenGrain>(tokenId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Events stored with their change whose hand-over to the trail failed or was cut short.
        await FlushAuditAsync();
        await SettleUnfinishedCreateAsync();
        if (Org.Unlisting.Count > 0)
        {
            await UnlistAsync([.. Org.Unlisting]);
            await PersistAsync();
        }

        if (Org.FanOuts.Any(f => f.Kind == FanOutKind.Revocation))
        {
            // The marks may have been stored here but not published when a crash came.
            await PublishMarksAsync();
        }

        foreach (var userId in Org.PermissionSyncs.ToList())
        {
            await SyncPermissionsAsync(userId);
        }

        ContinueFanOuts();
    }


    private AuditEntry Entry(AuditAction action, Guid tokenId, string userId, string? reason, string? actor = null) =>
        new(time.GetUtcNow(), action, actor ?? AuditActor.Current, tokenId, userId, reason);

    /// <summary>Numbers events from the stored next sequence (read from the trail the first time) into the outbox.</summary>
    private async Task StageAuditAsync(IEnumerable<AuditEntry> entries)
    {
        Org.AuditNext ??= await AuditLog.Count();
        Org.StageAudit(entries);
    }

    /// <summary>
    /// Hands stored events to the trail. Their action has already happened, so a failure here does not fail it: the
    /// events stay stored and go with the next action or activation (recording them twice rewrites them in place).
    /// The emptied outbox is stored by the next write.
    /// </summary>
    private async Task FlushAuditAsync()
    {
        var outbox = Org.AuditOutbox;
        if (outbox.Count == 0)
        {
            return;
        }

        try
        {
            await AuditLog.Record([.. outbox]);
            outbox.Clear();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogAuditDeferred(logger, exception, OrganizationId, outbox.Count);
        }
    }


    private Task PersistAsync() => state.WriteOrDropAsync(DeactivateOnIdle);

    private static void RequireValidUserId(string userId)
    {
        if (!TokenRules.IsValidId(userId))
        {
            throw new ArgumentException("Invalid user id.", nameof(userId));
        }
    }


    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit events of organization {OrganizationId} are stored but not yet in its trail ({EventCount}); they go with its next action or activation")]
    private static partial void LogAuditDeferred(ILogger logger, Exception exception, string organizationId, int eventCount);
}
