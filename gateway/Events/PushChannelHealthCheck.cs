using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ZeroPath.Gateway.Caching;

namespace ZeroPath.Gateway.Events;

/// <summary>
/// Readiness of the push channel that keeps the validation cache exact. Unconfirmed, the gateway still answers
/// correctly (cached validations go back to the cluster after <see cref="EdgeCacheOptions.MaxStaleness"/>), so that is
/// Degraded, not Unhealthy; the cluster check says when nothing can be answered at all.
/// </summary>
internal sealed class PushChannelHealthCheck(ValidationCache cache, EdgeCacheOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var since = cache.SinceConfirmed();
        var bound = options.MaxStaleness.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        if (since is null)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"push channel not confirmed yet: every request is checked with the cluster (cache entries are trusted for {bound} s at most)"));
        }

        var age = since.Value.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        if (since.Value <= options.ConfirmEvery * 3)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"push channel confirmed {age} s ago"));
        }

        var detail = since.Value > options.MaxStaleness
            ? $"push channel unconfirmed for {age} s, past the {bound} s bound: every request is checked with the cluster, and fails closed (503) while the cluster cannot answer"
            : $"push channel unconfirmed for {age} s: cached validations older than {bound} s are checked with the cluster";
        return Task.FromResult(HealthCheckResult.Degraded(detail));
    }
}
