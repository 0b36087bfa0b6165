namespace ZeroPath.Gateway.Hosting;

/// <summary>How the gateway's Orleans client behaves. Section <c>ZeroPath:Cluster</c>, beside the shared connection settings.</summary>
public sealed class ClusterClientOptions
{
    /// <summary>How long one grain call may take before the request answers 503.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the list of live silo gateways is re-read from membership.</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause between attempts to reach the cluster while it is not there.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
