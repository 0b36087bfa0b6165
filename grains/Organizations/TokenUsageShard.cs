using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using ZeroPath.Grains.Storage;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>One usage shard's last uses, by index sequence. Plain code: the grain only stores it and decides when.</summary>
[GenerateSerializer]
[Alias("zp.token-usage-shard-state")]
public sealed class TokenUsageShardState
{
    /// <summary>Longest client address kept (an IPv6 address with an IPv4 tail and a zone fits).</summary>
    public const int MaxAddressLength = 64;

    [Id(0)] public Dictionary<long, TokenUse> Uses { get; set; } = [];

    /// <summary>
    /// Merges one reported use into shard <paramref name="shard"/>; true when it changed what is kept. The later minute
    /// wins; in the same minute a different known address replaces the kept one. Ignored: a sequence outside the shard.
    /// Clamped: a time more than a minute past <paramref name="now"/> (a skewed or forged clock) to now's minute.
    /// </summary>
    public bool Merge(TokenUse use, long shard, DateTimeOffset now)
    {
        if (use is null || use.Use is null || TokenUsageLayout.ShardOf(use.Sequence) != shard || use.Sequence < 0)
        {
            return false;
        }

        var at = TokenUsageLayout.Minute(use.Use.At);
        if (at > now.AddMinutes(1))
        {
            at = TokenUsageLayout.Minute(now);
        }

        var from = Canonical(use.Use.From);
        if (Uses.TryGetValue(use.Sequence, out var kept) && kept.TokenId == use.TokenId)
        {
            if (at < kept.Use.At || (at == kept.Use.At && (from is null || from == kept.Use.From)))
            {
                return false;
            }
        }

        Uses[use.Sequence] = new TokenUse(use.Sequence, use.TokenId, new TokenLastUse(at, from));
        return true;
    }

    public ImmutableArray<TokenUse> All() => [.. Uses.Values.OrderBy(u => u.Sequence)];

    /// <summary>An address as the BCL prints it, or null when it is not one (nothing else a gateway sends is kept).</summary>
    private static string? Canonical(string? address) =>
        address is { Length: > 0 and <= MaxAddressLength } && IPAddress.TryParse(address, out var parsed)
            ? parsed.ToString()
            : null;
}

/// <summary>
/// Stores one <see cref="TokenUsageShardState"/>, at most once per <see cref="WriteInterval"/>: a report that changes
/// nothing writes nothing; one that changes something writes at once if the last write is a minute old, else marks the
/// state dirty and a grain timer writes it when the minute is up (and deactivation writes what is still dirty).
/// </summary>
public sealed partial class TokenUsageShardGrain(
    [PersistentState("usage", GrainStorageNames.Tokens)] IPersistentState<TokenUsageShardState> state,
    TimeProvider time,
    ILogger<TokenUsageShardGrain> logger) : Grain, ITokenUsageShardGrain
{
    public static readonly TimeSpan WriteInterval = TimeSpan.FromMinutes(1);

    private long shard = -1;
    private DateTimeOffset lastWrite = DateTimeOffset.MinValue;
    private bool dirty;
    private IGrainTimer? timer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Key: {organization}/{shard}; an organization id never holds the last '/' (see TokenIndexLayout.ShardKey).
        var key = this.GetPrimaryKeyString();
        var slash = key.LastIndexOf('/');
        if (slash > 0 && long.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            shard = number;
        }

        return Task.CompletedTask;
    }

    public async Task Record(ImmutableArray<TokenUse> uses)
    {
        if (uses.IsDefault || uses.Length > TokenUsageLayout.MaxBatch)
        {
            throw new ArgumentException($"A report carries 1–{TokenUsageLayout.MaxBatch} uses.", nameof(uses));
        }

        var now = time.GetUtcNow();
        var changed = false;
        foreach (var use in uses)
        {
            changed |= state.State.Merge(use, shard, now);
        }

        if (!changed)
        {
            return;
        }

        dirty = true;
        if (now - lastWrite >= WriteInterval)
        {
            await WriteAsync(now);
        }
        else
        {
            timer ??= this.RegisterGrainTimer(
                _ => WriteWhenDueAsync(),
                new GrainTimerCreationOptions { DueTime = lastWrite + WriteInterval - now, Period = Timeout.InfiniteTimeSpan });
        }
    }

    public Task<ImmutableArray<TokenUse>> Uses() => Task.FromResult(state.State.All());

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (dirty)
        {
            try
            {
                await state.WriteStateAsync(cancellationToken);
                dirty = false;
            }
            catch (Exception exception)
            {
                LogWriteFailed(logger, exception, this.GetPrimaryKeyString());
            }
        }
    }

    private async Task WriteWhenDueAsync()
    {
        timer?.Dispose();
        timer = null;
        if (!dirty)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (now - lastWrite < WriteInterval)
        {
            timer = this.RegisterGrainTimer(
                _ => WriteWhenDueAsync(),
                new GrainTimerCreationOptions { DueTime = lastWrite + WriteInterval - now, Period = Timeout.InfiniteTimeSpan });
            return;
        }

        try
        {
            await WriteAsync(now);
        }
        catch (Exception exception)
        {
            // The activation is dropped (see WriteOrDropAsync): what it held since its last write is lost.
            LogWriteFailed(logger, exception, this.GetPrimaryKeyString());
        }
    }

    private async Task WriteAsync(DateTimeOffset now)
    {
        await state.WriteOrDropAsync(DeactivateOnIdle);
        lastWrite = now;
        dirty = false;
        timer?.Dispose();
        timer = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing the last uses of usage shard {ShardKey} failed; uses reported since its last write are lost")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string shardKey);
}
