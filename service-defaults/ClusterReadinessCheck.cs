using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans;
using ZeroPath.Tokens;

namespace ZeroPath.ServiceDefaults;

internal sealed class ClusterReadinessCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IClusterPingGrain>(0).Ping().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The Orleans cluster did not answer.", exception);
        }
    }
}
