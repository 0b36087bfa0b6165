using Azure;
using Orleans.Persistence.Redis;
using Orleans.Reminders.Redis;
using Orleans.Storage;
using StackExchange.Redis;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

/// <summary>
/// Storage failures, however Orleans wrapped them. A request that failed after its retries means "storage is
/// unavailable": 503 the caller may retry, not a 500. A state too large for one table entity (the table service answers
/// 400 EntityTooLarge past 1 MiB; Orleans' provider itself refuses more than 960 KB of data) means the organization is
/// full: 409, retrying cannot help, shrinking it can.
/// </summary>
/// <remarks>
/// Redis: Orleans' Redis state and reminder providers turn every failure into a <see cref="RedisStorageException"/> or
/// <see cref="RedisRemindersException"/> that keeps the cause only as text; both mean the store did not serve the
/// request. Unwrapped StackExchange.Redis failures count when they mean the server cannot serve now (no connection, no
/// answer in time, or a server that is loading, busy, read-only, out of memory or without its primary).
/// An ETag conflict (<see cref="InconsistentStateException"/>, whatever it wraps) is not a storage outage and is left to
/// the generic handler, for every provider.
/// </remarks>
internal sealed class StorageExceptionClassifier : IExceptionClassifier
{
    private static readonly ExceptionProblem StorageUnavailable =
        new(StatusCodes.Status503ServiceUnavailable, "storage_unavailable", "Token storage is unavailable; the request was not completed. Retry shortly.");

    private static readonly ExceptionProblem OrganizationTooLarge =
        new(StatusCodes.Status409Conflict, "organization_too_large", "The organization has reached its stored size limit; nothing was changed. Delete or revoke tokens, or remove members, then retry.");

    /// <summary>Redis error prefixes that mean "not now" rather than "wrong request".</summary>
    private static readonly string[] UnavailableServerErrors =
        ["LOADING", "BUSY", "MASTERDOWN", "READONLY", "OOM", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS", "MISCONF"];

    public ExceptionProblem? Classify(Exception exception) =>
        Find(exception, IsTooLarge) ? OrganizationTooLarge
        : Find(exception, IsUnavailable) ? StorageUnavailable
        : null;

    private static bool IsTooLarge(Exception exception) =>
        exception is RequestFailedException { ErrorCode: "EntityTooLarge" } ||
        (exception is ArgumentOutOfRangeException && exception.Message.Contains("Data too large", StringComparison.Ordinal));

    private static bool IsUnavailable(Exception exception) => exception switch
    {
        RequestFailedException => true,
        RedisStorageException or RedisRemindersException => true,
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => UnavailableServerErrors.Any(prefix => server.Message == prefix || server.Message.StartsWith(prefix + " ", StringComparison.Ordinal)),
        _ => false,
    };

    private static bool Find(Exception? exception, Func<Exception, bool> match) => exception switch
    {
        null or InconsistentStateException => false,
        _ when match(exception) => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(e => Find(e, match)),
        _ => Find(exception.InnerException, match),
    };
}
