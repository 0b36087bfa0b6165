using ZeroPath.Grains;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

public static class TokenStorageHostingExtensions
{
    /// <summary>
    /// Grain state (<see cref="GrainStorageNames.Tokens"/>) and reminders in the configured store. Both providers store
    /// plain System.Text.Json without .NET type names, so renaming a state type cannot orphan stored state, and both
    /// keep a cleared record as an empty one with a new ETag (no delete on clear): a writer holding an ETag from before
    /// the clear is refused, as it is before it.
    /// </summary>
    public static ISiloBuilder AddTokenStorage(this ISiloBuilder silo, StorageOptions storage, ClusterConnectionOptions cluster)
    {
        silo.UseSystemTextJsonGrainStorageSerializer();
        switch (storage.EffectiveProvider)
        {
            case StorageProvider.Redis:
                // Keys: {ServiceId}/state/{grain type}/{grain key}/{state name} (a hash of etag and data) and one sorted
                // set {ServiceId}/reminders. No expiry: a token's record lives until the token is gone.
                silo.AddRedisGrainStorage(GrainStorageNames.Tokens, o =>
                {
                    o.ConfigurationOptions = storage.RedisConfiguration(cluster);
                    o.DeleteStateOnClear = false;
                    o.EntryExpiry = null;
                });
                silo.UseRedisReminderService(o =>
                {
                    o.ConfigurationOptions = storage.RedisConfiguration(cluster);
                    o.EntryExpiry = null;
                });
                break;
            case StorageProvider.AzureTable:
                // One client for state and reminders.
                var tables = storage.CreateTableClient();
                silo.AddAzureTableGrainStorage(GrainStorageNames.Tokens, o =>
                {
                    o.TableServiceClient = tables;
                    o.TableName = storage.StateTable;
                    o.DeleteStateOnClear = false;
                });
                silo.UseAzureTableReminderService(o =>
                {
                    o.TableServiceClient = tables;
                    o.TableName = storage.ReminderTable;
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(storage), storage.EffectiveProvider, "Unknown storage provider.");
        }

        return silo;
    }
}
