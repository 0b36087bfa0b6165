using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>
/// The two reminders: "resume" finishes owed work after a crash; "expire" queues the expiry sweep when the earliest
/// expiry in the index is due, and ends rotated tokens whose grace period has passed.
/// </summary>
public sealed partial class OrganizationGrain
{
    /// <summary>Wakes the organization after a crash to finish owed work: a fan-out or a permission change.</summary>
    private const string ResumeReminder = "resume";

    /// <summary>Due at the index's earliest expiry or the first scheduled end of a rotated token, whichever is sooner.</summary>
    private const string ExpiryReminder = "expire";

    /// <summary>After its first tick, an expiry reminder whose sweep failed comes back this often.</summary>
    private static readonly TimeSpan ExpiryRetryPeriod = TimeSpan.FromHours(1);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ExpiryReminder && Org.BeginExpiry(time.GetUtcNow()))
        {
            await RegisterResumeAsync();
            await PersistAsync();
        }

        if (reminderName == ExpiryReminder)
        {
            await EndScheduledAsync();
        }

        // Anything still owed (a fan-out or a permission change that failed) is tried again; when nothing is, the
        // resume reminder goes.
        foreach (var userId in Org.PermissionSyncs.ToList())
        {
            await SyncPermissionsAsync(userId);
        }

        ContinueFanOuts(force: true);
        await UnregisterResumeWhenDoneAsync();
    }

    /// <summary>Brings the expiry reminder forward to <paramref name="expiresAt"/> when nothing earlier is due.</summary>
    private async Task ScheduleExpiryAsync(DateTimeOffset expiresAt)
    {
        if (Org.ExpiryDue is { } scheduled && scheduled <= expiresAt)
        {
            return;
        }

        var wait = expiresAt - time.GetUtcNow();
        await this.RegisterOrUpdateReminder(ExpiryReminder, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ExpiryRetryPeriod);
        Org.ExpiryDue = expiresAt;
    }

    /// <summary>
    /// After a sweep: the reminder moves to the earliest expiry the index still holds or the first scheduled end, or goes
    /// when there is neither.
    /// </summary>
    private async Task RescheduleExpiryAsync()
    {
        var summaries = await Task.WhenAll(Org.Shards.Select(shard => Shard(shard).Summary()));
        Org.ExpiryDue = null;
        var earliest = summaries.Min(s => s.EarliestExpiry);
        if (Org.ScheduledEnds.Count > 0 && (earliest is null || Org.ScheduledEnds[0].At < earliest))
        {
            earliest = Org.ScheduledEnds[0].At;
        }

        if (earliest is { } due)
        {
            await ScheduleExpiryAsync(due);
        }
        else if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>Set before owed work is stored: if the silo dies after storing it, this tick comes to finish it.</summary>
    private Task<IGrainReminder> RegisterResumeAsync() =>
        this.RegisterOrUpdateReminder(ResumeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    private async Task UnregisterResumeWhenDoneAsync()
    {
        if (!Org.OwesWork && await this.GetReminder(ResumeReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}
