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

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Count(grainId);
        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Count(grainId);
        return inner.ClearStateAsync(stateName, grainId, grainState);
    }

    private void Count(GrainId grainId) => operations.AddOrUpdate(grainId, 1, (_, n) => n + 1);

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
