namespace ZeroPath.Silo.Hosting;

/// <summary>Where this silo listens and which cluster it joins. Section <c>ZeroPath:Silo</c>.</summary>
public sealed class SiloOptions
{
    public const string SectionName = "ZeroPath:Silo";

    public string ClusterId { get; set; } = "zeropath-local";
    public string ServiceId { get; set; } = "zeropath";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port the gateways (Orleans clients) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;
}
