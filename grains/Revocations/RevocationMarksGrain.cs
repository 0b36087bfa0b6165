using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Revocations;

public sealed partial class RevocationMarksGrain(
    [PersistentState("revocation-marks", GrainStorageNames.Tokens)] IPersistentState<RevocationMarksState> state,
    IClusterMembershipService membership,
    IRevocationMarksServiceClient silos,
    ILogger<RevocationMarksGrain> logger) : Grain, IRevocationMarksGrain
{
    public Task<RevocationMarks> Read() => Task.FromResult(state.State.Marks);

    public async Task Publish(RevocationMarks marks)
    {
        var organizationId = this.GetPrimaryKeyString();
        if (state.State.Marks != marks)
        {
            state.State.Marks = marks;
            await state.WriteStateAsync();
        }

        // Every active silo, this one included. A silo that cannot be reached is most likely dying (its activations go
        // with it); if it is not, the organization's per-token fan-out still has to reach its tokens, and fails if it
        // cannot, which leaves the revocation pending and retried.

        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToList();
        var deliveries = active.Select(async silo =>
        {
            try
            {
                await silos.OnSilo(silo).Apply(organizationId, marks);
                return true;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LogDeliveryFailed(logger, exception, organizationId, silo);
                return false;
            }
        });
        var delivered = (await Task.WhenAll(deliveries)).Count(ok => ok);
        LogRaised(logger, organizationId, marks.OrganizationThrough, delivered, active.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revocation marks of organization {OrganizationId} could not be delivered to silo {Silo}")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string organizationId, SiloAddress silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revocation marks of organization {OrganizationId} raised (organization through epoch {OrganizationThrough}); delivered to {Delivered} of {Silos} silos")]
    private static partial void LogRaised(ILogger logger, string organizationId, long organizationThrough, int delivered, int silos);
}

/// <summary>Stored state of <see cref="RevocationMarksGrain"/>.</summary>
[GenerateSerializer]
[Alias("zp.revocation-epoch-state")]
public sealed class RevocationMarksState
{
    [Id(0)] public RevocationMarks Marks { get; set; } = RevocationMarks.None;
}
