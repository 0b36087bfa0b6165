using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

/// <summary>The problem <c>code</c> values an endpoint may answer with under one status; read by the OpenAPI document.</summary>
internal sealed record ProblemCodes(int Status, IReadOnlyList<string> Codes);

/// <summary>
/// The admin API's OpenAPI 3.1 document, served without the key at <c>GET /admin/v1/openapi.json</c> (the API's shape is
/// public in docs/api.md). Every operation lists every status it can answer and, for each problem status, its
/// <c>code</c> values: as an enum on the problem schema and as <c>x-problem-codes</c>.
/// </summary>
internal static class AdminOpenApi
{
    public const string DocumentPath = AdminApi.Prefix + "/openapi.json";
    public const string ProblemCodesExtension = "x-problem-codes";
    public const string IdPattern = "^[A-Za-z0-9_-]{1,64}$";
    public const string UuidPattern = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";

    public static IServiceCollection AddAdminOpenApi(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "ZeroPath token cluster: admin API",
                Version = "v1",
                Description = "Served by every silo. Every route needs 'Authorization: Bearer <admin key>'. Errors are RFC 9457 " +
                    "application/problem+json with a stable 'code'. See docs/api.md.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["adminKey"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The admin key (ZeroPath:Admin:Key, or ZeroPath:Admin:NextKey while rotating).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("adminKey", document)] = [] }];
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(DescribeProblems);
        options.AddOperationTransformer(DescribeRouteParameters);
        options.AddSchemaTransformer(DescribeRequestsAndResponses);
    });

    /// <summary>What every admin route may answer besides its own results.</summary>
    public static RouteHandlerBuilder AdminRoute(this RouteHandlerBuilder builder, string name, string summary) => builder
        .WithName(name)
        .WithSummary(summary)
        .Problem(StatusCodes.Status400BadRequest, "invalid_actor")
        .Problem(StatusCodes.Status401Unauthorized, AdminProblems.UnauthorizedCode)
        .Problem(StatusCodes.Status413PayloadTooLarge, AdminProblems.BodyTooLargeCode)
        .Problem(StatusCodes.Status429TooManyRequests, AdminProblems.TooManyFailedAuthentications)
        .Problem(StatusCodes.Status503ServiceUnavailable, "cluster_unavailable", "storage_unavailable");

    /// <summary>A route that reads a JSON body of type <typeparamref name="T"/>.</summary>
    public static RouteHandlerBuilder JsonBody<T>(this RouteHandlerBuilder builder)
        where T : notnull => builder
        .Accepts<T>("application/json")
        .Problem(StatusCodes.Status400BadRequest, AdminProblems.InvalidJson, AdminProblems.BadRequestCode)
        .Problem(StatusCodes.Status415UnsupportedMediaType, AdminProblems.UnsupportedMediaType);

    public static RouteHandlerBuilder Problem(this RouteHandlerBuilder builder, int status, params string[] codes) =>
        builder.ProducesProblem(status).WithMetadata(new ProblemCodes(status, codes));

    private static Task DescribeProblems(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var byStatus = context.Description.ActionDescriptor.EndpointMetadata.OfType<ProblemCodes>()
            .GroupBy(p => p.Status)
            .ToDictionary(g => g.Key, g => g.SelectMany(p => p.Codes).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());
        operation.Responses ??= [];
        foreach (var (status, codes) in byStatus)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var response = operation.Responses.TryGetValue(key, out var existing) && existing is OpenApiResponse r ? r : new OpenApiResponse();
            response.Description = $"{Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)}: problem code {string.Join(", ", codes)}.";
            response.Content = new Dictionary<string, OpenApiMediaType>
            {
                [ServiceDefaults.Problems.ContentType] = new() { Schema = ProblemSchema(status, codes) },
            };
            response.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            response.Extensions[ProblemCodesExtension] = new JsonNodeExtension(new JsonArray([.. codes.Select(c => (JsonNode)c)]));
            if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" } },
                };
            }
            else if (status == StatusCodes.Status401Unauthorized)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["WWW-Authenticate"] = new OpenApiHeader { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                };
            }

            operation.Responses[key] = response;
        }

        return Task.CompletedTask;
    }

    private static OpenApiSchema ProblemSchema(int status, string[] codes) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details with a stable 'code'.",
        Required = new HashSet<string> { "type", "title", "status", "detail", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Enum = [status] },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. codes.Select(c => (JsonNode)c)] },
        },
    };

    /// <summary>Route ids with the rules the handlers check (<see cref="RouteIds"/>).</summary>
    private static Task DescribeRouteParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path))
        {
            parameter.Schema = parameter.Name switch
            {
                "orgId" or "userId" => new OpenApiSchema { Type = JsonSchemaType.String, Pattern = IdPattern, MinLength = 1, MaxLength = TokenRules.MaxIdLength },
                "tokenId" or "webhookId" => new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid", Pattern = UuidPattern },
                _ => parameter.Schema,
            };
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Request bodies: the rules the handlers check. Responses: every property is always present (null when empty),
    /// so each is listed as required, and numbers are numbers.
    /// </summary>
    private static Task DescribeRequestsAndResponses(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (context.JsonPropertyInfo is null && type.Namespace == typeof(AdminOpenApi).Namespace && schema.Properties is { Count: > 0 } properties)
        {
            if (type.Name.EndsWith("Request", StringComparison.Ordinal))
            {
                RequestRules.Apply(type.Name, schema);
            }
            else
            {
                schema.Required = new HashSet<string>(properties.Keys, StringComparer.Ordinal);
                foreach (var property in properties.Values.OfType<OpenApiSchema>().Where(p => p.Type is { } t && t.HasFlag(JsonSchemaType.Integer)))
                {
                    // Answers write numbers as numbers; "or a numeric string" is only what requests may send.
                    property.Type &= ~JsonSchemaType.String;
                    property.Pattern = null;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>What each request body must hold, as the handlers check it.</summary>
    private static class RequestRules
    {
        private static OpenApiSchema Permission() => new()
        {
            Type = JsonSchemaType.String,
            Pattern = "^[A-Za-z0-9:._*-]{1,64}$",
            MinLength = 1,
            MaxLength = TokenRules.MaxPermissionLength,
        };

        /// <summary>A whole number of days, 1–365, or null for the default.</summary>
        private static OpenApiSchema Days(string description) => new()
        {
            Type = JsonSchemaType.Integer | JsonSchemaType.Null,
            Minimum = TokenRules.MinExpiresInDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Maximum = TokenRules.MaxExpiresInDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Description = description,
        };

        private static OpenApiSchema Id() => new() { Type = JsonSchemaType.String, Pattern = IdPattern, MinLength = 1, MaxLength = TokenRules.MaxIdLength };

        public static void Apply(string requestType, OpenApiSchema schema)
        {
            switch (requestType)
            {
                case "SetMemberRequest":
                    schema.Required = new HashSet<string> { "permissions" };
                    schema.Properties!["permissions"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        MaxItems = TokenRules.MaxPermissions,
                        Items = Permission(),
                    };
                    break;
                case "CreateTokenRequest":
                    schema.Required = new HashSet<string> { "userId" };
                    schema.Properties!["userId"] = Id();
                    schema.Properties["name"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String | JsonSchemaType.Null,
                        MaxLength = TokenRules.MaxNameLength,
                        Description = $"At most {TokenRules.MaxNameLength} characters after trimming; blank means no name.",
                    };
                    schema.Properties["expiresInDays"] = Days(
                        $"Default {TokenRules.DefaultExpiresInDays}, or the organization's maximum lifetime when shorter.");
                    schema.Properties["rateLimit"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object | JsonSchemaType.Null,
                        Description = "Requests per second with a burst, across all gateways; omitted or null: no limit. Beyond it the gateway answers 429 rate_limited.",
                        Required = new HashSet<string> { "requestsPerSecond" },
                        AdditionalPropertiesAllowed = false,
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["requestsPerSecond"] = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Number,
                                Minimum = TokenRules.MinRequestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                Maximum = TokenRules.MaxRequestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            },
                            ["burst"] = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Integer | JsonSchemaType.Null,
                                Minimum = "1",
                                Maximum = TokenRules.MaxBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                Description = "Requests allowed at once; default requestsPerSecond rounded up.",
                            },
                        },
                    };
                    break;
                case "AddWebhookRequest":
                    schema.Required = new HashSet<string> { "url", "events" };
                    schema.Properties!["url"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Format = "uri",
                        MinLength = 1,
                        MaxLength = WebhookRules.MaxUrlLength,
                        Description = "Absolute http or https URL, without user name, password or fragment.",
                    };
                    schema.Properties["events"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        MinItems = 1,
                        MaxItems = WebhookRules.EventTypes.Length,
                        Items = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. WebhookRules.EventTypes.Select(e => (JsonNode)e)] },
                    };
                    break;
                case "PolicyRequest":
                    schema.Required = new HashSet<string>();
                    schema.Properties!["maxTokenLifetimeDays"] = Days($"Longest lifetime a new token may have; default {TokenRules.MaxExpiresInDays}.");
                    schema.Properties["forbiddenPermissions"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array | JsonSchemaType.Null,
                        MaxItems = OrganizationPolicy.MaxForbiddenPermissions,
                        Items = Permission(),
                        Description = "Permissions no token may carry (exact strings); default none.",
                    };
                    schema.Properties["requireAllowedCidrs"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Boolean | JsonSchemaType.Null,
                        Description = "Every new token must have allowedCidrs; default false.",
                    };
                    break;
                case "RotateTokenRequest":
                    schema.Required = new HashSet<string>();
                    schema.Properties!["gracePeriodHours"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Integer | JsonSchemaType.Null,
                        Minimum = "0",
                        Maximum = TokensApi.MaxGracePeriodHours.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        Description = $"How long the rotated token keeps validating; default {TokensApi.DefaultGracePeriodHours}, 0 ends it at once.",
                    };
                    break;
                case "ReasonRequest":
                    schema.Required = new HashSet<string> { "reason" };
                    schema.Properties!["reason"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        MinLength = 1,
                        MaxLength = RevocationApi.MaxReasonLength,
                        Description = "Why; recorded in the audit trail. 1–500 characters after trimming.",
                    };
                    break;
            }
        }
    }
}
