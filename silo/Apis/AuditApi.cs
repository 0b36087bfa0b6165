using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

internal static class AuditApi
{
    public const string ActorHeader = "X-ZeroPath-Actor";
    public const int DefaultPageSize = 50;

    public static void MapAuditApi(this RouteGroupBuilder admin) => admin.MapGet("/orgs/{orgId}/audit", GetAudit)
        .AdminRoute("GetAudit", "An organization's audit trail, newest first, a page at a time")
        .Produces<AuditPageResponse>()
        .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_limit", "invalid_cursor")
        .AddOpenApiOperationTransformer((operation, _, _) =>
        {
            // Parsed by the handler (see TryReadQuery), so described here.
            operation.Parameters ??= [];
            operation.Parameters.Add(QueryParameter(
                "limit",
                $"Events per page, default {DefaultPageSize}.",
                new() { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Minimum = "1", Maximum = "500" }));
            operation.Parameters.Add(QueryParameter(
                "before",
                "nextBefore of the previous page.",
                new() { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Format = "int64", Minimum = "0" }));
            return Task.CompletedTask;
        });

    private static async Task<IResult> GetAudit(string orgId, HttpRequest request, IGrainFactory grains)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        // Parsed here, not bound: a value given twice or that is not a number is a 400 with a code, not a bare 400.
        if (!TryReadQuery(request, "limit", out int? limit) || limit is < 1 or > 500)
        {
            return Problems.BadRequest("invalid_limit", "limit must be one whole number from 1 to 500.");
        }

        if (!TryReadQuery(request, "before", out long? before) || before is < 0)
        {
            return Problems.BadRequest("invalid_cursor", "before must be a nextBefore value from an earlier page.");
        }

        var page = await grains.GetGrain<IAuditLogGrain>(orgId).GetPage(before, limit ?? DefaultPageSize);
        var events = page.Events.Select(e => new AuditEventResponse(
            e.Sequence, e.At, ActionName(e.Action), e.Actor, e.TokenId == Guid.Empty ? null : e.TokenId, e.UserId.Length == 0 ? null : e.UserId, e.Reason)).ToArray();
        return TypedResults.Ok(new AuditPageResponse(orgId, events, page.NextBefore));
    }

    /// <summary>An optional query parameter the handler parses itself, described for the OpenAPI document.</summary>
    internal static Microsoft.OpenApi.OpenApiParameter QueryParameter(string name, string description, Microsoft.OpenApi.OpenApiSchema schema) =>
        new() { Name = name, In = Microsoft.OpenApi.ParameterLocation.Query, Description = description, Schema = schema };

    /// <summary>Reads an optional query parameter given at most once; false when repeated or not a <typeparamref name="T"/>.</summary>
    internal static bool TryReadQuery<T>(HttpRequest request, string name, out T? value)
        where T : struct, IParsable<T>
    {
        value = null;
        var values = request.Query[name];
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count > 1 || !T.TryParse(values[0], System.Globalization.CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    public static string ActionName(AuditAction action) => action switch
    {
        AuditAction.TokenCreated => "token.created",
        AuditAction.TokenDeleted => "token.deleted",
        AuditAction.TokenRevoked => "token.revoked",
        AuditAction.TokenExpired => "token.expired",
        AuditAction.TokenRotated => "token.rotated",
        AuditAction.PolicyChanged => "organization.policy_changed",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary><c>tokenId</c> and <c>userId</c> are null for events about the organization itself (a policy change).</summary>
    private sealed record AuditEventResponse(long Sequence, DateTimeOffset At, string Action, string Actor, Guid? TokenId, string? UserId, string? Reason);

    private sealed record AuditPageResponse(string OrgId, AuditEventResponse[] Events, long? NextBefore);
}

/// <summary>
/// Takes the operator's name from <c>X-ZeroPath-Actor</c> (default "admin") into the Orleans request context, where
/// the grains that write the audit trail read it.
/// </summary>
internal sealed class AuditActorFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers[AuditApi.ActorHeader];
        if (header.Count == 0)
        {
            AuditActor.Set(AuditActor.DefaultOperator);
            return next(context);
        }

        if (header.Count > 1 || !IsValidActor(header[0]))
        {
            return ValueTask.FromResult<object?>(Problems.BadRequest(
                "invalid_actor", $"{AuditApi.ActorHeader} must be one value of 1–64 letters, digits and '@', '.', '_', '-'."));
        }

        AuditActor.Set(header[0]!);
        return next(context);
    }

    private static bool IsValidActor(string? actor) =>
        actor is { Length: > 0 and <= 64 } && actor.All(c => char.IsAsciiLetterOrDigit(c) || c is '@' or '.' or '_' or '-');
}
