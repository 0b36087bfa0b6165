using System.Collections.Immutable;
using System.Text.Json;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

internal static class TokensApi
{
    public const int DefaultPageSize = 100;
    public const int DefaultGracePeriodHours = 24;
    public const int MaxGracePeriodHours = 7 * 24;
    public const int MaxPageSize = 500;

    /// <summary>unusedFor is not 1d–365d or 1h–999h.</summary>
    public const string InvalidUnusedFor = "invalid_unused_for";

    /// <summary>The shape of unusedFor (every value <see cref="TryParseUnusedFor"/> accepts has it; past 365d is refused too).</summary>
    public const string UnusedForPattern = "^[1-9][0-9]{0,2}[dh]$";

    /// <summary>A token asked for a permission its owner does not hold.</summary>
    public const string PermissionNotHeld = "permission_not_held";

    /// <summary>A token asked for a longer lifetime than its organization's policy allows.</summary>
    public const string LifetimeExceedsPolicy = "lifetime_exceeds_policy";

    /// <summary>A token asked for a permission its organization's policy forbids.</summary>
    public const string PermissionForbidden = "permission_forbidden";

    /// <summary>The organization's policy requires address ranges on every token.</summary>
    public const string AllowedCidrsRequired = "allowed_cidrs_required";

    /// <summary>The problems a refused create or rotation may answer with 422.</summary>
    internal static readonly string[] PolicyCodes = [PermissionNotHeld, LifetimeExceedsPolicy, PermissionForbidden, AllowedCidrsRequired];

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
            .Problem(StatusCodes.Status422UnprocessableEntity, PolicyCodes)
            .Problem(StatusCodes.Status409Conflict, "organization_too_large")
            .Problem(StatusCodes.Status503ServiceUnavailable, "hashing_busy");
        admin.MapGet("/orgs/{orgId}/tokens", ListTokens)
            .AdminRoute("ListTokens", "An organization's active tokens, newest first, a page at a time")
            .Produces<TokenListResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_limit", "invalid_cursor", InvalidUnusedFor)
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
                operation.Parameters.Add(AuditApi.QueryParameter(
                    "unusedFor",
                    "Only tokens created at least this long ago and not used since: 1d–365d (days) or 1h–999h (hours); more than 365d is 400 invalid_unused_for. A page may then hold fewer tokens than limit (even none) and still have a nextCursor.",
                    new() { Type = Microsoft.OpenApi.JsonSchemaType.String, MinLength = 2, MaxLength = 4, Pattern = UnusedForPattern }));
                return Task.CompletedTask;
            });
        admin.MapPost("/orgs/{orgId}/tokens/{tokenId}/rotate", RotateToken)
            .AdminRoute("RotateToken", "Rotate a token: issue its successor (same owner, name and options; the answer carries its secret) and end the token when the grace period passes")
            .JsonBody<RotateTokenRequest>()
            .Produces<RotatedTokenResponse>(StatusCodes.Status201Created)
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_token_id", "invalid_grace_period_hours")
            .Problem(StatusCodes.Status404NotFound, "token_not_found", "member_not_found")
            .Problem(StatusCodes.Status409Conflict, "token_not_active", "token_already_rotated", "organization_too_large")
            .Problem(StatusCodes.Status422UnprocessableEntity, PolicyCodes)
            .Problem(StatusCodes.Status503ServiceUnavailable, "hashing_busy");
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

        if (!TryReadDays(body.ExpiresInDays, TokenRules.DefaultExpiresInDays, out var days))
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

        var defaultLifetime = body.ExpiresInDays is not { ValueKind: not JsonValueKind.Null };
        var result = await grains.GetGrain<IOrganizationGrain>(orgId).CreateToken(
            new CreateTokenCommand(userId, name, days, permissions, cidrs, rateLimit, defaultLifetime));
        return CreateRefusal(result, orgId, $"user '{userId}'") ?? Created(context, result.Token!, static (token, secret) => new CreatedTokenResponse(
            token.TokenId, secret, token.Name, token.CreatedAt, token.ExpiresAt, token.Permissions, token.AllowedCidrs, RateLimitBody.From(token.RateLimit)));
    }

    /// <summary>The problem a refused create answers, or null when the token was created.</summary>
    /// <paramref name="owner"/> names the token's owner in the detail ("user 'u'").
    internal static IResult? CreateRefusal(CreateTokenResult result, string orgId, string owner) => result.Status switch
    {
        CreateTokenStatus.Created => null,
        CreateTokenStatus.MemberNotFound => Problems.NotFound("member_not_found", $"The {owner} is not a member of organization '{orgId}'."),
        CreateTokenStatus.PermissionNotHeld => Problems.Result(
            StatusCodes.Status422UnprocessableEntity,
            PermissionNotHeld,
            $"permissions must be a subset of the permissions the {owner} holds in organization '{orgId}'."),
        CreateTokenStatus.LifetimeExceedsPolicy => Problems.Result(
            StatusCodes.Status422UnprocessableEntity,
            LifetimeExceedsPolicy,
            $"expiresInDays is longer than the policy of organization '{orgId}' allows (see GET /admin/v1/orgs/{orgId}/policy)."),
        CreateTokenStatus.PermissionForbidden => Problems.Result(
            StatusCodes.Status422UnprocessableEntity,
            PermissionForbidden,
            $"permissions holds a permission the policy of organization '{orgId}' forbids on tokens."),
        CreateTokenStatus.AllowedCidrsRequired => Problems.Result(
            StatusCodes.Status422UnprocessableEntity,
            AllowedCidrsRequired,
            $"The policy of organization '{orgId}' requires allowedCidrs on every token."),
        _ => Problems.Unavailable("hashing_busy", "Too many secrets are being hashed right now; retry shortly."),
    };

    /// <summary>201 with the token and its secret: the one response that carries a secret, so no cache may keep it.</summary>
    internal static IResult Created<T>(HttpContext context, IssuedToken token, Func<IssuedToken, string, T> response)
    {
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(response(token, token.Secret), statusCode: StatusCodes.Status201Created);
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

        var unused = request.Query["unusedFor"];
        TimeSpan? unusedFor = null;
        if (unused.Count > 1 || (unused.Count == 1 && !TryParseUnusedFor(unused[0], out unusedFor)))
        {
            return Problems.BadRequest(InvalidUnusedFor, "unusedFor must be a number of days from 1d to 365d or of hours from 1h to 999h, such as 30d.");
        }

        var page = await grains.GetGrain<IOrganizationGrain>(orgId)
            .ListTokensWithUse(cursors.Count == 1 ? cursors[0] : null, limit ?? DefaultPageSize, unusedFor);
        var items = new TokenListItem[page.Items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var t = page.Items[i];
            items[i] = new TokenListItem(
                t.TokenId, t.Name, t.UserId, t.CreatedAt, t.ExpiresAt, Restrictions(t.Restrictions), t.LastUse?.At, t.LastUse?.From);
        }

        return TypedResults.Ok(new TokenListResponse(orgId, items, page.NextCursor));
    }

    private static async Task<IResult> RotateToken(string orgId, string tokenId, HttpContext context, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badOrg)
        {
            return badOrg;
        }

        if (RouteIds.CheckToken(tokenId, out var id) is { } badToken)
        {
            return badToken;
        }

        var (body, problem) = await JsonBody.ReadAsync<RotateTokenRequest>(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var hours = DefaultGracePeriodHours;
        if (body!.GracePeriodHours is { ValueKind: not JsonValueKind.Null } grace
            && !(grace.ValueKind == JsonValueKind.Number && grace.TryGetInt32(out hours) && hours is >= 0 and <= MaxGracePeriodHours))
        {
            return Problems.BadRequest("invalid_grace_period_hours", $"gracePeriodHours must be a whole number from 0 to {MaxGracePeriodHours} (7 days).");
        }

        var result = await grains.GetGrain<IOrganizationGrain>(orgId).RotateToken(new RotateTokenCommand(id, TimeSpan.FromHours(hours)));
        switch (result.Status)
        {
            case RotateTokenStatus.NotFound:
                return Problems.NotFound("token_not_found", $"Token {id} is not a token of organization '{orgId}'.");
            case RotateTokenStatus.NotActive:
                return Problems.Result(StatusCodes.Status409Conflict, "token_not_active", $"Token {id} has ended or expired; create a new one instead.");
            case RotateTokenStatus.AlreadyRotated:
                return Problems.Result(StatusCodes.Status409Conflict, "token_already_rotated", $"Token {id} was rotated before; rotate its successor instead.");
        }

        var created = result.Create!;
        return CreateRefusal(created, orgId, "token's owner") ?? Created(context, created.Token!, (token, secret) => new RotatedTokenResponse(
            token.TokenId, secret, token.Name, token.CreatedAt, token.ExpiresAt, token.Permissions, token.AllowedCidrs, RateLimitBody.From(token.RateLimit),
            id, result.RotatedTokenEndsAt!.Value));
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

    /// <summary><c>Nd</c> (1–365 days) or <c>Nh</c> (1–999 hours), digits without sign or leading zero.</summary>
    internal static bool TryParseUnusedFor(string? text, out TimeSpan? window)
    {
        window = null;
        if (text is null || text.Length is < 2 or > 4 || text[0] == '0' || text.AsSpan(0, text.Length - 1).ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        var number = int.Parse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
        window = text[^1] switch
        {
            'd' when number <= 365 => TimeSpan.FromDays(number),
            'h' when number <= 999 => TimeSpan.FromHours(number),
            _ => null,
        };
        return window is not null;
    }

    /// <summary>A whole number of days, 1–365; omitted or null: <paramref name="fallback"/>.</summary>
    internal static bool TryReadDays(JsonElement? value, int fallback, out int days)
    {
        days = fallback;
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

    /// <summary><c>gracePeriodHours</c>: 0–168, default 24; how long the rotated token keeps validating.</summary>
    private sealed record RotateTokenRequest(JsonElement? GracePeriodHours);

    private sealed record RotatedTokenResponse(
        Guid TokenId, string TokenSecret, string? Name, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, ImmutableArray<string> Permissions,
        ImmutableArray<string>? AllowedCidrs, RateLimitBody? RateLimit, Guid RotatedTokenId, DateTimeOffset RotatedTokenEndsAt);

    private sealed record TokenListResponse(string OrgId, TokenListItem[] Items, string? NextCursor);

    /// <summary><c>lastUsedAt</c> (UTC, to the minute) and <c>lastUsedFrom</c> (client address): null when never used.</summary>
    private sealed record TokenListItem(
        Guid TokenId, string? Name, string UserId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string[] Restrictions,
        DateTimeOffset? LastUsedAt, string? LastUsedFrom);
}
