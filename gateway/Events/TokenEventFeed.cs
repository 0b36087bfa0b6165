using System.Collections.Concurrent;
using System.Collections.Immutable;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Events;

/// <summary>
/// This gateway's subscription to the cluster's token events. Ended tokens are remembered for an hour, so requests
/// bearing them are refused without a grain call; anything not remembered (never told, forgotten, subscription lost)
/// still goes to the token grain, which is always right.
/// </summary>
public sealed partial class TokenEventFeed(IClusterClient cluster, TimeProvider time, ILogger<TokenEventFeed> logger)
    : BackgroundService, ITokenEventObserver
{
    public static readonly TimeSpan ResubscribeEvery = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RememberEndedFor = TimeSpan.FromHours(1);
    public const int MaxRemembered = 1_000_000;

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> ended = new();
    private readonly TaskCompletionSource subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITokenEventObserver? reference;

    /// <summary>Raised for every ended token as it arrives (used to measure propagation).</summary>
    public event Action<Guid>? TokenEnded;

    /// <summary>Completes once the first subscription succeeded.</summary>
    public Task Subscribed => subscribed.Task;

    public bool HasEnded(Guid tokenId) =>
        ended.TryGetValue(tokenId, out var until) && time.GetUtcNow() < until;

    public Task TokensEnded(ImmutableArray<Guid> tokenIds)
    {
        var until = time.GetUtcNow() + RememberEndedFor;
        if (ended.Count + tokenIds.Length > MaxRemembered)
        {
            // Bounded memory: forgetting only costs a grain call per request for those tokens.
            ended.Clear();
        }

        foreach (var id in tokenIds)
        {
            ended[id] = until;
            TokenEnded?.Invoke(id);
        }

        return Task.CompletedTask;
    }

    public Task PermissionsChanged(ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions) =>
        // Nothing cached here yet: every request asks the grain, which already holds the new permissions.
        Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = ResubscribeEvery;
            try
            {
                // Created once the client is connected, and kept for the process lifetime (observers are held weakly).
                reference ??= cluster.CreateObjectReference<ITokenEventObserver>(this);
                await cluster.GetGrain<ITokenEventHubGrain>(0).Subscribe(reference);
                subscribed.TrySetResult();
                Prune();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Until it succeeds, requests for ended tokens are answered by their grains.
                LogSubscribeFailed(logger, exception.GetType().Name);
                next = TimeSpan.FromSeconds(1);
            }

            try
            {
                await Task.Delay(next, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (id, until) in ended)
        {
            if (until <= now)
            {
                ended.TryRemove(id, out _);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to token events failed ({ErrorType}); retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, string errorType);
}
