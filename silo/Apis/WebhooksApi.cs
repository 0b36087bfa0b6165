using System.Collections.Immutable;
using ZeroPath.Grains.Webhooks;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

/// <summary>An organization's webhooks: register (the signing secret is shown once), list, remove, and their deliveries.</summary>
internal static class WebhooksApi
{
    public const int DefaultPageSize = 50;

    public static void MapWebhooksApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/orgs/{orgId}/webhooks", AddWebhook)
            .AdminRoute("AddWebhook", "Register a webhook; the answer holds its signing secret, shown this once")
            .JsonBody<AddWebhookRequest>()
            .Produces<CreatedWebhookResponse>(StatusCodes.Status201Created)
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_webhook_url", "invalid_webhook_events")
            .Problem(StatusCodes.Status409Conflict, "too_many_webhooks")
            .Problem(StatusCodes.Status503ServiceUnavailable, "webhooks_not_configured");
        admin.MapGet("/orgs/{orgId}/webhooks", ListWebhooks)
            .AdminRoute("ListWebhooks", "An organization's webhooks (without secrets)")
            .Produces<WebhookListResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id");
        admin.MapDelete("/orgs/{orgId}/webhooks/{webhookId}", RemoveWebhook)
            .AdminRoute("RemoveWebhook", "Remove a webhook; its owed deliveries are dropped")
            .Produces(StatusCodes.Status204NoContent)
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_webhook_id")
            .Problem(StatusCodes.Status404NotFound, "webhook_not_found");
        admin.MapGet("/orgs/{orgId}/webhooks/{webhookId}/deliveries", ListDeliveries)
            .AdminRoute("ListWebhookDeliveries", "A webhook's deliveries, newest first, with their status")
            .Produces<DeliveryPageResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_webhook_id", "invalid_limit", "invalid_cursor")
            .Problem(StatusCodes.Status404NotFound, "webhook_not_found")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(AuditApi.QueryParameter(
                    "limit",
                    $"Deliveries per page, default {DefaultPageSize}.",
                    new() { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Minimum = "1", Maximum = "500" }));
                operation.Parameters.Add(AuditApi.QueryParameter(
                    "cursor",
                    "nextCursor of the previous page.",
                    new() { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Format = "int64", Minimum = "1" }));
                return Task.CompletedTask;
            });
    }

    private static async Task<IResult> AddWebhook(string orgId, HttpContext context, IGrainFactory grains, WebhookSigner signer, CancellationToken cancellationToken)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        var (body, problem) = await JsonBody.ReadAsync<AddWebhookRequest>(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (WebhookRules.UrlProblem(body!.Url) is { } urlProblem)
        {
            return Problems.BadRequest("invalid_webhook_url", urlProblem);
        }

        if (body.Events is not { Length: > 0 } events || events.Length > WebhookRules.EventTypes.Length || events.Any(e => e is null || !WebhookRules.EventTypes.Contains(e)))
        {
            return Problems.BadRequest(
                "invalid_webhook_events", $"events must be a non-empty array of: {string.Join(", ", WebhookRules.EventTypes)}.");
        }

        if (!signer.Enabled)
        {
            return Problems.Result(
                StatusCodes.Status503ServiceUnavailable, "webhooks_not_configured", $"Webhooks need {WebhookOptions.SectionName}:SigningKey on every silo.");
        }

        var webhook = await grains.GetGrain<IWebhookGrain>(orgId).Add(body.Url!, events);
        if (webhook is null)
        {
            return Problems.Result(
                StatusCodes.Status409Conflict, "too_many_webhooks", $"An organization has at most {WebhookRules.MaxWebhooks} webhooks; remove one first.");
        }

        // It carries the signing secret: no cache may keep it.
        context.Response.Headers.CacheControl = "no-store";
        var created = new CreatedWebhookResponse(
            webhook.WebhookId, orgId, webhook.Url, webhook.Events, webhook.CreatedAt, signer.Secret(orgId, webhook.WebhookId));
        return TypedResults.Created($"{AdminApi.Prefix}/orgs/{orgId}/webhooks/{webhook.WebhookId:D}", created);
    }

    private static async Task<IResult> ListWebhooks(string orgId, IGrainFactory grains)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        var webhooks = await grains.GetGrain<IWebhookGrain>(orgId).List();
        return TypedResults.Ok(new WebhookListResponse(orgId, [.. webhooks.Select(w => new WebhookResponse(w.WebhookId, w.Url, w.Events, w.CreatedAt))]));
    }

    private static async Task<IResult> RemoveWebhook(string orgId, string webhookId, IGrainFactory grains)
    {
        var badWebhook = CheckWebhook(webhookId, out var id);
        if ((RouteIds.CheckOrganization(orgId) ?? badWebhook) is { } badId)
        {
            return badId;
        }

        return await grains.GetGrain<IWebhookGrain>(orgId).Remove(id)
            ? TypedResults.NoContent()
            : NotFound(orgId, webhookId);
    }

    private static async Task<IResult> ListDeliveries(string orgId, string webhookId, HttpRequest request, IGrainFactory grains)
    {
        var badWebhook = CheckWebhook(webhookId, out var id);
        if ((RouteIds.CheckOrganization(orgId) ?? badWebhook) is { } badId)
        {
            return badId;
        }

        if (!AuditApi.TryReadQuery(request, "limit", out int? limit) || limit is < 1 or > 500)
        {
            return Problems.BadRequest("invalid_limit", "limit must be one whole number from 1 to 500.");
        }

        if (!AuditApi.TryReadQuery(request, "cursor", out long? cursor) || cursor is < 1)
        {
            return Problems.BadRequest("invalid_cursor", "cursor must be a nextCursor value from an earlier page.");
        }

        if (await grains.GetGrain<IWebhookGrain>(orgId).Deliveries(id, cursor, limit ?? DefaultPageSize) is not { } page)
        {
            return NotFound(orgId, webhookId);
        }

        var deliveries = page.Deliveries.Select(d => new DeliveryResponse(
            d.DeliveryId, d.EventId, d.EventType, StatusName(d.Status), d.Attempts, d.LastStatusCode, d.CreatedAt, d.LastAttemptAt, d.NextAttemptAt)).ToArray();
        return TypedResults.Ok(new DeliveryPageResponse(orgId, id, deliveries, page.NextBefore));
    }

    public static string StatusName(WebhookDeliveryStatus status) => status switch
    {
        WebhookDeliveryStatus.Pending => "pending",
        WebhookDeliveryStatus.Delivered => "delivered",
        WebhookDeliveryStatus.FailedRetrying => "failed-retrying",
        _ => "given-up",
    };

    private static IResult? CheckWebhook(string webhookId, out Guid id) =>
        TokenIdFormat.TryParse(webhookId, out id)
            ? null
            : Problems.BadRequest("invalid_webhook_id", "webhookId must be a UUID such as 3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d.");

    private static IResult NotFound(string orgId, string webhookId) =>
        Problems.NotFound("webhook_not_found", $"Organization '{orgId}' has no webhook '{webhookId}'.");

    private sealed record AddWebhookRequest(string? Url, ImmutableArray<string>? Events);

    private sealed record CreatedWebhookResponse(Guid WebhookId, string OrgId, string Url, ImmutableArray<string> Events, DateTimeOffset CreatedAt, string SigningSecret);

    private sealed record WebhookResponse(Guid WebhookId, string Url, ImmutableArray<string> Events, DateTimeOffset CreatedAt);

    private sealed record WebhookListResponse(string OrgId, WebhookResponse[] Webhooks);

    private sealed record DeliveryResponse(
        long DeliveryId, string EventId, string EventType, string Status, int Attempts, int? LastStatusCode,
        DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? NextAttemptAt);

    private sealed record DeliveryPageResponse(string OrgId, Guid WebhookId, DeliveryResponse[] Deliveries, long? NextCursor);
}
