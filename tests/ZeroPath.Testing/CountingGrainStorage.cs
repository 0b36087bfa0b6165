using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace ZeroPath.Testing;

/// <summary>Passes every call to the real grain storage and counts them per grain: to prove a path does no storage I/O.</summary>
public sealed class CountingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private readonly ConcurrentDictionary<GrainId, int> operations = new();

    public int OperationsOn(GrainId grainId) => operations.GetValueOrDefault(grainId);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Count(grainId);
        return inner.ReadStateAsync(stateName, grainId, grainState);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Count(grainId);
        writes.AddOrUpdate(grainId, 1, (_, n) => n + 1);
        if (holds.TryGetValue(grainId, out var hold))
        {
            // What is written is what the caller asked to write, as a real store serializes it before waiting on the wire.
            var asked = new GrainState<T>(grainState.State, grainState.ETag) { RecordExists = grainState.RecordExists };
            await hold.Task;
            await WriteAsync(stateName, grainId, asked);
            grainState.ETag = asked.ETag;
            grainState.RecordExists = asked.RecordExists;
            return;
        }

        await WriteAsync(stateName, grainId, grainState);
    }

    private async Task WriteAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var fault = TakeFault(grainId);
        if (fault == WriteFault.Fail)
        {
            throw new InjectedStorageFailureException(grainId);
        }

        var etag = grainState.ETag;
        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (fault == WriteFault.FailAfterWriting)
        {
            // The answer is lost: the caller keeps the ETag it had.
            grainState.ETag = etag;
            throw new InjectedStorageFailureException(grainId);
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Count(grainId);
        return inner.ClearStateAsync(stateName, grainId, grainState);
    }

    private void Count(GrainId grainId) => operations.AddOrUpdate(grainId, 1, (_, n) => n + 1);

    private readonly ConcurrentDictionary<GrainId, int> writes = new();
    private readonly ConcurrentDictionary<GrainId, (WriteFault Fault, int Times)> faults = new();
    private readonly ConcurrentDictionary<GrainId, TaskCompletionSource> holds = new();

    /// <summary>Writes attempted for a grain, failed ones included.</summary>
    public int WritesOn(GrainId grainId) => writes.GetValueOrDefault(grainId);

    /// <summary>
    /// From now on writes of the grain throw <see cref="InjectedStorageFailureException"/>: before storing anything, or
    /// (<paramref name="fault"/> <see cref="WriteFault.FailAfterWriting"/>) after storing, as a timeout after the write
    /// landed would; the next <paramref name="times"/> writes only, if given. Reads keep working.
    /// </summary>
    public void FailWrites(GrainId grainId, WriteFault fault = WriteFault.Fail, int times = int.MaxValue) => faults[grainId] = (fault, times);

    private WriteFault? TakeFault(GrainId grainId)
    {
        lock (faults)
        {
            if (!faults.TryGetValue(grainId, out var fault))
            {
                return null;
            }

            if (fault.Times <= 1)
            {
                faults.TryRemove(grainId, out _);
            }
            else if (fault.Times != int.MaxValue)
            {
                faults[grainId] = (fault.Fault, fault.Times - 1);
            }

            return fault.Fault;
        }
    }

    /// <summary>Writes of the grain work again.</summary>
    public void Heal(GrainId grainId) => faults.TryRemove(grainId, out _);

    /// <summary>
    /// Writes of the grain wait until <see cref="Release"/>, then store what was asked (the state as it was when the write
    /// was called), or fail as configured.
    /// </summary>
    public TaskCompletionSource HoldWrites(GrainId grainId) =>
        holds.GetOrAdd(grainId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Lets held writes of the grain go on, and later ones pass without waiting.</summary>
    public void Release(GrainId grainId)
    {
        if (holds.TryRemove(grainId, out var hold))
        {
            hold.TrySetResult();
        }
    }

    /// <summary>Wraps the storage registered under <paramref name="name"/>; <paramref name="created"/> receives the wrapper.</summary>
    public static void Decorate(IServiceCollection services, string name, Action<CountingGrainStorage> created)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, name) && d.IsKeyedService);
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, key) =>
        {
            var inner = original.KeyedImplementationFactory is { } factory
                ? (IGrainStorage)factory(provider, key)
                : (IGrainStorage)(original.KeyedImplementationInstance ?? ActivatorUtilities.CreateInstance(provider, original.KeyedImplementationType!));
            var counting = new CountingGrainStorage(inner);
            created(counting);
            return counting;
        });
    }
}

public enum WriteFault
{
    /// <summary>The write throws and stores nothing.</summary>
    Fail = 1,

    /// <summary>The write stores, then throws: its caller cannot tell it landed.</summary>
    FailAfterWriting = 2,
}

/// <summary>A storage failure a test injected.</summary>
public sealed class InjectedStorageFailureException(GrainId grainId) : Exception($"Injected storage failure writing {grainId}.");
