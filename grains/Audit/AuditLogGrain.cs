using System.Collections.Immutable;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Audit;

[GenerateSerializer]
[Alias("zp.audit-log-state")]
public sealed class AuditLogState
{
    /// <summary>Events recorded so far; the next gets this sequence number.</summary>
    [Id(0)] public long Count { get; set; }
}

public sealed class AuditLogGrain(
    [PersistentState("audit", GrainStorageNames.Tokens)] IPersistentState<AuditLogState> state) : Grain, IAuditLogGrain
{
    /// <summary>Events per segment: ~300 bytes each keeps a segment far below a storage entity's 1 MiB.</summary>
    public const int SegmentSize = 500;
    public const int MaxPageSize = 500;

    public async Task Append(ImmutableArray<AuditEntry> entries)
    {
        if (entries.IsEmpty)
        {
            return;
        }

        var first = state.State.Count;
        var events = entries.Select((e, i) => new AuditEvent(first + i, e.At, e.Action, e.Actor, e.TokenId, e.UserId, e.Reason)).ToList();
        // Segments first, the count last: a failure in between leaves events past the count, which are overwritten
        // by the retry and never shown (reads stop at the count).
        foreach (var group in events.GroupBy(e => e.Sequence / SegmentSize))
        {
            await Segment(group.Key).Append([.. group]);
        }

        state.State.Count = first + events.Count;
        await state.WriteStateAsync();
    }

    public async Task<AuditPage> GetPage(long? before, int limit)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var end = Math.Min(before ?? state.State.Count, state.State.Count);
        var start = Math.Max(0, end - limit);
        var events = new List<AuditEvent>(limit);
        for (var segment = end == 0 ? -1 : (end - 1) / SegmentSize; segment >= 0 && segment >= start / SegmentSize; segment--)
        {
            var stored = await Segment(segment).Read();
            events.AddRange(stored.Where(e => e.Sequence >= start && e.Sequence < end).OrderByDescending(e => e.Sequence));
        }

        return new AuditPage([.. events], start > 0 ? start : null);
    }

    private IAuditSegmentGrain Segment(long number) =>
        GrainFactory.GetGrain<IAuditSegmentGrain>($"{this.GetPrimaryKeyString()}/{number}");
}

[GenerateSerializer]
[Alias("zp.audit-segment-state")]
public sealed class AuditSegmentState
{
    [Id(0)] public List<AuditEvent> Events { get; set; } = [];
}

public sealed class AuditSegmentGrain(
    [PersistentState("audit-segment", GrainStorageNames.Tokens)] IPersistentState<AuditSegmentState> state) : Grain, IAuditSegmentGrain
{
    public async Task Append(ImmutableArray<AuditEvent> events)
    {
        // Replace by sequence: a retried append rewrites the same numbers instead of duplicating them.
        var first = events.Min(e => e.Sequence);
        state.State.Events.RemoveAll(e => e.Sequence >= first);
        state.State.Events.AddRange(events);
        await state.WriteStateAsync();
    }

    public Task<ImmutableArray<AuditEvent>> Read() => Task.FromResult(state.State.Events.ToImmutableArray());
}
