namespace ZeroPath.Gateway.Hosting;

/// <summary>How the gateway reaches the token cluster. Section <c>ZeroPath:Cluster</c>.</summary>
public sealed class ClusterClientOptions
{
    public const string SectionName = "ZeroPath:Cluster";

    public string ClusterId { get; set; } = "zeropath-local";
    public string ServiceId { get; set; } = "zeropath";

    /// <summary>Orleans gateway ports of the local silos.</summary>
    public int[] GatewayPorts { get; set; } = [30000];

    /// <summary>How long one grain call may take before the request answers 503.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pause between attempts to reach the cluster while it is not there.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
