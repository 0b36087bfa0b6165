using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests;

/// <summary>
/// The real silo host (Orleans and admin API) in process: real Redis for membership and, the default provider, for grain
/// state and reminders (<see cref="TestSettings.AzureTableStorage"/> in <see cref="Overrides"/> for Azurite); free Orleans
/// ports, cheap Argon2.
/// </summary>
public sealed class SiloFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789";

    /// <summary>A second key, accepted too (<c>ZeroPath:Admin:NextKey</c>).</summary>
    public const string NextAdminKey = "test-next-admin-key-9876543210";

    /// <summary>Tests say which client address a request comes from in this header (TestServer has no connection).</summary>
    public const string ClientAddressHeader = "X-Test-Client-Address";

    public string? Key { get; init; } = AdminKey;

    public string? NextKey { get; init; }

    /// <summary>Services replaced after the silo's own (e.g. the failed-authentication limiter's clock).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>Settings applied last, over the test defaults.</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>(TestSettings.Silo.Concat(TestCertificates.Settings(ZeroPath.ServiceDefaults.ClusterSecurity.ClusterRole.Silo)))
        {
            ["ZeroPath:Cluster:ClusterId"] = $"test-{Guid.NewGuid():N}",
            ["ZeroPath:Cluster:Redis"] = TestServers.RedisAsync().GetAwaiter().GetResult(),
            ["ZeroPath:Silo:SiloPort"] = FreeTcpPort.Next().ToString(CultureInfo.InvariantCulture),
            ["ZeroPath:Silo:GatewayPort"] = FreeTcpPort.Next().ToString(CultureInfo.InvariantCulture),
            ["ZeroPath:Admin:Key"] = Key,
            ["ZeroPath:Admin:NextKey"] = NextKey,
            // Shadow any key in the environment so the missing-key tests mean what they say.
            ["ZP_ADMIN_KEY"] = "",
            ["ZP_ADMIN_KEY_NEXT"] = "",
        };
        foreach (var (key, value) in Overrides)
        {
            settings[key] = value;
        }

        // UseSetting, not ConfigureAppConfiguration: the host reads silo settings while building, before the latter applies.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IStartupFilter, ClientAddressFromHeader>();
            TestServices?.Invoke(services);
        });
    }
}

/// <summary>
/// Gives each in-process request a client address: the one in <see cref="SiloFactory.ClientAddressHeader"/>, or else a
/// fresh random one where the server gave none (TestServer; Kestrel's real address is kept), so tests that send wrong keys do not lock each other out through a shared address.
/// </summary>
internal sealed class ClientAddressFromHeader : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers[SiloFactory.ClientAddressHeader] is [{ } value])
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(value);
            }
            else
            {
                context.Connection.RemoteIpAddress ??= new IPAddress(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
