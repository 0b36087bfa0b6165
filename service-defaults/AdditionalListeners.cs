using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ZeroPath.ServiceDefaults;

/// <summary>
/// A second (third…) Kestrel listener next to the process's own URLs: the Prometheus scrape port, the gateway's HTTP/2
/// port for gRPC <c>ext_authz</c>. Each is one setting holding a URL (<c>http://0.0.0.0:9464</c>); unset, nothing
/// listens.
/// <para>
/// Kestrel drops the <c>Urls</c> setting (and <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>) as soon as any
/// endpoint is configured under <c>Kestrel:Endpoints</c>, so adding one listener would silently remove the main one.
/// When no <c>Kestrel:Endpoints</c> are configured, the process's URLs are therefore written there first, unchanged
/// (HTTPS ones keep the certificate the host sets with <c>ConfigureHttpsDefaults</c>), and the extra listener after them.
/// Where an operator configures <c>Kestrel:Endpoints</c> themselves, those stay as they are.
/// </para>
/// </summary>
public static class AdditionalListeners
{
    private const string EndpointsSection = "Kestrel:Endpoints";

    /// <summary>
    /// Adds the listener named <paramref name="name"/> at the URL in setting <paramref name="section"/>:<paramref name="key"/>,
    /// if set, and answers its port (null when unset). A URL that is not <c>http://host:port</c> with an explicit port is
    /// a start-up error, reported through <paramref name="settings"/>.
    /// </summary>
    public static int? AddListener(
        this IHostApplicationBuilder builder, StartupSettings settings, string section, string key, string name, HttpProtocols protocols)
    {
        var url = builder.Configuration[$"{section}:{key}"];
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        if (!TryParsePort(url, out var port))
        {
            settings.Fail(section, key, $"must be an http:// URL with an explicit port from 1 to 65535, like http://0.0.0.0:9464 (was \"{url}\").");
            return null;
        }

        var added = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!builder.Configuration.GetSection(EndpointsSection).GetChildren().Any())
        {
            var index = 0;
            foreach (var own in OwnUrls(builder.Configuration))
            {
                added[$"{EndpointsSection}:Url{index++}:Url"] = own;
            }
        }

        added[$"{EndpointsSection}:{name}:Url"] = url;
        added[$"{EndpointsSection}:{name}:Protocols"] = protocols.ToString();
        builder.Configuration.AddInMemoryCollection(added);
        return port;
    }

    /// <summary>True when the request arrived on the listener at <paramref name="port"/> (by the socket, never by the Host header).</summary>
    public static bool ArrivedOn(this HttpContext context, int port) => context.Connection.LocalPort == port;

    /// <summary>The URLs Kestrel would bind from configuration: <c>urls</c>, else the HTTP/HTTPS ports, else its default.</summary>
    private static IEnumerable<string> OwnUrls(IConfiguration configuration)
    {
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        if (!string.IsNullOrWhiteSpace(urls))
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var ports = Ports(configuration[WebHostDefaults.HttpPortsKey], "http")
            .Concat(Ports(configuration[WebHostDefaults.HttpsPortsKey], "https"))
            .ToList();
        return ports.Count > 0 ? ports : ["http://localhost:5000"];
    }

    private static IEnumerable<string> Ports(string? ports, string scheme) =>
        (ports ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{scheme}://*:{p}"));

    private static bool TryParsePort(string url, out int port)
    {
        port = 0;
        // http://host:port with nothing after but an optional "/"; Kestrel's wildcard hosts (+, *) are not URI hosts.
        const string scheme = "http://";
        if (!url.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var authority = url[scheme.Length..].TrimEnd('/');
        var colon = authority.LastIndexOf(':');
        return colon > 0 && !authority.Contains('/', StringComparison.Ordinal) && authority[^1] != ']' &&
            int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) &&
            port is > 0 and <= 65535;
    }
}
