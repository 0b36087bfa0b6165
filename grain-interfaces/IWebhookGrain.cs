using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// An organization's webhooks and their durable outbox (key: organization id). Its audit trail hands it every event it
/// records (<see cref="Enqueue"/>); an event whose sequence it has taken already is skipped, so a retried hand-over
/// queues nothing twice. Deliveries are signed, retried with backoff and survive silo restarts.
/// </summary>
[Alias("zp.webhooks")]
public interface IWebhookGrain : IGrainWithStringKey
{
    /// <summary>Registers a webhook; null when the organization already has <see cref="WebhookRules.MaxWebhooks"/>.</summary>
    [Alias("add")]
    Task<WebhookInfo?> Add(string url, ImmutableArray<string> events);

    [ReadOnly]
    [Alias("list")]
    Task<ImmutableArray<WebhookInfo>> List();

    /// <summary>Removes a webhook and its deliveries; false when there is none with that id.</summary>
    [Alias("remove")]
    Task<bool> Remove(Guid webhookId);

    /// <summary>A webhook's deliveries, newest first; null when there is no such webhook.</summary>
    [ReadOnly]
    [Alias("deliveries")]
    Task<WebhookDeliveryPage?> Deliveries(Guid webhookId, long? before, int limit);

    /// <summary>Queues deliveries for numbered audit events; idempotent per sequence number.</summary>
    [Alias("enqueue")]
    Task Enqueue(ImmutableArray<AuditEvent> events);
}

public static class WebhookRules
{
    public const int MaxWebhooks = 10;
    public const int MaxUrlLength = 2048;

    public const string TokenCreated = "token.created";
    public const string TokenExpiring = "token.expiring";
    public const string TokenExpired = "token.expired";
    public const string TokenRevoked = "token.revoked";
    public const string TokenDeleted = "token.deleted";
    public const string TokenRotated = "token.rotated";

    public static readonly ImmutableArray<string> EventTypes = [TokenCreated, TokenExpiring, TokenExpired, TokenRevoked, TokenDeleted, TokenRotated];

    /// <summary>The webhook event an audit event is delivered as; null for those that are not about a token (policy changes).</summary>
    public static string? EventType(AuditAction action) => action switch
    {
        AuditAction.TokenCreated => TokenCreated,
        AuditAction.TokenDeleted => TokenDeleted,
        AuditAction.TokenRevoked => TokenRevoked,
        AuditAction.TokenExpired => TokenExpired,
        AuditAction.TokenRotated => TokenRotated,
        _ => null,
    };

    /// <summary>
    /// Why a webhook URL is refused, or null when it is acceptable: absolute http or https, a host, no user name or
    /// password (a credential in a URL ends up in logs), no fragment, at most <see cref="MaxUrlLength"/> characters.
    /// </summary>
    public static string? UrlProblem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength)
        {
            return $"url must be an absolute http or https URL of at most {MaxUrlLength} characters.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host) || url.Any(char.IsControl) || url.Any(char.IsWhiteSpace))
        {
            return $"url must be an absolute http or https URL of at most {MaxUrlLength} characters.";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "url must not hold a user name or password; the signature authenticates deliveries.";
        }

        return uri.Fragment.Length > 0 ? "url must not have a fragment." : null;
    }
}

[GenerateSerializer, Immutable]
[Alias("zp.webhook-info")]
public sealed record WebhookInfo(
    [property: Id(0)] Guid WebhookId,
    [property: Id(1)] string Url,
    [property: Id(2)] ImmutableArray<string> Events,
    [property: Id(3)] DateTimeOffset CreatedAt);

[GenerateSerializer]
[Alias("zp.webhook-delivery-status")]
public enum WebhookDeliveryStatus
{
    Pending = 0,
    Delivered = 1,
    FailedRetrying = 2,
    GivenUp = 3,
}

[GenerateSerializer, Immutable]
[Alias("zp.webhook-delivery")]
public sealed record WebhookDeliveryInfo(
    [property: Id(0)] long DeliveryId,
    [property: Id(1)] string EventId,
    [property: Id(2)] string EventType,
    [property: Id(3)] WebhookDeliveryStatus Status,
    [property: Id(4)] int Attempts,
    [property: Id(5)] int? LastStatusCode,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset? LastAttemptAt,
    [property: Id(8)] DateTimeOffset? NextAttemptAt);

[GenerateSerializer, Immutable]
[Alias("zp.webhook-delivery-page")]
public sealed record WebhookDeliveryPage(
    [property: Id(0)] ImmutableArray<WebhookDeliveryInfo> Deliveries,
    [property: Id(1)] long? NextBefore);
