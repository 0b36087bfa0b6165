using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ZeroPath.Grains;
using ZeroPath.ServiceDefaults;
using ZeroPath.Silo.Apis;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.SecretScanning;

/// <summary>
/// <c>POST /secret-scanning/v1/revoke</c>: a secret-scanning partner reports secrets it found in public, in GitHub's
/// partner format (a JSON array of <c>{token, type, url, source}</c>, signed with the partner's key); every reported secret
/// that is a live token's is revoked at once, recorded as the partner's doing with where it was found, and the answer says
/// which were ours by the SHA-256 of each secret, never the secret. Served only when a partner is configured.
/// </summary>
internal static partial class SecretScanningApi
{
    public const string Prefix = "/secret-scanning";
    public const string Path = Prefix + "/v1/revoke";

    /// <summary>Secrets one report may carry (a 64 KiB body holds a few hundred with their URLs).</summary>
    public const int MaxSecrets = 500;

    public const string TruePositive = "true_positive";
    public const string FalsePositive = "false_positive";

    public const string UnknownKeyCode = "unknown_signing_key";
    public const string InvalidSignatureCode = "invalid_signature";
    public const string InvalidReportCode = "invalid_report";
    public const string TooManySecretsCode = "too_many_secrets";

    /// <summary>Reported secrets looked up and revoked at once, per report.</summary>
    private const int Parallelism = 8;

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { AllowDuplicateProperties = false, MaxDepth = 8 };

    /// <summary>Reads and checks the partners (<c>ZeroPath:SecretScanning</c>) before anything starts.</summary>
    public static WebApplicationBuilder AddSecretScanningApi(this WebApplicationBuilder builder)
    {
        var settings = new StartupSettings(builder.Configuration);
        var partners = SecretScanningPartners.Load(settings, builder.Configuration);
        settings.ThrowIfInvalid();
        builder.Services.AddSingleton(partners);
        return builder;
    }

    /// <summary>
    /// Maps the route when at least one partner is configured; otherwise it does not exist (404 like any unknown path).
    /// Not in the admin OpenAPI document: it is not an admin route and takes no admin key (see docs/api.md).
    /// </summary>
    public static WebApplication MapSecretScanningApi(this WebApplication app)
    {
        if (app.Services.GetRequiredService<SecretScanningPartners>().Enabled)
        {
            // What routing answers without a body under this prefix (another method, another path) is problem+json too.
            app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase), scanning => scanning.Use(async (context, next) =>
            {
                await next(context);
                var response = context.Response;
                if (!response.HasStarted && response.StatusCode >= 400 && response.ContentType is null && response.ContentLength is null or 0)
                {
                    await (response.StatusCode switch
                    {
                        StatusCodes.Status405MethodNotAllowed => Problems.Result(response.StatusCode, AdminProblems.MethodNotAllowedCode, $"Send reports as POST {Path}."),
                        StatusCodes.Status404NotFound => Problems.NotFound(AdminProblems.NotFoundCode, $"The only secret-scanning route is POST {Path}."),
                        _ => AdminProblems.ForBareStatus(response.StatusCode),
                    }).ExecuteAsync(context);
                }
            }));
            app.MapPost(Path, RevokeReportedAsync).ExcludeFromDescription();
        }

        return app;
    }

    private static async Task<IResult> RevokeReportedAsync(
        HttpRequest request, SecretScanningPartners partners, IGrainFactory grains, SecretFormatKeyRing formatKeys, TokenMetrics metrics,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(SecretScanningApi).FullName!);
        if (request.ContentLength > AdminApiOptions.MaxRequestBodyBytes)
        {
            return AdminProblems.BodyTooLarge();
        }

        var (body, problem) = await JsonBody.ReadBytesAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var keyId = request.Headers[SecretScanningPartners.KeyIdHeader];
        var signature = request.Headers[SecretScanningPartners.SignatureHeader];
        switch (partners.Verify(keyId.Count == 1 ? keyId[0] : null, signature.Count == 1 ? signature[0] : null, body!.WrittenSpan, out var partner))
        {
            case ReportSignature.UnknownKey:
                LogRefused(logger, "no configured partner key has the key id it names");
                return Problems.Result(
                    StatusCodes.Status401Unauthorized, UnknownKeyCode, $"{SecretScanningPartners.KeyIdHeader} must name one key of a configured secret-scanning partner.");
            case ReportSignature.Invalid:
                LogRefused(logger, "its signature is not its key's over its body");
                return Problems.Result(
                    StatusCodes.Status401Unauthorized, InvalidSignatureCode, $"{SecretScanningPartners.SignatureHeader} must be the base64 DER ECDSA P-256 SHA-256 signature of the body under the named key.");
        }

        ReportedSecret?[]? reported;
        try
        {
            reported = JsonSerializer.Deserialize<ReportedSecret?[]>(body.WrittenSpan, Options);
        }
        catch (JsonException)
        {
            // The exception's message may quote the body, which holds secrets: it goes nowhere.
            return Problems.BadRequest(AdminProblems.InvalidJson, "The body must be a JSON array of {token, type, url, source}.");
        }

        if (reported is null || reported.Any(r => r is null || string.IsNullOrEmpty(r.Token)))
        {
            return Problems.BadRequest(InvalidReportCode, "The body must be a JSON array of objects, each with a non-empty string 'token'.");
        }

        if (reported.Length > MaxSecrets)
        {
            return Problems.BadRequest(TooManySecretsCode, $"A report may carry at most {MaxSecrets} secrets; send more in several reports.");
        }

        // Every grain call from here records the partner as the actor (the audit trail and the organization's webhooks).
        AuditActor.Set(AuditActor.SecretScanningPrefix + partner);
        var labels = new Dictionary<string, Task<bool>>(StringComparer.Ordinal);
        using var slots = new SemaphoreSlim(Parallelism);
        foreach (var secret in reported!)
        {
            if (!labels.ContainsKey(secret!.Token!))
            {
                labels[secret.Token!] = RevokeIfLiveAsync(secret, partner!, grains, formatKeys, metrics, logger, slots);
            }
        }

        await Task.WhenAll(labels.Values);
        var answers = reported.Select(r => new ScanningVerdict(
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(r!.Token!))),
            r.Type,
            labels[r.Token!].Result ? TruePositive : FalsePositive)).ToArray();
        var revoked = answers.Count(a => a.Label == TruePositive);
        LogReport(logger, partner!, reported.Length, revoked);
        return TypedResults.Ok(answers);
    }

    /// <summary>
    /// Revokes the live token <paramref name="secret"/> belongs to; false when it belongs to none: not a current-format
    /// secret of this cluster, created before fingerprints were recorded, or its token has ended or expired.
    /// </summary>
    private static async Task<bool> RevokeIfLiveAsync(
        ReportedSecret secret, string partner, IGrainFactory grains, SecretFormatKeyRing formatKeys, TokenMetrics metrics, ILogger logger, SemaphoreSlim slots)
    {
        if (formatKeys.Fingerprint(secret.Token) is not { } fingerprint)
        {
            return false;
        }

        await slots.WaitAsync();
        try
        {
            // The fingerprint finds the token; its tag proves the secret was issued for that token, so neither a
            // fingerprint collision nor a crafted report can revoke another token.
            if (await grains.GetGrain<ISecretFingerprintGrain>(fingerprint).TokenId() is not { } tokenId
                || formatKeys.Check(tokenId, secret.Token) != SecretFormatVerdict.Valid
                || await grains.GetGrain<ITokenGrain>(tokenId).Describe() is not { Status: TokenStatus.Active })
            {
                return false;
            }

            if (await grains.RevokeTokenAsync(tokenId, Reason(partner, secret)) is not { Status: TokenStatus.Revoked } revoked)
            {
                return false;
            }

            metrics.Revoked("token");
            LogRevoked(logger, tokenId, revoked.OrganizationId, partner);
            return true;
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>What the audit trail and the webhook delivery say: who reported it, as what, and where it was found.</summary>
    internal static string Reason(string partner, ReportedSecret secret)
    {
        var reason = new StringBuilder($"Leaked secret reported by secret-scanning partner '{partner}'");
        if (!string.IsNullOrWhiteSpace(secret.Type))
        {
            reason.Append(" as ").Append(Printable(secret.Type, 64));
        }

        if (!string.IsNullOrWhiteSpace(secret.Source))
        {
            reason.Append(" (source: ").Append(Printable(secret.Source, 32)).Append(')');
        }

        if (!string.IsNullOrWhiteSpace(secret.Url))
        {
            reason.Append(", found at ").Append(Printable(secret.Url, RevocationApi.MaxReasonLength - reason.Length - 11));
        }

        return reason.ToString();
    }

    /// <summary>At most <paramref name="max"/> characters, control characters replaced; cut short with "…".</summary>
    private static string Printable(string text, int max)
    {
        var clean = new string([.. text.Trim().Select(c => char.IsControl(c) ? '?' : c)]);
        return clean.Length <= max ? clean : string.Concat(clean.AsSpan(0, Math.Max(0, max - 1)), "…");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret scanning: a report was refused because {Why}")]
    private static partial void LogRefused(ILogger logger, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret scanning: token {TokenId} of organization {OrganizationId} revoked, reported leaked by partner {Partner}")]
    private static partial void LogRevoked(ILogger logger, Guid tokenId, string organizationId, string partner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Secret scanning: partner {Partner} reported {Reported} secrets, {Revoked} of them live tokens now revoked")]
    private static partial void LogReport(ILogger logger, string partner, int reported, int revoked);

    /// <summary>One reported secret, as GitHub sends it. Never printed: it holds a secret.</summary>
    internal sealed record ReportedSecret(string? Token, string? Type, string? Url, string? Source)
    {
        public override string ToString() => $"ReportedSecret {{ Type = {Type}, Url = {Url}, Source = {Source} }}";
    }

    /// <summary>One answer, as GitHub expects it: the secret's SHA-256 in hex, the type it was reported as, and whether it was ours.</summary>
    private sealed record ScanningVerdict(
        [property: JsonPropertyName("token_hash")] string TokenHash,
        [property: JsonPropertyName("token_type")] string? TokenType,
        [property: JsonPropertyName("label")] string Label);
}
