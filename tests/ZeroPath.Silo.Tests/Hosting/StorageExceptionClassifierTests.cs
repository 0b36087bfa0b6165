using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Persistence.Redis;
using Orleans.Reminders.Redis;
using Orleans.Storage;
using StackExchange.Redis;
using ZeroPath.Grains;
using ZeroPath.ServiceDefaults;
using ZeroPath.Silo.Hosting;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Hosting;

public class StorageExceptionClassifierTests
{
    private static readonly StorageExceptionClassifier Classifier = new();

    public static TheoryData<Exception, int, string> Failures => new()
    {
        // Azure Table storage: what the table service answers for an entity over 1 MiB, what Orleans' provider throws for
        // data over 960 KB, and a request that failed after its retries.
        { new OrleansException("storage", new Azure.RequestFailedException(400, "The entity is larger than the maximum allowed size (1MB).", "EntityTooLarge", null)), 409, "organization_too_large" },
        { new OrleansException("storage", new ArgumentOutOfRangeException("GrainState.Size", "Data too large to write to Azure table. Size=983041 MaxSize=983040")), 409, "organization_too_large" },
        { new AggregateException(new Azure.RequestFailedException(503, "down")), 503, "storage_unavailable" },
        // Redis: Orleans' providers wrap every failure, keeping the cause only as text (the state bridge wraps it again).
        { new OrleansException("Error from storage provider", new RedisStorageException("Failed to write grain state. StackExchange.Redis.RedisConnectionException: No connection is active/available to service this operation")), 503, "storage_unavailable" },
        { new RedisStorageException("Failed to read grain state. StackExchange.Redis.RedisTimeoutException: Timeout awaiting response"), 503, "storage_unavailable" },
        { new RedisRemindersException("StackExchange.Redis.RedisServerException: LOADING Redis is loading the dataset in memory"), 503, "storage_unavailable" },
        // StackExchange.Redis failures that reach the caller unwrapped.
        { new RedisConnectionException(ConnectionFailureType.UnableToConnect, "It was not possible to connect to the redis server(s)."), 503, "storage_unavailable" },
        { new OrleansException("call failed", new RedisTimeoutException("Timeout awaiting response (outbound=0KiB, inbound=0KiB, 5000ms elapsed)", CommandStatus.Sent)), 503, "storage_unavailable" },
        { new RedisServerException("LOADING Redis is loading the dataset in memory"), 503, "storage_unavailable" },
        { new RedisServerException("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."), 503, "storage_unavailable" },
        { new AggregateException(new RedisServerException("READONLY You can't write against a read only replica.")), 503, "storage_unavailable" },
        { new RedisServerException("OOM command not allowed when used memory > 'maxmemory'."), 503, "storage_unavailable" },
        { new RedisServerException("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), 503, "storage_unavailable" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Storage_failures_become_a_clear_problem_not_a_500(Exception failure, int status, string code)
    {
        var problem = Classifier.Classify(failure);

        Assert.NotNull(problem);
        Assert.Equal((status, code), (problem.Status, problem.Code));
    }

    public static TheoryData<Exception> NotStorageOutages => new()
    {
        new ArgumentOutOfRangeException("days"),
        // A Redis error that is a wrong request, not an unavailable server.
        new RedisServerException("ERR unknown command 'FOO'"),
        new RedisServerException("BUSYKEY Target key name already exists."),
        // ETag conflicts, whichever provider raised them and whatever they wrap, stay with the generic handler.
        new InconsistentStateException("Version conflict (WriteStateAsync): ETag=1"),
        new TableStorageUpdateConditionNotSatisfiedException("token", "token/1", "ZeroPathState", "Unknown", "W/1", new Azure.RequestFailedException(412, "Precondition Failed", "UpdateConditionNotSatisfied", null)),
    };

    [Theory]
    [MemberData(nameof(NotStorageOutages))]
    public void Other_exceptions_and_etag_conflicts_are_left_to_the_generic_handler(Exception exception)
    {
        Assert.Null(Classifier.Classify(exception));
    }

    [Fact]
    public void The_silo_registers_the_classifier()
    {
        using var factory = new SiloFactory();

        Assert.Contains(factory.Services.GetServices<IExceptionClassifier>(), c => c is StorageExceptionClassifier);
    }

    /// <summary>
    /// What the real Redis providers throw when their server is not there, through the state and reminder table the
    /// silo built: whatever they wrap it in, the caller gets 503 <c>storage_unavailable</c>.
    /// </summary>
    [Fact]
    public async Task The_real_Redis_providers_failing_on_a_missing_server_are_storage_unavailable()
    {
        var nobody = FreeTcpPort.Next();
        await using var factory = new SiloFactory
        {
            Overrides = new Dictionary<string, string?>
            {
                ["ZeroPath:Storage:Provider"] = "Redis",
                ["ZeroPath:Storage:Redis"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{nobody},connectTimeout=500,syncTimeout=1000,asyncTimeout=1000"),
            },
        };
        var storage = factory.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Tokens);
        var reminders = factory.Services.GetRequiredService<IReminderTable>();
        var grain = GrainId.Create("zp-classifier", Guid.NewGuid().ToString("N"));

        var failures = await Task.WhenAll(
            Assert.ThrowsAnyAsync<Exception>(() => storage.WriteStateAsync("state", grain, new GrainState<string>("x"))),
            Assert.ThrowsAnyAsync<Exception>(() => storage.ReadStateAsync("state", grain, new GrainState<string>())),
            Assert.ThrowsAnyAsync<Exception>(() => reminders.ReadRows(grain)));

        Assert.All(failures, failure => Assert.Equal("storage_unavailable", Classifier.Classify(failure)?.Code));
    }
}
