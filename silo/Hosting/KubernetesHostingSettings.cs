using System.Net;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Hosting;

/// <summary>
/// Orleans' own Kubernetes hosting (<c>UseKubernetesHosting</c>), section <c>ZeroPath:Silo:Kubernetes</c>. Membership stays
/// on Redis: the hosting labels this silo's pod with its service and cluster ids, watches the cluster's pods, and declares
/// a silo dead in membership when its pod is gone.
/// </summary>
public sealed class KubernetesHostingSettings
{
    public const string SectionName = "ZeroPath:Silo:Kubernetes";

    /// <summary>The variables the hosting and the Kubernetes client read, which a pod has and nothing else does.</summary>
    public static readonly string[] PodVariables = ["POD_NAME", "POD_NAMESPACE", "POD_IP", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"];

    public bool Enabled { get; set; }

    /// <summary>Delete the pods of silos that membership declared dead (needs <c>delete</c> on pods in the Role).</summary>
    public bool DeleteDefunctPods { get; set; }

    /// <summary>How many silos of the cluster watch the Kubernetes API (fewer: less load on the API server).</summary>
    public int MaxAgents { get; set; } = 2;

    /// <summary>
    /// With the hosting on: requires the pod's variables (the chart sets them from the downward API; the Kubernetes client
    /// needs <c>KUBERNETES_SERVICE_*</c>), and checks that our own silo name, advertised address and cluster ids agree
    /// with the pod's, because the hosting would otherwise silently replace them. The pod's identity wins.
    /// </summary>
    /// <returns>The pod this silo runs in (read from the process environment, as the hosting reads it), or null when the
    /// hosting is off or a problem was recorded.</returns>
    public KubernetesPod? Validate(StartupSettings settings, SiloHostOptions host, ClusterConnectionOptions cluster)
    {
        settings.RequireRange(SectionName, nameof(MaxAgents), MaxAgents, 1, 1000);
        if (!Enabled)
        {
            return null;
        }

        var missing = PodVariables.Where(name => string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(name))).ToArray();
        if (missing.Length > 0)
        {
            settings.Fail(SectionName, nameof(Enabled), $"is true, but this process does not run in a Kubernetes pod: the environment variables {string.Join(", ", missing)} are not set (the Helm chart sets POD_NAME, POD_NAMESPACE and POD_IP from the downward API; Kubernetes sets KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT). Set {SectionName}:{nameof(Enabled)} to false outside Kubernetes.");
            return null;
        }

        var name = Environment.GetEnvironmentVariable("POD_NAME")!;
        var ip = Environment.GetEnvironmentVariable("POD_IP")!;
        if (!IPAddress.TryParse(ip, out var address))
        {
            settings.Fail(SectionName, nameof(Enabled), $"is true, but the environment variable POD_IP is not an IP address (was '{ip}').");
            return null;
        }

        // Explicit settings must name the same silo; an unset name or address simply takes the pod's.
        if (host.SiloName.Length > 0 && !string.Equals(host.SiloName, name, StringComparison.Ordinal))
        {
            settings.Fail(SiloHostOptions.SectionName, nameof(SiloHostOptions.SiloName), $"is '{host.SiloName}', but with Kubernetes hosting the silo is named after its pod (POD_NAME '{name}'): set it to the pod name or leave it empty.");
        }

        // A loopback address (appsettings.json's local default) counts as unset: no pod advertises one.
        if (IPAddress.TryParse(host.AdvertisedAddress, out var advertised) && !IPAddress.IsLoopback(advertised) && !advertised.Equals(address))
        {
            settings.Fail(SiloHostOptions.SectionName, nameof(SiloHostOptions.AdvertisedAddress), $"is '{host.AdvertisedAddress}', but with Kubernetes hosting the silo advertises its pod IP (POD_IP '{ip}'): set it to the pod IP or leave it at the loopback default.");
        }

        // The hosting takes ORLEANS_SERVICE_ID / ORLEANS_CLUSTER_ID over our settings; gateways only know ours.
        RequireSame(settings, "ORLEANS_SERVICE_ID", nameof(ClusterConnectionOptions.ServiceId), cluster.ServiceId);
        RequireSame(settings, "ORLEANS_CLUSTER_ID", nameof(ClusterConnectionOptions.ClusterId), cluster.ClusterId);

        return new KubernetesPod(name, Environment.GetEnvironmentVariable("POD_NAMESPACE")!, address);
    }

    private static void RequireSame(StartupSettings settings, string variable, string key, string ours)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value) && !string.Equals(value, ours, StringComparison.Ordinal))
        {
            settings.Fail(ClusterConnectionOptions.SectionName, key, $"is '{ours}', but the environment variable {variable}, which Orleans' Kubernetes hosting applies, is '{value}': they must be equal, or gateways look for another cluster.");
        }
    }
}

/// <summary>This silo's pod: its name, namespace and IP (downward API).</summary>
public sealed record KubernetesPod(string Name, string Namespace, IPAddress Address);
