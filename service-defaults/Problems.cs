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

    public static IResult Result(int status, string code, string detail) => TypedResults.Problem(Create(status, code, detail));

    public static IResult BadRequest(string code, string detail) => Result(StatusCodes.Status400BadRequest, code, detail);

    public static IResult NotFound(string code, string detail) => Result(StatusCodes.Status404NotFound, code, detail);

    /// <summary>503 with <c>Retry-After</c>: the request was fine, the system could not answer it now.</summary>
    public static IResult Unavailable(HttpContext context, string code, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        return Result(StatusCodes.Status503ServiceUnavailable, code, detail);
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
