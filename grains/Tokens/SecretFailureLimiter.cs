namespace ZeroPath.Grains.Tokens;

/// <summary>Wrong-secret limits per token. Section <c>ZeroPath:FailureLimit</c>.</summary>
public sealed class SecretFailureLimitOptions
{
    public const string SectionName = "ZeroPath:FailureLimit";

    /// <summary>Wrong secrets allowed in one window; then every attempt is refused without hashing until the window ends.</summary>
    public int MaxFailures { get; set; } = 10;

    /// <summary>Starts at the first wrong secret; its end unlocks the token.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    public string? Validate() =>
        MaxFailures is < 1 or > 10_000 ? $"{SectionName}:MaxFailures must be between 1 and 10000 (was {MaxFailures})."
        : Window < TimeSpan.FromSeconds(1) || Window > TimeSpan.FromDays(1) ? $"{SectionName}:Window must be between 1 second and 1 day (was {Window})."
        : null;
}

/// <summary>
/// Counts one token's wrong secrets in a fixed window that starts at the first of them. Verifies still running count as
/// possible failures, so concurrent wrong secrets cannot start more Argon2 work than the limit allows. Lives in the
/// token's activation (one per cluster), so every gateway sees the same limit; not stored, so an activation that is
/// collected or moves after a crash starts counting again.
/// </summary>
public sealed class SecretFailureLimiter(SecretFailureLimitOptions options)
{
    /// <summary>How long callers are asked to wait when only running verifies fill the limit.</summary>
    public static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(1);

    private DateTimeOffset windowEnd = DateTimeOffset.MinValue;
    private int failures;

    /// <summary>Null when a verify may start; otherwise until when attempts are refused.</summary>
    public DateTimeOffset? LockedUntil(DateTimeOffset now, int running)
    {
        if (now >= windowEnd)
        {
            failures = 0;
        }

        if (failures >= options.MaxFailures)
        {
            return windowEnd;
        }

        return failures + running >= options.MaxFailures ? now + BusyRetry : null;
    }

    /// <summary>Counts a wrong secret; returns when the lock ends if this failure locked the token, else null.</summary>
    public DateTimeOffset? RecordFailure(DateTimeOffset now)
    {
        if (now >= windowEnd)
        {
            windowEnd = now + options.Window;
            failures = 0;
        }

        failures++;
        return failures == options.MaxFailures ? windowEnd : null;
    }
}
