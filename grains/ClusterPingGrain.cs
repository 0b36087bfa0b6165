using Orleans.Concurrency;
using ZeroPath.Tokens;

namespace ZeroPath.Grains;

[StatelessWorker]
public sealed class ClusterPingGrain : Grain, IClusterPingGrain
{
    public Task Ping() => Task.CompletedTask;
}
