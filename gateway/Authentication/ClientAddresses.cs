using System.Net;
using System.Net.Sockets;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;
using ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders;
using ForwardedHeadersOptions = Microsoft.AspNetCore.Builder.ForwardedHeadersOptions;
using IPNetwork = System.Net.IPNetwork;

namespace ZeroPath.Gateway.Authentication;

/// <summary>
/// Which proxies' word on the client address the gateway takes. Section <c>ZeroPath:Gateway</c>, key
/// <c>TrustedProxies</c>: addresses or ranges (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>, <c>192.0.2.10</c>). Empty (the
/// default): the client address is the connection's, and <c>X-Forwarded-For</c> is never read.
/// </summary>
public sealed class ClientAddressOptions
{
    public const string SectionName = "ZeroPath:Gateway";

    public const int MaxTrustedProxies = 64;

    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>The configured ranges, parsed; invalid entries stop the gateway at start-up.</summary>
    public IPNetwork[] Parse(StartupSettings settings)
    {
        if (TrustedProxies.Count > MaxTrustedProxies)
        {
            settings.Fail(SectionName, nameof(TrustedProxies), $"at most {MaxTrustedProxies} entries (was {TrustedProxies.Count}).");
            return [];
        }

        var networks = new List<IPNetwork>(TrustedProxies.Count);
        foreach (var entry in TrustedProxies)
        {
            if (TokenRules.TryNormalizeCidr(entry, out var canonical))
            {
                networks.Add(IPNetwork.Parse(canonical));
            }
            else
            {
                settings.Fail(SectionName, nameof(TrustedProxies), $"'{entry}' is not an IPv4 or IPv6 address or range such as 10.0.0.0/8 (no bits set past the prefix).");
            }
        }

        return [.. networks];
    }
}

/// <summary>
/// Where a request comes from, for tokens limited to address ranges. On HTTP (proxied routes and <c>/auth/check</c>) the
/// connection's remote address, which ASP.NET Core's forwarded-headers middleware replaces with the address from
/// <c>X-Forwarded-For</c> only when the connection comes from a trusted proxy (walking back through trusted proxies
/// only). On Envoy's gRPC <c>ext_authz</c>, the downstream address Envoy reports (<c>attributes.source.address</c>), taken
/// only when the gRPC call itself comes from a trusted proxy; otherwise the caller's own address, which fails closed.
/// </summary>
public sealed class ClientAddresses(IPNetwork[] trustedProxies)
{
    public bool HasTrustedProxies => trustedProxies.Length > 0;

    public IReadOnlyList<IPNetwork> TrustedProxies => trustedProxies;

    public bool IsTrustedProxy(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        address = Normalize(address);
        foreach (var network in trustedProxies)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An IPv4 client on a dual-stack socket shows as <c>::ffff:a.b.c.d</c>; ranges compare it as IPv4.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>True when <paramref name="client"/> lies in one of <paramref name="allowed"/>; an unknown address never does.</summary>
    public static bool IsAllowed(IPNetwork[] allowed, IPAddress? client)
    {
        if (client is null)
        {
            return false;
        }

        client = Normalize(client);
        foreach (var network in allowed)
        {
            if (network.Contains(client))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Envoy's view of the downstream address, when the gRPC caller is a trusted proxy; else the caller's own.</summary>
    public IPAddress? ForExtAuthz(IPAddress? caller, string? reportedSource) =>
        IsTrustedProxy(caller) && IPAddress.TryParse(reportedSource, out var source) && source.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? source
            : caller;

    /// <summary>The forwarded-headers middleware's settings: X-Forwarded-For from the trusted proxies only, nothing by default.</summary>
    public void Configure(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        // ASP.NET Core trusts loopback by default; the gateway trusts exactly what is configured.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var network in trustedProxies)
        {
            options.KnownIPNetworks.Add(network);
        }

        // Walk back through every trusted proxy in the chain; the first address not trusted is the client.
        options.ForwardLimit = null;
    }
}
