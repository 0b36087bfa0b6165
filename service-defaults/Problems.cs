using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ZeroPath.ServiceDefaults;

/// <summary>RFC 9457 problem details with a stable machine-readable <c>code</c>; the only error shape either host returns.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(int status, string code, string detail) => new()
    {
        Status = status,
        Type = $"urn:zeropath:problem:{code}",
        Title = ReasonPhrase(status),
        Detail = detail,
        Extensions = { ["code"] = code },
    };

    /// <summary>The problem as a result; a 503 also tells the caller when to retry (<c>Retry-After</c>).</summary>
    public static IResult Result(int status, string code, string detail) => new ProblemResult(Create(status, code, detail), null);

    /// <summary>The problem as a result with <c>Retry-After</c> in whole seconds, rounded up (at least 1), when given.</summary>
    public static IResult Result(int status, string code, string detail, TimeSpan? retryAfter) =>
        new ProblemResult(Create(status, code, detail), retryAfter);

    public static IResult BadRequest(string code, string detail) => Result(StatusCodes.Status400BadRequest, code, detail);

    public static IResult NotFound(string code, string detail) => Result(StatusCodes.Status404NotFound, code, detail);

    /// <summary>503: the request was fine, the system could not answer it now.</summary>
    public static IResult Unavailable(string code, string detail) => Result(StatusCodes.Status503ServiceUnavailable, code, detail);

    private sealed class ProblemResult(ProblemDetails problem, TimeSpan? retryAfter) : IResult, IStatusCodeHttpResult
    {
        /// <summary>Seconds: every 503 here is a short-lived condition (cluster failover, a full hashing queue, storage).</summary>
        private const string RetryAfterSeconds = "1";

        public int? StatusCode => problem.Status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (retryAfter is { } wait)
            {
                var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
                httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
            {
                httpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            }

            return TypedResults.Problem(problem).ExecuteAsync(httpContext);
        }
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
