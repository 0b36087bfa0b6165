using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// An organization's durable audit trail (key: organization id): what happened to its tokens, by whom, why. Its
/// organization numbers the events and stores them with the change they record before handing them here, so recording
/// the same events again (after a crash or a failed call) rewrites them in place instead of adding them twice.
/// </summary>
[Alias("zp.audit-log")]
public interface IAuditLogGrain : IGrainWithStringKey
{
    /// <summary>Stores numbered events; idempotent per sequence number.</summary>
    [Alias("record")]
    Task Record(ImmutableArray<AuditEvent> events);

    /// <summary>How many events the trail holds: the next sequence number.</summary>
    [ReadOnly]
    [Alias("count")]
    Task<long> Count();

    /// <summary>Newest first: up to <paramref name="limit"/> events with a sequence below <paramref name="before"/> (all when null).</summary>
    [ReadOnly]
    [Alias("page")]
    Task<AuditPage> GetPage(long? before, int limit);
}

/// <summary>A fixed-size slice of an audit trail (key: "{organization}/{segment number}"), so no stored entity grows without bound.</summary>
[Alias("zp.audit-segment")]
public interface IAuditSegmentGrain : IGrainWithStringKey
{
    [Alias("append")]
    Task Write(ImmutableArray<AuditEvent> events);

    [ReadOnly]
    [Alias("read")]
    Task<ImmutableArray<AuditEvent>> Read();
}

[GenerateSerializer]
[Alias("zp.audit-action")]
public enum AuditAction
{
    TokenCreated = 0,
    TokenDeleted = 1,
    TokenRevoked = 2,
    TokenExpired = 3,

    /// <summary>A token was rotated: its successor is named in the reason, with when it ends.</summary>
    TokenRotated = 4,

    /// <summary>The organization's token policy was set (token id empty, user id the actor); the reason holds the new policy.</summary>
    PolicyChanged = 5,
}

/// <summary>What to record; the organization assigns the sequence number when it stores it.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.audit-entry")]
public sealed record AuditEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] AuditAction Action,
    [property: Id(2)] string Actor,
    [property: Id(3)] Guid TokenId,
    [property: Id(4)] string UserId,
    [property: Id(5)] string? Reason)
{
    public AuditEvent Numbered(long sequence) => new(sequence, At, Action, Actor, TokenId, UserId, Reason);
}

[GenerateSerializer, Immutable]
[Alias("zp.audit-event")]
public sealed record AuditEvent(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] AuditAction Action,
    [property: Id(3)] string Actor,
    [property: Id(4)] Guid TokenId,
    [property: Id(5)] string UserId,
    [property: Id(6)] string? Reason);

/// <summary>One page, newest first; <see cref="NextBefore"/> asks for the next older page (null: no more).</summary>
[GenerateSerializer, Immutable]
[Alias("zp.audit-page")]
public sealed record AuditPage(
    [property: Id(0)] ImmutableArray<AuditEvent> Events,
    [property: Id(1)] long? NextBefore);

/// <summary>Who is acting: set by the admin API in the Orleans request context, read by the grains that record the audit trail.</summary>
public static class AuditActor
{
    public const string ContextKey = "zp.actor";
    public const string System = "system";
    public const string DefaultOperator = "admin";

    /// <summary>Revocations of secrets a secret-scanning partner reported are recorded as this prefix and the partner's name.</summary>
    public const string SecretScanningPrefix = "secret-scanning:";

    public static string Current => Orleans.Runtime.RequestContext.Get(ContextKey) as string ?? DefaultOperator;

    public static void Set(string actor) => Orleans.Runtime.RequestContext.Set(ContextKey, actor);
}
