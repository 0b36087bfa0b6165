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
    [PersistentState("audit", GrainStorageNames.Tokens)] IPersistentState<AuditLogState> state,
    TokenMetrics metrics) : Grain, IAuditLogGrain
{
    /// <summary>Events per segment: ~300 bytes each keeps a segment far below a storage entity's 1 MiB.</summary>
    public const int SegmentSize = 500;
    public const int MaxPageSize = 500;

    public async Task Record(ImmutableArray<AuditEvent> events)
    {
        if (events.IsEmpty)
        {
            return;
        }

        // Segments first, the count last: a failure in between leaves events past the count, which are never shown
        // (reads stop at the count) and are rewritten by the retry.
        foreach (var group in events.GroupBy(e => e.Sequence / SegmentSize))
        {
            await Segment(group.Key).Write([.. group]);
        }

        var before = state.State.Count;
        var count = Math.Max(before, events.Max(e => e.Sequence) + 1);
        if (count != before)
        {
            state.State.Count = count;
            await state.WriteStateAsync();
        }

        // Counted once each: only events past the count stored before (a retry rewrites, and counts, nothing again).
        foreach (var recorded in events)
        {
            if (recorded.Sequence >= before)
            {
                metrics.AuditRecorded(recorded.Action);
            }
        }

        // Then the organization's webhooks, which take each sequence once: a retried Record (after a crash or a failure
        // here) queues nothing twice, and a failure here fails Record, so the organization keeps the events and retries.
        await GrainFactory.GetGrain<IWebhookGrain>(this.GetPrimaryKeyString()).Enqueue(events);
    }

    public Task<long> Count() => Task.FromResult(state.State.Count);

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
    public async Task Write(ImmutableArray<AuditEvent> events)
    {
        // Replace by sequence: recording the same events again rewrites them instead of duplicating them.
        var sequences = events.Select(e => e.Sequence).ToHashSet();
        state.State.Events.RemoveAll(e => sequences.Contains(e.Sequence));
        state.State.Events.AddRange(events);
        state.State.Events.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        await state.WriteStateAsync();
    }

    public Task<ImmutableArray<AuditEvent>> Read() => Task.FromResult(state.State.Events.ToImmutableArray());
}
