using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ZeroPath.Gateway.Caching;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Proxy;

/// <summary>
/// The proxied requests this gateway is serving, by token id, so that none outlives its token: a WebSocket, an HTTP/2
/// stream or a long streaming response is aborted (<see cref="HttpContext.Abort"/>) when the token is pushed as ended,
/// when its permissions are pushed as changed (the identity headers the upstream was given are no longer true), at its
/// expiry, and when a check with the cluster (after the push channel missed events, and every
/// <see cref="EdgeCacheOptions.MaxAge"/>) finds it no longer live. On the hot path: one dictionary lookup and one
/// uncontended lock to add the request, the same to remove it.
/// </summary>
public sealed partial class InFlightRequests(
    IGrainFactory grains,
    EdgeCacheOptions options,
    TimeProvider time,
    ILogger<InFlightRequests> logger,
    IMeterFactory meters) : BackgroundService
{
    /// <summary>How often requests are checked against their token's expiry.</summary>
    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, TokenRequests> byToken = new(StringComparer.Ordinal);
    private readonly Counter<long> aborted = meters.Create(ZeroPathTelemetry.MeterName).CreateCounter<long>(
        "zeropath.gateway.aborted_requests", "{request}", "Proxied requests aborted because their token ended, changed or expired.");

    private int recheckRequested;

    /// <summary>Proxied requests in flight.</summary>
    public int Count => byToken.Values.Sum(t => t.Count);

    /// <summary>Adds a request that is about to be proxied; dispose the result when it has finished.</summary>
    public Registration Track(HttpContext context, AuthenticatedToken identity)
    {
        while (true)
        {
            var requests = byToken.GetOrAdd(identity.TokenId, static _ => new TokenRequests());
            if (requests.TryAdd(context, identity))
            {
                return new Registration(this, identity.TokenId, requests, context);
            }

            // Emptied and removed by another thread meanwhile: a new set takes its place.
        }
    }

    /// <summary>These tokens ended (deleted, revoked, expired): every request of theirs is aborted.</summary>
    public int AbortEnded(IEnumerable<Guid> tokenIds) => Abort(tokenIds, _ => true, "ended");

    /// <summary>These tokens' permissions changed: requests made under other permissions are aborted.</summary>
    public int AbortChangedPermissions(IEnumerable<Guid> tokenIds, IEnumerable<string> permissions)
    {
        var now = string.Join(',', permissions);
        return Abort(tokenIds, identity => !string.Equals(identity.Permissions, now, StringComparison.Ordinal), "permissions_changed");
    }

    /// <summary>Aborts every request whose token has expired by now.</summary>
    public int AbortExpired()
    {
        var now = time.GetUtcNow();
        var count = 0;
        foreach (var (tokenId, requests) in byToken)
        {
            if (requests.ExpiredBy(now))
            {
                count += Abort(tokenId, requests, _ => true, "expired");
            }
        }

        return count;
    }

    /// <summary>
    /// The push channel may have missed events: every token with a request in flight is asked whether it is still
    /// live (one grain call each, on the background loop). A token the cluster cannot vouch for is treated as ended
    /// (fail closed, as the validation cache does).
    /// </summary>
    public void RecheckSoon() => Interlocked.Exchange(ref recheckRequested, 1);

    public async Task<int> RecheckAsync(CancellationToken cancellationToken)
    {
        var ended = new ConcurrentBag<Guid>();
        await Parallel.ForEachAsync(byToken.Keys, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (tokenId, _) =>
        {
            var id = Guid.ParseExact(tokenId, "D");
            bool live;
            try
            {
                live = await grains.GetGrain<ITokenGrain>(id).IsLive().WaitAsync(options.MaxStaleness, time, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogRecheckFailed(logger, exception, id);
                live = false;
            }

            if (!live)
            {
                ended.Add(id);
            }
        });
        return Abort(ended, _ => true, "recheck");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastRecheck = time.GetTimestamp();
        using var timer = new PeriodicTimer(SweepEvery, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                AbortExpired();
                if (Interlocked.Exchange(ref recheckRequested, 0) == 1 || time.GetElapsedTime(lastRecheck) >= options.MaxAge)
                {
                    lastRecheck = time.GetTimestamp();
                    await RecheckAsync(stoppingToken);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, exception);
            }
        }
    }

    private int Abort(IEnumerable<Guid> tokenIds, Func<AuthenticatedToken, bool> which, string reason)
    {
        var count = 0;
        foreach (var id in tokenIds)
        {
            var tokenId = id.ToString("D");
            if (byToken.TryGetValue(tokenId, out var requests))
            {
                count += Abort(tokenId, requests, which, reason);
            }
        }

        return count;
    }

    private int Abort(string tokenId, TokenRequests requests, Func<AuthenticatedToken, bool> which, string reason)
    {
        var count = requests.Abort(which);
        if (count > 0)
        {
            aborted.Add(count, new KeyValuePair<string, object?>("zeropath.abort.reason", reason));
            LogAborted(logger, count, tokenId, reason);
        }

        return count;
    }

    private void Release(string tokenId, TokenRequests requests, HttpContext context)
    {
        if (requests.Remove(context))
        {
            // Empty, and no longer accepting: the entry goes (only if it is still this set).
            byToken.TryRemove(new KeyValuePair<string, TokenRequests>(tokenId, requests));
        }
    }

    /// <summary>A tracked request; disposing it (when the request has finished) removes it.</summary>
    public readonly struct Registration(InFlightRequests owner, string tokenId, TokenRequests requests, HttpContext context) : IDisposable
    {
        public void Dispose() => owner.Release(tokenId, requests, context);
    }

    /// <summary>One token's requests. Once emptied it is retired: a new request for the token starts a new set.</summary>
    public sealed class TokenRequests
    {
        private readonly Lock gate = new();
        private readonly List<(HttpContext Context, AuthenticatedToken Identity)> requests = new(1);
        private bool retired;

        private DateTimeOffset expiresAt = DateTimeOffset.MaxValue;

        public bool ExpiredBy(DateTimeOffset now)
        {
            lock (gate)
            {
                return expiresAt <= now;
            }
        }

        public int Count
        {
            get
            {
                lock (gate)
                {
                    return requests.Count;
                }
            }
        }

        public bool TryAdd(HttpContext context, AuthenticatedToken identity)
        {
            lock (gate)
            {
                if (retired)
                {
                    return false;
                }

                requests.Add((context, identity));
                if (identity.ExpiresAt < expiresAt)
                {
                    expiresAt = identity.ExpiresAt;
                }

                return true;
            }
        }

        /// <summary>Removes a finished request; true when that left the set empty (it is then retired).</summary>
        public bool Remove(HttpContext context)
        {
            lock (gate)
            {
                for (var i = requests.Count - 1; i >= 0; i--)
                {
                    if (ReferenceEquals(requests[i].Context, context))
                    {
                        requests.RemoveAt(i);
                        break;
                    }
                }

                retired = requests.Count == 0;
                return retired;
            }
        }

        /// <summary>
        /// Aborts the matching requests. Under the lock: a request is removed before its context is returned for reuse,
        /// so whatever is found here is still in flight.
        /// </summary>
        public int Abort(Func<AuthenticatedToken, bool> which)
        {
            lock (gate)
            {
                var count = 0;
                // A copy: an abort may finish a request on this thread, which removes it (the lock is reentrant).
                foreach (var (context, identity) in requests.ToArray())
                {
                    if (which(identity))
                    {
                        context.Abort();
                        count++;
                    }
                }

                return count;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Aborted {Count} proxied request(s) of token {TokenId}: {Reason}")]
    private static partial void LogAborted(ILogger logger, int count, string tokenId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not confirm token {TokenId} is live; its proxied requests are aborted")]
    private static partial void LogRecheckFailed(ILogger logger, Exception exception, Guid tokenId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking proxied requests against their tokens failed; retrying")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
