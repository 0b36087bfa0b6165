using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace ZeroPath.Gateway.Tests;

/// <summary>The real gateway host in process, pointed at a given cluster and upstreams.</summary>
public sealed class GatewayFactory(IEnumerable<KeyValuePair<string, string?>> settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting, not ConfigureAppConfiguration: the host reads cluster settings while building, before the latter applies.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    /// <summary>A gateway on <paramref name="silo"/>'s cluster, proxying to the given upstreams.</summary>
    public static GatewayFactory For(ZeroPath.Testing.TestSilo silo, Uri v1, Uri v2) => new(
    [
        .. silo.ClientSettings(),
        Setting("ZeroPath:Upstreams:V1", v1),
        Setting("ZeroPath:Upstreams:V2", v2),
    ]);

    public static KeyValuePair<string, string?> Setting(string key, object value) =>
        new(key, Convert.ToString(value, CultureInfo.InvariantCulture));
}
