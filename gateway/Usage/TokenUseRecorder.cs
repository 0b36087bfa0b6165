using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using ZeroPath.Gateway.Caching;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Usage;

/// <summary>How the gateway records tokens' last use. Section <c>ZeroPath:Gateway:LastUse</c>.</summary>
public sealed class LastUseOptions
{
    public const string SectionName = "ZeroPath:Gateway:LastUse";

    /// <summary>Record when and from where each token was last used. Off: nothing is recorded (one check per request).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How often recorded uses are sent to the cluster (one call per usage shard touched), and on graceful shutdown.
    /// A gateway that crashes loses at most this much.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMinutes(1);

    public void Validate(StartupSettings settings)
    {
        if (FlushInterval < TimeSpan.FromSeconds(1) || FlushInterval > TimeSpan.FromMinutes(5))
        {
            settings.Fail(SectionName, nameof(FlushInterval), $"must be between 00:00:01 and 00:05:00 (was {FlushInterval}).");
        }
    }
}

/// <summary>
/// Remembers, per token, the minute and client address of its latest successful authentication here, and sends them to
/// the tokens' usage shards every <see cref="LastUseOptions.FlushInterval"/> (and when the gateway stops). A request
/// whose token was already recorded in this minute from this address costs two comparisons and nothing else; otherwise
/// one dictionary write. Nothing here ever sees a secret.
/// </summary>
public sealed partial class TokenUseRecorder(
    LastUseOptions options, IGrainFactory grains, TimeProvider time, ILogger<TokenUseRecorder> logger) : BackgroundService
{
    /// <summary>Grain calls one flush has in flight at once.</summary>
    private const int ParallelShards = 8;

    private readonly ConcurrentDictionary<Guid, Pending> pending = new();

    public bool Enabled => options.Enabled;

    /// <summary>Uses waiting to be sent.</summary>
    public int PendingCount => pending.Count;

    /// <summary>A request authenticated as <paramref name="identity"/> from <paramref name="client"/> (null: unknown).</summary>
    public void Record(AuthenticatedToken identity, IPAddress? client)
    {
        if (!options.Enabled || identity.IndexSequence is null)
        {
            return;
        }

        var minute = time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute;
        var recorded = identity.RecordedUse;
        if (recorded is not null && recorded.Minute == minute && Equals(recorded.Client, client))
        {
            return;
        }

        var mark = new UseMark(minute, client);
        identity.RecordedUse = mark;
        pending[identity.Id] = new Pending(identity, mark);
    }

    /// <summary>
    /// Sends every waiting use, one call per usage shard; a shard that could not be reached keeps its uses for the next
    /// flush (unless a newer use of the same token has arrived meanwhile). How many calls failed.
    /// </summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (pending.IsEmpty)
        {
            return 0;
        }

        var taken = new List<KeyValuePair<Guid, Pending>>(pending.Count);
        foreach (var entry in pending)
        {
            // Removed only if unchanged: a use recorded while this runs stays for the next flush.
            if (pending.TryRemove(entry))
            {
                taken.Add(entry);
            }
        }

        var batches = taken
            .GroupBy(e => TokenUsageLayout.ShardKey(e.Value.Identity.OrganizationId, e.Value.Identity.IndexSequence!.Value))
            .SelectMany(g => g.Chunk(TokenUsageLayout.MaxBatch).Select(chunk => (Key: g.Key, Uses: chunk)))
            .ToList();
        var failed = 0;
        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = ParallelShards, CancellationToken = cancellationToken },
            async (batch, _) =>
            {
                var uses = batch.Uses.Select(e => e.Value.ToUse()).ToImmutableArray();
                try
                {
                    await grains.GetGrain<ITokenUsageShardGrain>(batch.Key).Record(uses);
                }
                catch (Exception exception)
                {
                    Interlocked.Increment(ref failed);
                    LogFlushFailed(logger, exception, batch.Key, uses.Length);
                    foreach (var (id, use) in batch.Uses)
                    {
                        pending.TryAdd(id, use);
                    }
                }
            });
        return failed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A graceful stop sends what is still waiting (bounded by the host's shutdown timeout).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (options.Enabled)
        {
            try
            {
                await FlushAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                LogShutdownFlushCut(logger, pending.Count);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {UseCount} last uses to usage shard {ShardKey} failed; they are kept for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string shardKey, int useCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown cut the last flush of token uses short; {UseCount} uses were not sent")]
    private static partial void LogShutdownFlushCut(ILogger logger, int useCount);

    /// <summary>A use waiting to be sent. A class: removal compares references, so only the use taken is removed.</summary>
    private sealed class Pending(AuthenticatedToken identity, UseMark mark)
    {
        public AuthenticatedToken Identity { get; } = identity;

        public TokenUse ToUse() => new(
            Identity.IndexSequence!.Value,
            Identity.Id,
            new TokenLastUse(new DateTimeOffset(mark.Minute * TimeSpan.TicksPerMinute, TimeSpan.Zero), mark.Client?.ToString()));
    }
}

/// <summary>The minute (ticks / ticks per minute, UTC) and client address a token's use was last recorded with.</summary>
public sealed record UseMark(long Minute, IPAddress? Client);
