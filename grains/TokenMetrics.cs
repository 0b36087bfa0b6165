using System.Diagnostics;
using System.Diagnostics.Metrics;
using ZeroPath.Tokens;

namespace ZeroPath.Grains;

/// <summary>
/// The cluster's own metrics (meter <see cref="MeterName"/>): token lifecycle, validations the token grains answered,
/// failure-limiter refusals, Argon2 and how long token events take to reach every gateway. Tags carry outcomes and kinds
/// only: never a token id, an organization, a user or anything secret, so the series stay few and nothing leaks.
/// </summary>
public sealed class TokenMetrics
{
    /// <summary>Same name as the gateway's and the admin API's meter: one meter, <c>ZeroPath</c>, per process.</summary>
    public const string MeterName = "ZeroPath";

    /// <summary>Seconds, with boundaries for what is measured here: milliseconds (a token event) to seconds (Argon2 queued).</summary>
    public static readonly InstrumentAdvice<double> SecondsAdvice = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private readonly Meter meter;
    private readonly Counter<long> created;
    private readonly Counter<long> ended;
    private readonly Counter<long> validations;
    private readonly Counter<long> revocations;
    private readonly Counter<long> limiterRefusals;
    private readonly Histogram<double> argon2Duration;
    private readonly Counter<long> argon2Rejections;
    private readonly Histogram<double> propagation;

    public TokenMetrics(IMeterFactory meters)
    {
        meter = meters.Create(MeterName);
        created = meter.CreateCounter<long>("zeropath.tokens.created", "{token}", "Tokens issued (counted once, when their audit event is stored).");
        ended = meter.CreateCounter<long>(
            "zeropath.tokens.ended", "{token}", "Tokens that ended, by zeropath.token.end_reason: deleted, revoked or expired (counted once, when their audit event is stored).");
        validations = meter.CreateCounter<long>(
            "zeropath.token.validations", "{validation}", "Validations answered by token grains (what no gateway decided locally), by zeropath.validation.outcome.");
        revocations = meter.CreateCounter<long>(
            "zeropath.revocations", "{revocation}", "Operator revocations carried out, by zeropath.revocation.scope: token, member (a member's tokens) or organization; the tokens they ended are in zeropath.tokens.ended.");
        limiterRefusals = meter.CreateCounter<long>(
            "zeropath.failure_limiter.refusals", "{request}", "Requests refused unchecked because of too many recent failures, by zeropath.failure_limiter.scope: token (wrong secrets) or admin (wrong admin keys).");
        argon2Duration = meter.CreateHistogram(
            "zeropath.argon2.duration", "s", "Argon2id work, by zeropath.argon2.operation (hash, verify): from asking for a slot to the result, so queueing is included.", advice: SecondsAdvice);
        argon2Rejections = meter.CreateCounter<long>(
            "zeropath.argon2.rejections", "{operation}", "Argon2id work refused because every slot was busy and the queue was full (answered busy/503).");
        propagation = meter.CreateHistogram(
            "zeropath.token_events.propagation.duration", "s",
            "From publishing a token event (zeropath.token_event.kind: ended, permissions) to one gateway acknowledging it; zeropath.token_event.outcome says whether it did in time.",
            advice: SecondsAdvice);
    }

    public void AuditRecorded(AuditAction action)
    {
        switch (action)
        {
            case AuditAction.TokenCreated:
                created.Add(1);
                break;
            case AuditAction.TokenDeleted:
                ended.Add(1, new KeyValuePair<string, object?>("zeropath.token.end_reason", "deleted"));
                break;
            case AuditAction.TokenRevoked:
                ended.Add(1, new KeyValuePair<string, object?>("zeropath.token.end_reason", "revoked"));
                break;
            case AuditAction.TokenExpired:
                ended.Add(1, new KeyValuePair<string, object?>("zeropath.token.end_reason", "expired"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
    }

    public void Validated(TokenValidationOutcome outcome)
    {
        validations.Add(1, new KeyValuePair<string, object?>("zeropath.validation.outcome", Name(outcome)));
        if (outcome == TokenValidationOutcome.Locked)
        {
            LimiterRefused("token");
        }
    }

    /// <summary><paramref name="scope"/>: <c>token</c>, <c>member</c> or <c>organization</c>.</summary>
    public void Revoked(string scope) =>
        revocations.Add(1, new KeyValuePair<string, object?>("zeropath.revocation.scope", scope));

    /// <summary><paramref name="scope"/>: <c>token</c> or <c>admin</c>.</summary>
    public void LimiterRefused(string scope) =>
        limiterRefusals.Add(1, new KeyValuePair<string, object?>("zeropath.failure_limiter.scope", scope));

    public void Argon2Done(string operation, long startTimestamp) =>
        argon2Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("zeropath.argon2.operation", operation));

    public void Argon2Rejected(string operation) =>
        argon2Rejections.Add(1, new KeyValuePair<string, object?>("zeropath.argon2.operation", operation));

    /// <summary>Current Argon2 work: <paramref name="observe"/> answers (running, queued) whenever metrics are collected.</summary>
    public void ObserveArgon2(Func<(long Running, long Queued)> observe)
    {
        meter.CreateObservableUpDownCounter("zeropath.argon2.active", () => observe().Running, "{operation}", "Argon2id operations running now.");
        meter.CreateObservableUpDownCounter("zeropath.argon2.queued", () => observe().Queued, "{operation}", "Argon2id operations waiting for a slot now.");
    }

    public void EventDelivered(string kind, TimeSpan elapsed, bool acknowledged) =>
        propagation.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("zeropath.token_event.kind", kind),
            new KeyValuePair<string, object?>("zeropath.token_event.outcome", acknowledged ? "acknowledged" : "failed"));

    private static string Name(TokenValidationOutcome outcome) => outcome switch
    {
        TokenValidationOutcome.Valid => "valid",
        TokenValidationOutcome.Invalid => "invalid",
        TokenValidationOutcome.Expired => "expired",
        TokenValidationOutcome.Busy => "busy",
        TokenValidationOutcome.Unknown => "unknown",
        TokenValidationOutcome.Locked => "locked",
        _ => "other",
    };
}
