using Azure;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

/// <summary>
/// A storage request that failed after its retries, however Orleans wrapped it, means "storage is unavailable":
/// 503 the caller may retry, not a 500.
/// </summary>
internal sealed class StorageExceptionClassifier : IExceptionClassifier
{
    private static readonly ExceptionProblem StorageUnavailable =
        new(StatusCodes.Status503ServiceUnavailable, "storage_unavailable", "Token storage is unavailable; nothing was changed. Retry shortly.");

    public ExceptionProblem? Classify(Exception exception) => IsStorageFailure(exception) ? StorageUnavailable : null;

    private static bool IsStorageFailure(Exception? exception) => exception switch
    {
        null => false,
        RequestFailedException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsStorageFailure),
        _ => IsStorageFailure(exception.InnerException),
    };
}
