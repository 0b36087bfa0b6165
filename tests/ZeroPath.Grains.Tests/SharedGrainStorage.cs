using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace ZeroPath.Grains.Tests;

/// <summary>
/// Grain state kept outside any one test cluster: serialized as the silo stores it (plain System.Text.Json), with ETags
/// checked as Azure Table storage checks them. Clusters started one after another over the same store are a redeploy with
/// other settings over the same stored tokens.
/// </summary>
public sealed class SharedGrainStore
{
    private readonly ConcurrentDictionary<(string StateName, GrainId GrainId), (BinaryData Data, string ETag)> entries = new();

    /// <summary>Makes this store the silo's <c>tokens</c> storage (call before decorating it, e.g. with counting).</summary>
    public void UseIn(ISiloBuilder silo)
    {
        var services = silo.Services;
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, GrainStorageNames.Tokens) && d.IsKeyedService);
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(
            GrainStorageNames.Tokens, (provider, _) => new Storage(this, provider.GetRequiredService<IGrainStorageSerializer>()));
    }

    /// <summary>The stored JSON of a grain's state, as production would hold it; null when none.</summary>
    public string? StoredJson(string stateName, GrainId grainId) =>
        entries.TryGetValue((stateName, grainId), out var entry) ? entry.Data.ToString() : null;

    private sealed class Storage(SharedGrainStore store, IGrainStorageSerializer serializer) : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (store.entries.TryGetValue((stateName, grainId), out var entry))
            {
                grainState.State = serializer.Deserialize<T>(entry.Data);
                grainState.ETag = entry.ETag;
                grainState.RecordExists = true;
            }
            else
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
            }

            return Task.CompletedTask;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            var key = (stateName, grainId);
            var written = (serializer.Serialize(grainState.State), Guid.NewGuid().ToString("N"));
            var stored = grainState.ETag is null
                ? store.entries.TryAdd(key, written)
                : store.entries.TryGetValue(key, out var current) && current.ETag == grainState.ETag &&
                  store.entries.TryUpdate(key, written, current);
            if (!stored)
            {
                throw new InconsistentStateException($"ETag mismatch writing {stateName} of {grainId}.");
            }

            grainState.ETag = written.Item2;
            grainState.RecordExists = true;
            return Task.CompletedTask;
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            store.entries.TryRemove((stateName, grainId), out _);
            grainState.ETag = null;
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }
    }
}
