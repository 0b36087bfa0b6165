using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests;

/// <summary>The real silo host (Orleans and admin API) in process: real Redis and Azurite, free Orleans ports, cheap Argon2.</summary>
public sealed class SiloFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789";

    public string? Key { get; init; } = AdminKey;

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
            ["ZeroPath:Storage:ConnectionString"] = TestServers.StorageAsync().GetAwaiter().GetResult(),
            ["ZeroPath:Silo:SiloPort"] = FreeTcpPort.Next().ToString(CultureInfo.InvariantCulture),
            ["ZeroPath:Silo:GatewayPort"] = FreeTcpPort.Next().ToString(CultureInfo.InvariantCulture),
            ["ZeroPath:Admin:Key"] = Key,
            // Shadow any key in the environment so the missing-key tests mean what they say.
            ["ZP_ADMIN_KEY"] = "",
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
    }
}
