using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZeroPath.Gateway.Tests;

/// <summary>The real gateway host in process, pointed at a given cluster and upstreams.</summary>
public sealed class GatewayFactory(IEnumerable<KeyValuePair<string, string?>> settings, TimeProvider? clock = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(clock));
        }

        // UseSetting, not ConfigureAppConfiguration: the host reads cluster settings while building, before the latter applies.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    /// <summary>A gateway on <paramref name="silo"/>'s cluster, proxying to the given upstreams, judging expiry by the silo's fake clock.</summary>
    public static GatewayFactory For(ZeroPath.Testing.TestSilo silo, Uri v1, Uri v2, params KeyValuePair<string, string?>[] extra) => new(
        [
            .. silo.ClientSettings(),
            Setting("ZeroPath:Upstreams:V1", v1),
            Setting("ZeroPath:Upstreams:V2", v2),
            .. extra,
        ],
        new ZeroPath.Testing.FakeWallClock(silo.Clock));

    public static KeyValuePair<string, string?> Setting(string key, object value) =>
        new(key, Convert.ToString(value, CultureInfo.InvariantCulture));
}
