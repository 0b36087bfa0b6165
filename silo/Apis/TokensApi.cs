using System.Collections.Immutable;
using System.Text.Json;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

internal static class TokensApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;

    /// <summary>A token asked for a permission its owner does not hold.</summary>
    public const string PermissionNotHeld = "permission_not_held";

    /// <summary>A token's <c>rateLimit</c> is not an object of a rate and a burst within the rules.</summary>
    public const string InvalidRateLimit = "invalid_rate_limit";

    public static void MapTokensApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/orgs/{orgId}/tokens", CreateToken)
            .AdminRoute("CreateToken", "Create a token for a member; the answer carries its secret, the only time it is shown")
            .JsonBody<CreateTokenRequest>()
            .Produces<CreatedTokenResponse>(StatusCodes.Status201Created)
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_user_id", "invalid_name", "invalid_expires_in_days", "invalid_permissions", "invalid_allowed_cidrs", InvalidRateLimit)
            .Problem(StatusCodes.Status404NotFound, "member_not_found")
            .Problem(StatusCodes.Status422UnprocessableEntity, PermissionNotHeld)
            .Problem(StatusCodes.Status409Conflict, "organization_too_large")
            .Problem(StatusCodes.Status503ServiceUnavailable, "hashing_busy");
        admin.MapGet("/orgs/{orgId}/tokens", ListTokens)
            .AdminRoute("ListTokens", "An organization's active tokens, newest first, a page at a time")
            .Produces<TokenListResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_limit", "invalid_cursor")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Parsed by the handler, so described here.
                operation.Parameters ??= [];
                operation.Parameters.Add(AuditApi.QueryParameter(
                    "limit",
                    $"Tokens per page, default {DefaultPageSize}.",
                    new() { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Minimum = "1", Maximum = "500" }));
                operation.Parameters.Add(AuditApi.QueryParameter(
                    "cursor",
                    "nextCursor of the previous page, unchanged.",
                    new() { Type = Microsoft.OpenApi.JsonSchemaType.String, MinLength = 11, MaxLength = 11, Pattern = "^[A-Za-z0-9_-]{11}$" }));
                return Task.CompletedTask;
            });
        admin.MapDelete("/orgs/{orgId}/tokens/{tokenId}", DeleteToken)
            .AdminRoute("DeleteToken", "Delete a token of an organization; it has stopped validating when the call returns")
            .Produces(StatusCodes.Status204NoContent)
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_token_id")
            .Problem(StatusCodes.Status404NotFound, "token_not_found")
            .Problem(StatusCodes.Status409Conflict, "organization_too_large");
    }

    private static async Task<IResult> CreateToken(string orgId, HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        var (body, problem) = await JsonBody.ReadAsync<CreateTokenRequest>(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.UserId is not { } userId || !TokenRules.IsValidId(userId))
        {
            return Problems.BadRequest("invalid_user_id", $"userId is required: 1–{TokenRules.MaxIdLength} characters of letters, digits, '-' and '_'.");
        }

        if (!TokenRules.TryNormalizeName(body.Name, out var name))
        {
            return Problems.BadRequest("invalid_name", $"name must be at most {TokenRules.MaxNameLength} characters after trimming.");
        }

        if (!TryReadExpiresInDays(body.ExpiresInDays, out var days))
        {
            return Problems.BadRequest(
                "invalid_expires_in_days",
                $"expiresInDays must be a whole number from {TokenRules.MinExpiresInDays} to {TokenRules.MaxExpiresInDays}.");
        }

        ImmutableArray<string>? permissions = null;
        if (body.Permissions is { } asked)
        {
            if (asked.Length > TokenRules.MaxPermissions || asked.Any(p => p is null || !TokenRules.IsValidPermission(p)))
            {
                return Problems.BadRequest(
                    "invalid_permissions",
                    $"permissions must be an array of at most {TokenRules.MaxPermissions} permissions, each 1–{TokenRules.MaxPermissionLength} characters of letters, digits and ':', '.', '_', '-', '*'.");
            }

            permissions = TokenRules.NormalizePermissions(asked!);
        }

        ImmutableArray<string>? cidrs = null;
        if (body.AllowedCidrs is { } ranges)
        {
            if (!TokenRules.TryNormalizeCidrs(ranges, out var normalized, out var invalid))
            {
                return Problems.BadRequest(
                    "invalid_allowed_cidrs",
                    (invalid is null ? "" : $"'{Truncate(invalid)}' is not an address range. ")
                    + $"allowedCidrs must be an array of 1–{TokenRules.MaxAllowedCidrs} IPv4 or IPv6 ranges such as 203.0.113.0/24 or 2001:db8::/32 (no bits set past the prefix), or single addresses.");
            }

            cidrs = normalized;
        }

        if (!TryReadRateLimit(body.RateLimit, out var rateLimit))
        {
            return Problems.BadRequest(
                InvalidRateLimit,
                $"rateLimit must be an object {{\"requestsPerSecond\": r, \"burst\": b}}: r a number from {TokenRules.MinRequestsPerSecond} to "
                + $"{TokenRules.MaxRequestsPerSecond}, b (optional, default r rounded up) a whole number from 1 to {TokenRules.MaxBurst}, nothing else.");
        }

        var result = await grains.GetGrain<IOrganizationGrain>(orgId).CreateToken(new CreateTokenCommand(userId, name, days, permissions, cidrs, rateLimit));
        switch (result.Status)
        {
            case CreateTokenStatus.MemberNotFound:
                return Problems.NotFound("member_not_found", $"User '{userId}' is not a member of organization '{orgId}'.");
            case CreateTokenStatus.PermissionNotHeld:
                return Problems.Result(
                    StatusCodes.Status422UnprocessableEntity,
                    PermissionNotHeld,
                    $"permissions must be a subset of the permissions user '{userId}' holds in organization '{orgId}'.");
            case CreateTokenStatus.Busy:
                return Problems.Unavailable("hashing_busy", "Too many secrets are being hashed right now; retry shortly.");
        }

        var token = result.Token!;
        // The one response that carries a secret: no cache may keep it.
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(
            new CreatedTokenResponse(
                token.TokenId, token.Secret, token.Name, token.CreatedAt, token.ExpiresAt, token.Permissions, token.AllowedCidrs, RateLimitBody.From(token.RateLimit)),
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListTokens(string orgId, HttpRequest request, IGrainFactory grains)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        // Parsed here, not bound: a value given twice or that is not a number is a 400 with a code, not a bare 400.
        if (!AuditApi.TryReadQuery(request, "limit", out int? limit) || limit is < 1 or > MaxPageSize)
        {
            return Problems.BadRequest("invalid_limit", $"limit must be one whole number from 1 to {MaxPageSize}.");
        }

        var cursors = request.Query["cursor"];
        if (cursors.Count > 1 || !TokenPageCursor.TryParse(cursors.Count == 1 ? cursors[0] : null, out _))
        {
            return Problems.BadRequest("invalid_cursor", "cursor must be the nextCursor of an earlier page, unchanged.");
        }

        var page = await grains.GetGrain<IOrganizationGrain>(orgId).ListTokens(cursors.Count == 1 ? cursors[0] : null, limit ?? DefaultPageSize);
        var items = new TokenListItem[page.Items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var t = page.Items[i];
            items[i] = new TokenListItem(t.TokenId, t.Name, t.UserId, t.CreatedAt, t.ExpiresAt, Restrictions(t.Restrictions));
        }

        return TypedResults.Ok(new TokenListResponse(orgId, items, page.NextCursor));
    }

    private static async Task<IResult> DeleteToken(string orgId, string tokenId, IGrainFactory grains)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badOrg)
        {
            return badOrg;
        }

        if (RouteIds.CheckToken(tokenId, out var id) is { } badToken)
        {
            return badToken;
        }

        return await grains.GetGrain<IOrganizationGrain>(orgId).DeleteToken(id)
            ? TypedResults.NoContent()
            : Problems.NotFound("token_not_found", $"Token {id} is not a token of organization '{orgId}'.");
    }

    private static bool TryReadExpiresInDays(JsonElement? value, out int days)
    {
        days = TokenRules.DefaultExpiresInDays;
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        // TryGetInt32 refuses 30.5 and 3e1 alike; a JSON string is not a number.
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out days) && TokenRules.IsValidExpiresInDays(days);
    }

    /// <summary>
    /// <c>rateLimit</c>: omitted or null, none; else an object with <c>requestsPerSecond</c> (a JSON number) and optionally
    /// <c>burst</c> (a whole number, or null for the default), property names in any case as elsewhere, and nothing else
    /// (a misspelt <c>burst</c> must not silently become the default).
    /// </summary>
    private static bool TryReadRateLimit(JsonElement? value, out TokenRateLimit? limit)
    {
        limit = null;
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        double? rate = null;
        int? burst = null;
        var burstSeen = false;
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals("requestsPerSecond") || property.Name.Equals("requestsPerSecond", StringComparison.OrdinalIgnoreCase))
            {
                if (rate is not null || property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var r))
                {
                    return false;
                }

                rate = r;
            }
            else if (property.Name.Equals("burst", StringComparison.OrdinalIgnoreCase))
            {
                if (burstSeen)
                {
                    return false;
                }

                burstSeen = true;
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                // TryGetInt32 refuses 2.5 and 2e1 alike.
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out var b))
                {
                    return false;
                }

                burst = b;
            }
            else
            {
                return false;
            }
        }

        if (rate is not { } requestsPerSecond || !double.IsFinite(requestsPerSecond))
        {
            return false;
        }

        limit = new TokenRateLimit(requestsPerSecond, burst ?? TokenRules.DefaultBurst(requestsPerSecond));
        return TokenRules.IsValidRateLimit(limit);
    }

    /// <summary>A refused entry echoed in a problem's detail, kept short.</summary>
    private static string Truncate(string text) => text.Length <= TokenRules.MaxCidrLength ? text : text[..TokenRules.MaxCidrLength] + "…";

    /// <summary>Every combination of the restriction flags, as lists show them (index: the flags), made once.</summary>
    private static readonly string[][] RestrictionNames = [.. Enumerable.Range(0, 8).Select(flags => new[]
    {
        (TokenRestrictions.Permissions, "permissions"),
        (TokenRestrictions.Addresses, "addresses"),
        (TokenRestrictions.RateLimit, "rateLimit"),
    }.Where(r => (flags & (int)r.Item1) != 0).Select(r => r.Item2).ToArray())];

    /// <summary>Which creation options narrow a token, as lists show them (flags this version does not know are left out).</summary>
    internal static string[] Restrictions(TokenRestrictions restrictions) => RestrictionNames[(int)restrictions & 7];

    /// <summary>
    /// <c>permissions</c>: a subset of the member's permissions the token is limited to (omitted or null: all of them);
    /// <c>allowedCidrs</c>: the client address ranges it is accepted from (omitted or null: any); <c>rateLimit</c>:
    /// requests per second and burst across all gateways (omitted or null: none; read by <see cref="TryReadRateLimit"/>).
    /// </summary>
    private sealed record CreateTokenRequest(
        string? UserId, string? Name, JsonElement? ExpiresInDays, string?[]? Permissions = null, string?[]? AllowedCidrs = null, JsonElement? RateLimit = null);

    private sealed record CreatedTokenResponse(
        Guid TokenId, string TokenSecret, string? Name, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, ImmutableArray<string> Permissions,
        ImmutableArray<string>? AllowedCidrs, RateLimitBody? RateLimit);

    private sealed record TokenListResponse(string OrgId, TokenListItem[] Items, string? NextCursor);

    private sealed record TokenListItem(Guid TokenId, string? Name, string UserId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string[] Restrictions);
}
