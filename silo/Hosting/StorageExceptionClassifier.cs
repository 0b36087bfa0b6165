using Azure;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

/// <summary>
/// Storage failures, however Orleans wrapped them. A request that failed after its retries means "storage is
/// unavailable": 503 the caller may retry, not a 500. A state too large for one table entity (the table service answers
/// 400 EntityTooLarge past 1 MiB; Orleans' provider itself refuses more than 960 KB of data) means the organization is
/// full: 409, retrying cannot help, shrinking it can.
/// </summary>
internal sealed class StorageExceptionClassifier : IExceptionClassifier
{
    private static readonly ExceptionProblem StorageUnavailable =
        new(StatusCodes.Status503ServiceUnavailable, "storage_unavailable", "Token storage is unavailable; nothing was changed. Retry shortly.");

    private static readonly ExceptionProblem OrganizationTooLarge =
        new(StatusCodes.Status409Conflict, "organization_too_large", "The organization has reached its stored size limit; nothing was changed. Delete or revoke tokens, or remove members, then retry.");

    public ExceptionProblem? Classify(Exception exception) =>
        Find(exception, IsTooLarge) ? OrganizationTooLarge
        : Find(exception, e => e is RequestFailedException) ? StorageUnavailable
        : null;

    private static bool IsTooLarge(Exception exception) =>
        exception is RequestFailedException { ErrorCode: "EntityTooLarge" } ||
        (exception is ArgumentOutOfRangeException && exception.Message.Contains("Data too large", StringComparison.Ordinal));

    private static bool Find(Exception? exception, Func<Exception, bool> match) => exception switch
    {
        null => false,
        _ when match(exception) => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(e => Find(e, match)),
        _ => Find(exception.InnerException, match),
    };
}
