using Microsoft.AspNetCore.Http.Features;
using ZeroPath.Grains;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

/// <summary>
/// In front of every request under <c>/admin</c>, in this order: a declared body over 64 KiB is refused (413) before
/// anything else, and the server is told to stop reading any body past 64 KiB; an address locked after too many failed
/// authentications is refused (429) without its key being checked; then the admin key is required (401), except to read the OpenAPI document. Whatever the routes answer with a status and no body (an unknown route, a method a route does
/// not have) becomes problem+json, so every refusal under <c>/admin</c> has a stable <c>code</c>.
/// </summary>
internal sealed partial class AdminGuard(
    RequestDelegate next, AdminKeys keys, FailedAuthenticationLimiter limiter, FailedAuthenticationOptions limits, TokenMetrics metrics, ILogger<AdminGuard> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > AdminApiOptions.MaxRequestBodyBytes)
        {
            await AdminProblems.BodyTooLarge().ExecuteAsync(context);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = AdminApiOptions.MaxRequestBodyBytes;
        }

        if (AdminApi.IsAnonymous(request))
        {
            await next(context);
            return;
        }

        var address = context.Connection.RemoteIpAddress;
        if (limiter.IsLocked(address, out var retryAfter))
        {
            metrics.LimiterRefused("admin");
            await Problems.Result(
                StatusCodes.Status429TooManyRequests,
                AdminProblems.TooManyFailedAuthentications,
                $"Too many failed authentications from this address; retry after the window of {limits.Window.TotalSeconds:0} s ends.",
                retryAfter).ExecuteAsync(context);
            return;
        }

        if (keys.Authenticate(request.Headers.Authorization) is null)
        {
            if (limiter.RecordFailure(address))
            {
                LogLocked(logger, FailedAuthenticationLimiter.Normalize(address).ToString(), limits.MaxFailures, limits.Window.TotalSeconds);
            }

            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"zeropath-admin\"";
            await AdminProblems.Unauthorized().ExecuteAsync(context);
            return;
        }

        await next(context);

        var response = context.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentType is null && response.ContentLength is null or 0)
        {
            await AdminProblems.ForBareStatus(response.StatusCode).ExecuteAsync(context);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin API: client address {Address} locked after {Failures} failed authentications in a window of {WindowSeconds} s")]
    private static partial void LogLocked(ILogger logger, string address, int failures, double windowSeconds);
}
