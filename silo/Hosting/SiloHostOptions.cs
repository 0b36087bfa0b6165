using System.Net;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

/// <summary>Where this silo listens and what address it advertises. Section <c>ZeroPath:Silo</c>.</summary>
public sealed class SiloHostOptions
{
    public const string SectionName = "ZeroPath:Silo";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port the gateways (Orleans clients) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP other silos and gateways reach this silo at (in Kubernetes: the pod IP, never a Service IP).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface instead of only the advertised address (containers).</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>Name shown in membership and logs (in Kubernetes: the pod name). Empty: Orleans picks one.</summary>
    public string SiloName { get; set; } = "";

    public IPAddress Address => IPAddress.Parse(AdvertisedAddress);

    public void Validate(StartupSettings settings)
    {
        settings.RequireRange(SectionName, nameof(SiloPort), SiloPort, 1, 65535);
        settings.RequireRange(SectionName, nameof(GatewayPort), GatewayPort, 1, 65535);
        if (!IPAddress.TryParse(AdvertisedAddress, out _))
        {
            settings.Fail(SectionName, nameof(AdvertisedAddress), $"must be an IP address (was '{AdvertisedAddress}').");
        }
    }
}
