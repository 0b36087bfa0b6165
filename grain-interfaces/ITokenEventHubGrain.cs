using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>What gateways are told, by push, the moment it happens.</summary>
[Alias("zp.token-events")]
public interface ITokenEventObserver : IGrainObserver
{
    /// <summary>These tokens ended (deleted, revoked, expired) and will never validate again.</summary>
    [OneWay]
    [Alias("ended")]
    Task TokensEnded(ImmutableArray<Guid> tokenIds);

    /// <summary>These tokens now carry these permissions.</summary>
    [OneWay]
    [Alias("permissions-changed")]
    Task PermissionsChanged(ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions);
}

/// <summary>
/// Fans token events out to every subscribed gateway (key 0: one hub per cluster). Subscriptions expire, so gateways
/// re-subscribe periodically; a gateway that missed events still asks the token grain on every request it cannot
/// answer from what it was told.
/// </summary>
[Alias("zp.token-event-hub")]
public interface ITokenEventHubGrain : IGrainWithIntegerKey
{
    [Alias("subscribe")]
    Task Subscribe(ITokenEventObserver observer);

    [Alias("unsubscribe")]
    Task Unsubscribe(ITokenEventObserver observer);

    [Alias("publish-ended")]
    Task PublishEnded(ImmutableArray<Guid> tokenIds);

    [Alias("publish-permissions")]
    Task PublishPermissions(ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions);
}
