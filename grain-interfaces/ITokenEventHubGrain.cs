using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// Where an event stands in the hub's stream: the hub activation that numbered it (a new activation starts a new stream,
/// so a gateway can tell that events may have been lost) and its number in that stream, from 1 without gaps.
/// <c>Gateways</c>, only in <see cref="ITokenEventHubGrain.Subscribe"/>'s answer: how many gateways are live (renewed
/// within <c>TokenEventHubGrain.LiveWithin</c>), the caller included; each enforces its share of a token's rate limit.
/// 0 in events, and from a hub older than this field.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-event-position")]
public sealed record TokenEventPosition(
    [property: Id(0)] Guid Stream,
    [property: Id(1)] long Sequence,
    [property: Id(2)] int Gateways = 0);

/// <summary>
/// What gateways are told, by push, the moment it happens. Every event carries its position. Acknowledged, not one-way:
/// the change that caused an event returns only once every subscribed gateway applied it (or failed to in time).
/// </summary>
[Alias("zp.token-events")]
public interface ITokenEventObserver : IGrainObserver
{
    /// <summary>These tokens ended (deleted, revoked, expired) and will never validate again.</summary>
    [Alias("tokens-ended")]
    Task TokensEnded(TokenEventPosition position, ImmutableArray<Guid> tokenIds);

    /// <summary>These tokens now carry these permissions.</summary>
    [Alias("tokens-permissions-changed")]
    Task PermissionsChanged(TokenEventPosition position, ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions);
}

/// <summary>
/// Fans token events out to every subscribed gateway (key 0: one hub per cluster), numbering them so a gateway can prove
/// it missed none. Gateways re-subscribe every second; the answer is the position of the last event published, which a
/// gateway compares with what it received: a gap, or a new stream (the hub moved after a crash), means events may have
/// been lost and the gateway revalidates what it cached.
/// </summary>
[Alias("zp.token-event-hub")]
public interface ITokenEventHubGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Subscribes or renews; returns the position of the last event published (sequence 0: none yet) and the number of
    /// live gateways.
    /// </summary>
    [Alias("subscribe")]
    [EdgeCallable]
    Task<TokenEventPosition> Subscribe(ITokenEventObserver observer);

    [Alias("unsubscribe")]
    [EdgeCallable]
    Task Unsubscribe(ITokenEventObserver observer);

    /// <summary>Tells every subscribed gateway and waits (bounded) for each to acknowledge.</summary>
    [Alias("publish-ended")]
    Task PublishEnded(ImmutableArray<Guid> tokenIds);

    /// <summary>Tells every subscribed gateway and waits (bounded) for each to acknowledge.</summary>
    [Alias("publish-permissions")]
    Task PublishPermissions(ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions);
}
