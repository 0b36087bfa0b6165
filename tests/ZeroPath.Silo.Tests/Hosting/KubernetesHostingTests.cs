using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using ZeroPath.ServiceDefaults.ClusterSecurity;
using ZeroPath.Silo.Hosting;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Hosting;

/// <summary>
/// Orleans' Kubernetes hosting reads the pod from the process environment, so these tests set it there: they run alone
/// (no other test runs meanwhile) and put every variable back.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentTests
{
    public const string Name = "process environment";
}

[Collection(ProcessEnvironmentTests.Name)]
public class KubernetesHostingTests
{
    private const string PodIp = "10.244.3.17";

    private readonly string podName = $"zp-silo-{Guid.NewGuid():N}"[..30];
    private readonly string clusterId = $"test-{Guid.NewGuid():N}";
    private readonly int siloPort = FreeTcpPort.Next();
    private readonly int gatewayPort = FreeTcpPort.Next();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void In_a_pod_the_silo_is_named_after_it_advertises_its_ip_keeps_our_cluster_ids_and_runs_the_hosting(bool chartSettings)
    {
        using var environment = new PodEnvironment(Pod(orleansIds: chartSettings));
        var settings = Settings(enabled: true);
        settings["ZeroPath:Silo:Kubernetes:DeleteDefunctPods"] = "true";
        settings["ZeroPath:Silo:Kubernetes:MaxAgents"] = "3";
        if (chartSettings)
        {
            // What the chart passes besides the pod's variables: the same name and IP, listening on every interface.
            settings["ZeroPath:Silo:SiloName"] = podName;
            settings["ZeroPath:Silo:AdvertisedAddress"] = PodIp;
            settings["ZeroPath:Silo:ListenOnAnyHostAddress"] = "true";
        }
        else
        {
            // appsettings.json's local default, which the pod's IP replaces.
            settings["ZeroPath:Silo:AdvertisedAddress"] = "127.0.0.1";
        }

        var builder = Builder(settings);
        using var app = builder.Build();

        Assert.Equal(podName, app.Services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Parse(PodIp), endpoints.AdvertisedIPAddress);
        Assert.Equal((siloPort, gatewayPort), (endpoints.SiloPort, endpoints.GatewayPort));
        // Listening follows ListenOnAnyHostAddress, not the hosting's own default (every interface).
        var listening = chartSettings ? IPAddress.Any : IPAddress.Parse(PodIp);
        Assert.Equal(new IPEndPoint(listening, siloPort), endpoints.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(listening, gatewayPort), endpoints.GatewayListeningEndpoint);
        var cluster = app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal((clusterId, "zeropath"), (cluster.ClusterId, cluster.ServiceId));

        Assert.Contains(builder.Services, d => d.ImplementationType == typeof(KubernetesClusterAgent));
        var hosting = app.Services.GetRequiredService<IOptions<KubernetesHostingOptions>>().Value;
        Assert.True(hosting.DeleteDefunctSiloPods);
        Assert.Equal(3, hosting.MaxAgents);
    }

    [Fact]
    public void Switched_off_the_hosting_is_absent_even_in_a_pod_and_our_settings_name_the_silo()
    {
        using var environment = new PodEnvironment(Pod(orleansIds: true));
        var settings = Settings(enabled: false);
        settings["ZeroPath:Silo:SiloName"] = "by-settings";

        var builder = Builder(settings);
        using var app = builder.Build();

        Assert.DoesNotContain(builder.Services, d => d.ImplementationType == typeof(KubernetesClusterAgent));
        Assert.Empty(app.Services.GetServices<IValidateOptions<KubernetesHostingOptions>>());
        Assert.Equal("by-settings", app.Services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.Null(endpoints.SiloListeningEndpoint);
    }

    [Theory]
    [InlineData("POD_NAME, POD_NAMESPACE, POD_IP, KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT")]
    [InlineData("KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT")]
    [InlineData("POD_IP")]
    public void Switched_on_outside_a_pod_start_up_stops_naming_the_missing_variables(string variables)
    {
        var missing = variables.Split(", ");
        var pod = Pod(orleansIds: false);
        foreach (var name in missing)
        {
            pod[name] = null;
        }

        using var environment = new PodEnvironment(pod);

        var error = Assert.Throws<InvalidOperationException>(() => Builder(Settings(enabled: true)));

        Assert.StartsWith("Invalid configuration:", error.Message, StringComparison.Ordinal);
        Assert.Contains("ZeroPath:Silo:Kubernetes:Enabled (environment variable ZeroPath__Silo__Kubernetes__Enabled) is true, but this process does not run in a Kubernetes pod", error.Message, StringComparison.Ordinal);
        Assert.Contains($"the environment variables {variables} are not set", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ZeroPath:Silo:SiloName", "another-silo", "ZeroPath__Silo__SiloName", "POD_NAME")]
    [InlineData("ZeroPath:Silo:AdvertisedAddress", "10.9.9.9", "ZeroPath__Silo__AdvertisedAddress", "POD_IP")]
    [InlineData("ZeroPath:Cluster:ServiceId", "another-service", "ZeroPath__Cluster__ServiceId", "ORLEANS_SERVICE_ID")]
    [InlineData("ZeroPath:Cluster:ClusterId", "another-cluster", "ZeroPath__Cluster__ClusterId", "ORLEANS_CLUSTER_ID")]
    public void Settings_that_disagree_with_the_pod_stop_start_up_naming_both(string key, string value, string environmentVariable, string podVariable)
    {
        using var environment = new PodEnvironment(Pod(orleansIds: true));
        var settings = Settings(enabled: true);
        settings[key] = value;

        var error = Assert.Throws<InvalidOperationException>(() => Builder(settings));

        Assert.StartsWith("Invalid configuration:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{key} (environment variable {environmentVariable}) is '{value}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(podVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pod_ip_that_is_not_an_address_stops_start_up()
    {
        var pod = Pod(orleansIds: false);
        pod["POD_IP"] = "not-an-ip";
        using var environment = new PodEnvironment(pod);

        var error = Assert.Throws<InvalidOperationException>(() => Builder(Settings(enabled: true)));

        Assert.Contains("POD_IP is not an IP address (was 'not-an-ip')", error.Message, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Pod(bool orleansIds) => new()
    {
        ["POD_NAME"] = podName,
        ["POD_NAMESPACE"] = "tokens",
        ["POD_IP"] = PodIp,
        ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1",
        ["KUBERNETES_SERVICE_PORT"] = "443",
        ["ORLEANS_SERVICE_ID"] = orleansIds ? "zeropath" : null,
        ["ORLEANS_CLUSTER_ID"] = orleansIds ? clusterId : null,
    };

    private Dictionary<string, string?> Settings(bool enabled) =>
        new(TestSettings.Silo.Concat(TestCertificates.Settings(ClusterRole.Silo)))
        {
            ["ZeroPath:Cluster:ClusterId"] = clusterId,
            ["ZeroPath:Cluster:ServiceId"] = "zeropath",
            // Never connected: the host is built, not started.
            ["ZeroPath:Cluster:Redis"] = "127.0.0.1:1",
            ["ZeroPath:Silo:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["ZeroPath:Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["ZeroPath:Silo:Kubernetes:Enabled"] = enabled ? "true" : "false",
        };

    /// <summary>The silo's own hosting set-up (what Program calls), on a builder that is built but never started.</summary>
    private static WebApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddTokenSilo();
        return builder;
    }

    /// <summary>Sets (null: removes) process environment variables, restoring the previous values on dispose.</summary>
    private sealed class PodEnvironment : IDisposable
    {
        private readonly Dictionary<string, string?> previous = [];

        public PodEnvironment(IReadOnlyDictionary<string, string?> variables)
        {
            foreach (var (name, value) in variables)
            {
                previous[name] = Environment.GetEnvironmentVariable(name);
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        public void Dispose()
        {
            foreach (var (name, value) in previous)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
