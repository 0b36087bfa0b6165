using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace ZeroPath.ServiceDefaults;

/// <summary>
/// Turns what escapes an endpoint into problem+json: the cluster being unreachable is a 503 the caller may retry,
/// a malformed request the framework rejected keeps its 4xx, anything else is a 500 with no internals in the body.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IEnumerable<IExceptionClassifier> classifiers, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, detail) = classifiers.Select(c => c.Classify(exception)).FirstOrDefault(p => p is not null) ?? Generic(exception);

        if (status >= 500)
        {
            LogUnhandled(logger, exception, context.Request.Method, context.Request.Path);
        }

        context.Response.StatusCode = status;
        await Problems.Result(status, code, detail).ExecuteAsync(context);
        return true;
    }

    private static ExceptionProblem Generic(Exception exception) => exception switch
    {
        BadHttpRequestException bad => new(bad.StatusCode, "bad_request", "The request could not be read."),
        OrleansException or TimeoutException => new(StatusCodes.Status503ServiceUnavailable, "cluster_unavailable", "The token cluster is unavailable; retry shortly."),
        _ => new(StatusCodes.Status500InternalServerError, "internal_error", "An unexpected error occurred."),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Method} {Path} failed")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);
}
