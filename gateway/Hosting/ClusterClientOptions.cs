namespace ZeroPath.Gateway.Hosting;

/// <summary>How the gateway reaches the token cluster. Section <c>ZeroPath:Cluster</c>.</summary>
public sealed class ClusterClientOptions
{
    public const string SectionName = "ZeroPath:Cluster";

    public string ClusterId { get; set; } = "zeropath-local";
    public string ServiceId { get; set; } = "zeropath";

    /// <summary>Orleans gateway ports of the local silos. Empty means the default silo's 30000.</summary>
    /// <remarks>No initializer: the configuration binder appends to an existing array instead of replacing it.</remarks>
    public int[] GatewayPorts { get; set; } = [];

    /// <summary>How long one grain call may take before the request answers 503.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pause between attempts to reach the cluster while it is not there.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
