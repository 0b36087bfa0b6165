using System.Diagnostics;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Deploy;

/// <summary>
/// deploy/helm/zeropath-orleans, linted and rendered by the Helm binary ./test.sh installs (ZP_TEST_HELM), with the
/// default values and values-production.yaml; the rendered objects are read back and checked.
/// </summary>
public class HelmChartTests
{
    private const string ChartFolder = "deploy/helm/zeropath-orleans";
    private static readonly string[] Production = ["-f", "values-production.yaml"];

    public static TheoryData<string> ValueSets => new() { "default", "production" };

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void The_chart_lints(string values)
    {
        var (code, output) = Helm(["lint", "--strict", ".", .. Extra(values)]);
        Assert.True(code == 0, output);
        Assert.Contains("0 chart(s) failed", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_rendered_object_is_valid_against_the_kubernetes_1_34_api_schemas(string values)
    {
        var (code, output) = Helm(["template", "zp", ".", "--namespace", "tokens", .. Extra(values)], stdoutOnly: true);
        Assert.True(code == 0, output);
        var (valid, report) = Validate(output);
        Assert.True(valid, report);
        Assert.Contains(values == "production" ? "18 objects, 0 invalid" : "13 objects, 0 invalid", report, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schema_validator_refuses_a_wrongly_typed_field_and_an_unknown_kind()
    {
        var (code, output) = Helm(["template", "zp", "."], stdoutOnly: true);
        Assert.True(code == 0, output);
        var (valid, report) = Validate(output.Replace("containerPort: 8080", "containerPort: \"http\"", StringComparison.Ordinal));
        Assert.False(valid, report);
        Assert.Contains("containerPort must be integer", report, StringComparison.Ordinal);
        (valid, report) = Validate("apiVersion: v1\nkind: Servize\nmetadata:\n  name: x\n");
        Assert.False(valid, report);
        Assert.Contains("unknown kind: v1/Servize x", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_values_render_the_workloads_services_budgets_policies_and_rbac_without_optional_parts()
    {
        var kinds = Render([]).Select(o => $"{Text(o["kind"])}/{Text(o["metadata"]!["name"])}").Order(StringComparer.Ordinal).ToList();
        string[] expected =
        [
            "Deployment/zp-zeropath-orleans-gateway", "Deployment/zp-zeropath-orleans-silo",
            "NetworkPolicy/zp-zeropath-orleans-gateway", "NetworkPolicy/zp-zeropath-orleans-silo",
            "PodDisruptionBudget/zp-zeropath-orleans-gateway", "PodDisruptionBudget/zp-zeropath-orleans-silo",
            "Role/zp-zeropath-orleans-silo", "RoleBinding/zp-zeropath-orleans-silo",
            "Service/zp-zeropath-orleans-admin", "Service/zp-zeropath-orleans-gateway",
            "Service/zp-zeropath-orleans-gateway-metrics", "Service/zp-zeropath-orleans-silo-metrics",
            "ServiceAccount/zp-zeropath-orleans",
        ];
        Assert.Equal(expected, kinds);
    }

    [Fact]
    public void Production_values_add_ingress_autoscaler_and_cert_manager_certificates_with_the_role_ou()
    {
        var objects = Render(Production);
        Assert.Single(objects, o => Text(o["kind"]) == "Ingress");
        var hpa = Assert.Single(objects, o => Text(o["kind"]) == "HorizontalPodAutoscaler");
        Assert.Equal("zp-zeropath-orleans-gateway", Text(hpa["spec"]!["scaleTargetRef"]!["name"]));
        Assert.Null(Workload(objects, "gateway")["spec"]!["replicas"]);
        var ous = objects.Where(o => Text(o["kind"]) == "Certificate")
            .Select(o => Text(o["spec"]!["subject"]!["organizationalUnits"]![0])).Order(StringComparer.Ordinal);
        Assert.Equal(["zeropath-gateway", "zeropath-silo"], ous);
        var gatewayCertificate = Assert.Single(objects, o => Text(o["kind"]) == "Certificate" && Text(o["metadata"]!["name"]).EndsWith("-gateway", StringComparison.Ordinal));
        Assert.Equal(["digital signature", "client auth"], Array(gatewayCertificate["spec"]!["usages"]).Select(Text));
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_container_runs_non_root_on_a_read_only_root_filesystem_with_tmp_on_an_empty_dir(string values)
    {
        foreach (var workload in Render(Extra(values)).Where(o => Text(o["kind"]) == "Deployment"))
        {
            var pod = workload["spec"]!["template"]!["spec"]!;
            Assert.Equal("true", Text(pod["securityContext"]!["runAsNonRoot"]));
            var containers = Array(pod["containers"]).Concat(Array(pod["initContainers"])).ToList();
            Assert.NotEmpty(containers);
            foreach (var container in containers)
            {
                var security = container["securityContext"]!;
                Assert.Equal("true", Text(security["runAsNonRoot"]));
                Assert.Equal("true", Text(security["readOnlyRootFilesystem"]));
                Assert.Equal("false", Text(security["allowPrivilegeEscalation"]));
                Assert.Equal("ALL", Text(security["capabilities"]!["drop"]![0]));
                Assert.Contains(Array(container["volumeMounts"]), m => Text(m["mountPath"]) == "/tmp" && Text(m["name"]) == "tmp");
                Assert.NotNull(container["resources"]!["requests"]);
            }

            Assert.Contains(Array(pod["volumes"]), v => Text(v["name"]) == "tmp" && v["emptyDir"] is not null);
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void No_secret_is_rendered_every_key_and_password_comes_from_an_existing_secret(string values)
    {
        var objects = Render(Extra(values));
        Assert.DoesNotContain(objects, o => Text(o["kind"]) is "Secret" or "ConfigMap");
        string[] secretSettings = ["CallKey", "Password", "__Keys__", "ZP_ADMIN_KEY", "ConnectionString", "HEADERS"];
        var secretVariables = 0;
        foreach (var workload in objects.Where(o => Text(o["kind"]) == "Deployment"))
        {
            foreach (var variable in Array(workload["spec"]!["template"]!["spec"]!["containers"]).SelectMany(c => Array(c["env"])))
            {
                var name = Text(variable["name"]);
                if (secretSettings.Any(s => name.Contains(s, StringComparison.Ordinal)))
                {
                    secretVariables++;
                    Assert.True(variable["value"] is null, $"{name} is given a value in the render");
                    Assert.NotNull(variable["valueFrom"]!["secretKeyRef"]!["name"]);
                }
            }
        }

        // Silo: call key, admin key, format key; gateway: format key (and more with the production values).
        Assert.True(secretVariables >= 4, $"only {secretVariables} secret variables");
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Silos_roll_without_dropping_below_their_count_and_advertise_the_pod_ip(string values)
    {
        var objects = Render(Extra(values));
        var silo = Workload(objects, "silo");
        var spec = silo["spec"]!;
        Assert.Equal("RollingUpdate", Text(spec["strategy"]!["type"]));
        Assert.Equal("0", Text(spec["strategy"]!["rollingUpdate"]!["maxUnavailable"]));
        var pod = spec["template"]!["spec"]!;
        var env = Env(pod["containers"]![0]!);
        Assert.Equal("metadata.name", Text(env["POD_NAME"]!["valueFrom"]!["fieldRef"]!["fieldPath"]));
        Assert.Equal("metadata.namespace", Text(env["POD_NAMESPACE"]!["valueFrom"]!["fieldRef"]!["fieldPath"]));
        Assert.Equal("status.podIP", Text(env["POD_IP"]!["valueFrom"]!["fieldRef"]!["fieldPath"]));
        Assert.Equal("$(POD_IP)", Text(env["ZeroPath__Silo__AdvertisedAddress"]!["value"]));
        Assert.Equal("$(POD_NAME)", Text(env["ZeroPath__Silo__SiloName"]!["value"]));
        Assert.Equal("true", Text(env["ZeroPath__Silo__ListenOnAnyHostAddress"]!["value"]));
        var shutdown = int.Parse(Text(env["DOTNET_SHUTDOWNTIMEOUTSECONDS"]!["value"]), System.Globalization.CultureInfo.InvariantCulture);
        var grace = int.Parse(Text(pod["terminationGracePeriodSeconds"]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(shutdown > 0 && shutdown < grace, $"shutdown {shutdown}s must end within the {grace}s grace period");

        var budget = Assert.Single(objects, o => Text(o["kind"]) == "PodDisruptionBudget" && Text(o["metadata"]!["name"]).EndsWith("-silo", StringComparison.Ordinal));
        Assert.Equal("1", Text(budget["spec"]!["maxUnavailable"]));
        var gateway = Workload(objects, "gateway");
        Assert.Equal("0", Text(gateway["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]));

        // A terminating gateway keeps serving while endpoints forget it, then drains, all inside its grace period.
        var gatewayPod = gateway["spec"]!["template"]!["spec"]!;
        var gatewayContainer = gatewayPod["containers"]![0]!;
        var sleep = int.Parse(Text(gatewayContainer["lifecycle"]!["preStop"]!["sleep"]!["seconds"]), System.Globalization.CultureInfo.InvariantCulture);
        var drain = int.Parse(Text(Env(gatewayContainer)["DOTNET_SHUTDOWNTIMEOUTSECONDS"]!["value"]), System.Globalization.CultureInfo.InvariantCulture);
        var gatewayGrace = int.Parse(Text(gatewayPod["terminationGracePeriodSeconds"]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(sleep > 0 && sleep + drain < gatewayGrace, $"pre-stop {sleep}s + drain {drain}s must end within the {gatewayGrace}s grace period");
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Liveness_never_runs_a_dependency_check_readiness_does(string values)
    {
        foreach (var component in new[] { "silo", "gateway" })
        {
            var container = Workload(Render(Extra(values)), component)["spec"]!["template"]!["spec"]!["containers"]![0]!;
            Assert.Equal("/healthz", Text(container["livenessProbe"]!["httpGet"]!["path"]));
            Assert.Equal("/healthz", Text(container["startupProbe"]!["httpGet"]!["path"]));
            Assert.Equal("/readyz", Text(container["readinessProbe"]!["httpGet"]!["path"]));
        }
    }

    [Fact]
    public void The_admin_api_is_a_cluster_ip_service_on_the_silo_admin_port()
    {
        var admin = Assert.Single(Render([]), o => Text(o["kind"]) == "Service" && Text(o["metadata"]!["name"]).EndsWith("-admin", StringComparison.Ordinal));
        Assert.Equal("ClusterIP", Text(admin["spec"]!["type"]));
        Assert.Equal("8081", Text(admin["spec"]!["ports"]![0]!["port"]));
        Assert.Equal("silo", Text(admin["spec"]!["selector"]!["app.kubernetes.io/component"]));
    }

    [Theory]
    [InlineData(false, new[] { "get", "list", "watch", "patch" })]
    [InlineData(true, new[] { "get", "list", "watch", "patch", "delete" })]
    public void Silo_kubernetes_hosting_is_on_with_pod_verbs_and_delete_only_for_defunct_pod_deletion(bool deleteDefunctPods, string[] verbs)
    {
        var objects = Render(["--set", $"silo.kubernetesHosting.deleteDefunctPods={(deleteDefunctPods ? "true" : "false")}"]);
        var pod = Workload(objects, "silo")["spec"]!["template"]!["spec"]!;
        var env = Env(pod["containers"]![0]!);
        Assert.Equal("true", Text(env["ZeroPath__Silo__Kubernetes__Enabled"]!["value"]));
        Assert.Equal(deleteDefunctPods ? "true" : "false", Text(env["ZeroPath__Silo__Kubernetes__DeleteDefunctPods"]!["value"]));
        Assert.Equal("2", Text(env["ZeroPath__Silo__Kubernetes__MaxAgents"]!["value"]));
        // The hosting applies these over our ids: the chart passes the same values under both names.
        Assert.Equal(Text(env["ZeroPath__Cluster__ServiceId"]!["value"]), Text(env["ORLEANS_SERVICE_ID"]!["value"]));
        Assert.Equal(Text(env["ZeroPath__Cluster__ClusterId"]!["value"]), Text(env["ORLEANS_CLUSTER_ID"]!["value"]));
        Assert.Equal("true", Text(pod["automountServiceAccountToken"]));
        var role = Assert.Single(objects, o => Text(o["kind"]) == "Role");
        var rule = Assert.Single(Array(role["rules"]));
        Assert.Equal(["pods"], Array(rule["resources"]).Select(Text));
        Assert.Equal(verbs, Array(rule["verbs"]).Select(Text));
        var binding = Assert.Single(objects, o => Text(o["kind"]) == "RoleBinding");
        Assert.Equal(Text(Workload(objects, "silo")["spec"]!["template"]!["spec"]!["serviceAccountName"]), Text(binding["subjects"]![0]!["name"]));
        Assert.Equal("false", Text(Workload(objects, "gateway")["spec"]!["template"]!["spec"]!["automountServiceAccountToken"]));
    }

    [Fact]
    public void Silo_kubernetes_hosting_switched_off_renders_no_role_and_mounts_no_token()
    {
        var objects = Render(["--set", "silo.kubernetesHosting.enabled=false", "--set", "silo.kubernetesHosting.deleteDefunctPods=true"]);
        Assert.DoesNotContain(objects, o => Text(o["kind"]) is "Role" or "RoleBinding");
        var pod = Workload(objects, "silo")["spec"]!["template"]!["spec"]!;
        var env = Env(pod["containers"]![0]!);
        Assert.Equal("false", Text(env["ZeroPath__Silo__Kubernetes__Enabled"]!["value"]));
        Assert.False(env.ContainsKey("ZeroPath__Silo__Kubernetes__DeleteDefunctPods"));
        Assert.Equal("false", Text(pod["automountServiceAccountToken"]));
    }

    [Fact]
    public void Network_policies_open_the_silo_port_to_silos_the_gateway_port_to_gateways_and_admin_to_allowed_namespaces()
    {
        var policy = Assert.Single(Render(Production), o => Text(o["kind"]) == "NetworkPolicy" && Text(o["metadata"]!["name"]).EndsWith("-silo", StringComparison.Ordinal));
        var rules = Array(policy["spec"]!["ingress"]).ToDictionary(r => Text(r["ports"]![0]!["port"]));
        Assert.Equal(["11111", "30000", "8081", "9464"], rules.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("silo", Text(Assert.Single(Array(rules["11111"]["from"]))["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]));
        Assert.Equal("gateway", Text(Assert.Single(Array(rules["30000"]["from"]))["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]));
        var admin = Array(rules["8081"]["from"]).ToList();
        Assert.Equal(2, admin.Count);
        Assert.Empty(admin[0]["podSelector"]!.AsObject());
        Assert.Equal("ops", Text(admin[1]["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]));
    }

    [Fact]
    public void Metrics_are_served_on_their_own_port_of_both_workloads_and_announced_to_prometheus()
    {
        var objects = Render([]);
        foreach (var component in new[] { "silo", "gateway" })
        {
            var pod = Workload(objects, component)["spec"]!["template"]!;
            var container = pod["spec"]!["containers"]![0]!;
            Assert.Contains(Array(container["ports"]), p => Text(p["name"]) == "metrics" && Text(p["containerPort"]) == "9464");
            var env = Env(container);
            Assert.Equal("http://0.0.0.0:9464", Text(env["ZeroPath__Telemetry__Prometheus__Listen"]!["value"]));
            Assert.DoesNotContain(env.Keys, k => k.StartsWith("OTEL_", StringComparison.Ordinal));
            var annotations = pod["metadata"]!["annotations"]!;
            Assert.Equal("true", Text(annotations["prometheus.io/scrape"]));
            Assert.Equal("9464", Text(annotations["prometheus.io/port"]));
            Assert.Equal("/metrics", Text(annotations["prometheus.io/path"]));

            // A headless Service per component carries the port; the gateway's public Service does not.
            var service = Assert.Single(objects, o => Text(o["kind"]) == "Service" && Text(o["metadata"]!["name"]) == $"zp-zeropath-orleans-{component}-metrics");
            Assert.Equal("None", Text(service["spec"]!["clusterIP"]));
            Assert.Equal(component, Text(service["spec"]!["selector"]!["app.kubernetes.io/component"]));
            var port = Assert.Single(Array(service["spec"]!["ports"]));
            Assert.Equal(("metrics", "9464", "metrics"), (Text(port["name"]), Text(port["port"]), Text(port["targetPort"])));

            // NetworkPolicy: the metrics port from this namespace only, by default.
            var policy = Assert.Single(objects, o => Text(o["kind"]) == "NetworkPolicy" && Text(o["metadata"]!["name"]).EndsWith($"-{component}", StringComparison.Ordinal));
            var rule = Assert.Single(Array(policy["spec"]!["ingress"]), r => Text(r["ports"]![0]!["port"]) == "9464");
            Assert.Empty(Assert.Single(Array(rule["from"]))["podSelector"]!.AsObject());
        }

        var gateway = Assert.Single(objects, o => Text(o["kind"]) == "Service" && Text(o["metadata"]!["name"]) == "zp-zeropath-orleans-gateway");
        Assert.DoesNotContain(Array(gateway["spec"]!["ports"]), p => Text(p["name"]) == "metrics");
        Assert.DoesNotContain(objects, o => Text(o["kind"]) == "ServiceMonitor");
    }

    [Fact]
    public void Metrics_switched_off_render_no_port_listener_annotation_service_or_rule()
    {
        var objects = Render(["--set", "metrics.prometheus.enabled=false", "--set", "metrics.serviceMonitor.enabled=true", "--set", "silo.podAnnotations.team=tokens"]);
        foreach (var component in new[] { "silo", "gateway" })
        {
            var pod = Workload(objects, component)["spec"]!["template"]!;
            var container = pod["spec"]!["containers"]![0]!;
            Assert.DoesNotContain(Array(container["ports"]), p => Text(p["name"]) == "metrics");
            Assert.False(Env(container).ContainsKey("ZeroPath__Telemetry__Prometheus__Listen"));
            Assert.Null(pod["metadata"]!["annotations"]?["prometheus.io/scrape"]);
        }

        Assert.Equal("tokens", Text(Workload(objects, "silo")["spec"]!["template"]!["metadata"]!["annotations"]!["team"]));
        Assert.DoesNotContain(objects, o => Text(o["kind"]) == "ServiceMonitor" || Text(o["metadata"]!["name"]).EndsWith("-metrics", StringComparison.Ordinal));
        Assert.DoesNotContain(
            objects.Where(o => Text(o["kind"]) == "NetworkPolicy").SelectMany(o => Array(o["spec"]!["ingress"])),
            r => Text(r["ports"]![0]!["port"]) == "9464");
    }

    [Fact]
    public void The_service_monitor_scrapes_both_metrics_services_with_the_chosen_labels_and_interval()
    {
        var objects = Render([
            "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.interval=15s",
            "--set", "metrics.serviceMonitor.labels.release=kube-prometheus-stack", "--set", "metrics.prometheus.port=9100",
            "--set", "metrics.allowedNamespaces={monitoring}", "--set-string", "silo.podAnnotations.prometheus\\.io/scrape=false"]);
        var monitor = Assert.Single(objects, o => Text(o["kind"]) == "ServiceMonitor");
        Assert.Equal("monitoring.coreos.com/v1", Text(monitor["apiVersion"]));
        Assert.Equal("kube-prometheus-stack", Text(monitor["metadata"]!["labels"]!["release"]));
        Assert.Equal(["tokens"], Array(monitor["spec"]!["namespaceSelector"]!["matchNames"]).Select(Text));
        var endpoint = Assert.Single(Array(monitor["spec"]!["endpoints"]));
        Assert.Equal(("metrics", "/metrics", "15s"), (Text(endpoint["port"]), Text(endpoint["path"]), Text(endpoint["interval"])));

        // The monitor's selector picks exactly the two metrics Services.
        var selector = monitor["spec"]!["selector"]!["matchLabels"]!.AsObject();
        var selected = objects.Where(o => Text(o["kind"]) == "Service" && selector.All(l => Text(o["metadata"]!["labels"]![l.Key]) == Text(l.Value)))
            .Select(o => Text(o["metadata"]!["name"])).Order(StringComparer.Ordinal);
        Assert.Equal(["zp-zeropath-orleans-gateway-metrics", "zp-zeropath-orleans-silo-metrics"], selected);
        Assert.All(objects.Where(o => Text(o["kind"]) == "Service" && Text(o["metadata"]!["name"]).EndsWith("-metrics", StringComparison.Ordinal)), s => Assert.Equal("9100", Text(s["spec"]!["ports"]![0]!["port"])));

        // The component's own annotations win over the chart's; the port follows the value everywhere.
        var silo = Workload(objects, "silo")["spec"]!["template"]!;
        Assert.Equal("false", Text(silo["metadata"]!["annotations"]!["prometheus.io/scrape"]));
        Assert.Equal("9100", Text(silo["metadata"]!["annotations"]!["prometheus.io/port"]));
        Assert.Equal("http://0.0.0.0:9100", Text(Env(silo["spec"]!["containers"]![0]!)["ZeroPath__Telemetry__Prometheus__Listen"]!["value"]));
        var policy = Assert.Single(objects, o => Text(o["kind"]) == "NetworkPolicy" && Text(o["metadata"]!["name"]).EndsWith("-gateway", StringComparison.Ordinal));
        var rule = Assert.Single(Array(policy["spec"]!["ingress"]), r => Text(r["ports"]![0]!["port"]) == "9100");
        Assert.Equal("monitoring", Text(Array(rule["from"]).ElementAt(1)["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]));

        var (code, output) = Helm(["template", "zp", ".", "--namespace", "tokens", "--set", "metrics.serviceMonitor.enabled=true"], stdoutOnly: true);
        Assert.True(code == 0, output);
        var (valid, report) = Validate(output);
        Assert.True(valid, report);
        Assert.Contains("valid: monitoring.coreos.com/v1/ServiceMonitor", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Otlp_settings_become_the_standard_variables_and_the_headers_come_only_from_a_secret()
    {
        var objects = Render([
            "--set", "otel.endpoint=https://otlp.example.com:4318", "--set", "otel.protocol=http/protobuf",
            "--set", "otel.headersSecret.name=otlp-headers", "--set", "otel.headersSecret.key=h",
            "--set", "otel.resourceAttributes.deployment\\.environment\\.name=staging", "--set", "otel.resourceAttributes.team=tokens"]);
        foreach (var component in new[] { "silo", "gateway" })
        {
            var env = Env(Workload(objects, component)["spec"]!["template"]!["spec"]!["containers"]![0]!);
            Assert.Equal("https://otlp.example.com:4318", Text(env["OTEL_EXPORTER_OTLP_ENDPOINT"]!["value"]));
            Assert.Equal("http/protobuf", Text(env["OTEL_EXPORTER_OTLP_PROTOCOL"]!["value"]));
            Assert.Equal("deployment.environment.name=staging,team=tokens", Text(env["OTEL_RESOURCE_ATTRIBUTES"]!["value"]));
            var headers = env["OTEL_EXPORTER_OTLP_HEADERS"]!;
            Assert.Null(headers["value"]);
            Assert.Equal(("otlp-headers", "h"), (Text(headers["valueFrom"]!["secretKeyRef"]!["name"]), Text(headers["valueFrom"]!["secretKeyRef"]!["key"])));
        }

        // Header values have no place in the values, and an endpoint carries no credentials.
        AssertRefused("otel.headers=api-key=hunter2hunter2", "headers");
        AssertRefused("otel.endpoint=https://user:hunter2hunter2@otlp.example.com", "/otel/endpoint");
        AssertRefused("otel.protocol=http/json", "/otel/protocol");
    }

    [Fact]
    public void The_install_notes_say_how_to_reach_the_admin_api_without_a_key_on_a_command_line_and_where_metrics_are()
    {
        // A client-side dry run renders NOTES.txt as an install prints it, without a cluster.
        var (code, output) = Helm(["install", "zp", ".", "--namespace", "tokens", "--dry-run=client"], stdoutOnly: true);
        Assert.True(code == 0, output);
        var notes = output[output.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.Contains("kubectl -n tokens port-forward svc/zp-zeropath-orleans-admin 8081:8081", notes, StringComparison.Ordinal);
        Assert.Contains("export ZP_ADMIN_KEY=\"$(kubectl -n tokens get secret", notes, StringComparison.Ordinal);
        Assert.Contains("zp-zeropath-orleans-silo-metrics and zp-zeropath-orleans-gateway-metrics", notes, StringComparison.Ordinal);
        Assert.DoesNotContain("OTLP", notes, StringComparison.Ordinal);

        (code, output) = Helm(["install", "zp", ".", "--namespace", "tokens", "--dry-run=client", "--set", "metrics.prometheus.enabled=false", "--set", "otel.endpoint=http://collector:4317"], stdoutOnly: true);
        Assert.True(code == 0, output);
        notes = output[output.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.DoesNotContain("/metrics only", notes, StringComparison.Ordinal);
        Assert.Contains("over OTLP to http://collector:4317", notes, StringComparison.Ordinal);
    }

    [Fact]
    public void The_webhook_signing_key_comes_only_from_a_secret_and_trusted_proxies_reach_the_gateway()
    {
        static Dictionary<string, JsonNode> ContainerEnv(List<JsonNode> objects, string component) =>
            Env(Workload(objects, component)["spec"]!["template"]!["spec"]!["containers"]![0]!);

        var off = Render([]);
        Assert.DoesNotContain("ZeroPath__Webhooks__SigningKey", ContainerEnv(off, "silo").Keys);
        Assert.DoesNotContain(ContainerEnv(off, "gateway").Keys, k => k.StartsWith("ZeroPath__Gateway__TrustedProxies", StringComparison.Ordinal));

        var on = Render(["--set", "webhooks.signingKeySecret.name=zp-webhooks", "--set", "gateway.trustedProxies={10.0.0.0/8,2001:db8::/32}"]);
        var key = ContainerEnv(on, "silo")["ZeroPath__Webhooks__SigningKey"]["valueFrom"]!["secretKeyRef"]!;
        Assert.Equal(("zp-webhooks", "signing-key"), (Text(key["name"]), Text(key["key"])));
        var gateway = ContainerEnv(on, "gateway");
        Assert.Equal(("10.0.0.0/8", "2001:db8::/32"), (Text(gateway["ZeroPath__Gateway__TrustedProxies__0"]["value"]), Text(gateway["ZeroPath__Gateway__TrustedProxies__1"]["value"])));
        AssertRefused("gateway.trustedProxies={proxy.example.com}", "trustedProxies");
    }

    [Fact]
    public void Secret_scanning_partner_keys_reach_the_silos_only_and_must_be_public_keys()
    {
        static Dictionary<string, JsonNode> ContainerEnv(List<JsonNode> objects, string component) =>
            Env(Workload(objects, component)["spec"]!["template"]!["spec"]!["containers"]![0]!);

        Assert.DoesNotContain(ContainerEnv(Render([]), "silo").Keys, k => k.StartsWith("ZeroPath__SecretScanning", StringComparison.Ordinal));

        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var pem = key.ExportSubjectPublicKeyInfoPem();
        var file = Path.Combine(Directory.CreateTempSubdirectory("zeropath-scanning-").FullName, "key.pem");
        File.WriteAllText(file, pem);
        var on = Render(["--set-file", $"secretScanning.partners.github.keys.a1b2c3={file}"]);
        var variable = ContainerEnv(on, "silo")["ZeroPath__SecretScanning__Partners__github__Keys__a1b2c3"];
        Assert.Equal(pem, Text(variable["value"]));
        Assert.DoesNotContain(ContainerEnv(on, "gateway").Keys, k => k.StartsWith("ZeroPath__SecretScanning", StringComparison.Ordinal));
        AssertRefused("secretScanning.partners.github.keys.a1b2c3=not-a-key", "/secretScanning/partners/github/keys/a1b2c3");
        AssertRefused("secretScanning.partners.GitHub.keys.a1b2c3=-----BEGIN PUBLIC KEY-----", "invalid propertyName 'GitHub'");
    }

    [Fact]
    public void The_ext_authz_grpc_port_is_off_by_default_and_when_enabled_is_on_the_pods_the_service_and_the_network_policy()
    {
        static JsonNode Container(List<JsonNode> objects) => Workload(objects, "gateway")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        static JsonNode Named(List<JsonNode> objects, string kind) =>
            Assert.Single(objects, o => Text(o["kind"]) == kind && Text(o["metadata"]!["name"]).EndsWith("-gateway", StringComparison.Ordinal));

        var off = Render([]);
        Assert.DoesNotContain("grpc", Array(Container(off)["ports"]).Select(p => Text(p["name"])));
        Assert.DoesNotContain("ZeroPath__Gateway__ExtAuthz__Listen", Env(Container(off)).Keys);
        Assert.Equal(["http"], Array(Named(off, "Service")["spec"]!["ports"]).Select(p => Text(p["name"])));

        string[] enabled = ["--set", "gateway.extAuthz.grpc.enabled=true", "--set", "gateway.extAuthz.grpc.port=9191"];
        var on = Render(enabled);
        var container = Container(on);
        Assert.Contains(Array(container["ports"]), p => Text(p["name"]) == "grpc" && Text(p["containerPort"]) == "9191");
        Assert.Equal("http://0.0.0.0:9191", Text(Env(container)["ZeroPath__Gateway__ExtAuthz__Listen"]["value"]));
        var grpc = Assert.Single(Array(Named(on, "Service")["spec"]!["ports"]), p => Text(p["name"]) == "grpc");
        Assert.Equal(("9191", "grpc", "grpc"), (Text(grpc["port"]), Text(grpc["targetPort"]), Text(grpc["appProtocol"])));
        var rule = Assert.Single(Array(Named(on, "NetworkPolicy")["spec"]!["ingress"]), r => Array(r["ports"]).Any(p => Text(p["port"]) == "8080"));
        Assert.Equal(["8080", "9191"], Array(rule["ports"]).Select(p => Text(p["port"])));

        var (code, output) = Helm(["template", "zp", ".", "--namespace", "tokens", .. enabled], stdoutOnly: true);
        Assert.True(code == 0, output);
        var (valid, report) = Validate(output);
        Assert.True(valid, report);
        Assert.Contains("13 objects, 0 invalid", report, StringComparison.Ordinal);
        AssertRefused("gateway.extAuthz.grpc.port=0", "port");
    }

    [Fact]
    public void The_values_schema_refuses_a_password_in_a_connection_string_and_an_unknown_setting()
    {
        AssertRefused("cluster.redis.connection=redis:6379\\,password=hunter2hunter2", "/cluster/redis/connection");
        AssertRefused("silo.adminKey=x", "adminKey");
    }

    private static string[] Extra(string values) => values == "production" ? Production : [];

    private static JsonNode Workload(List<JsonNode> objects, string component) =>
        Assert.Single(objects, o => Text(o["kind"]) == "Deployment" && Text(o["metadata"]!["name"]).EndsWith($"-{component}", StringComparison.Ordinal));

    private static Dictionary<string, JsonNode> Env(JsonNode container) =>
        Array(container["env"]).ToDictionary(e => Text(e["name"]), StringComparer.Ordinal);

    private static IEnumerable<JsonNode> Array(JsonNode? node) => node is JsonArray array ? array.Select(n => n!) : [];

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? "";

    private static List<JsonNode> Render(string[] extra)
    {
        var (code, output) = Helm(["template", "zp", ".", "--namespace", "tokens", .. extra], stdoutOnly: true);
        Assert.True(code == 0, output);
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(output));
        parser.Consume<StreamStart>();
        var objects = new List<JsonNode>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (ToJson(deserializer.Deserialize<object?>(parser)) is { } node)
            {
                objects.Add(node);
            }
        }

        return objects;
    }

    // YAML scalars become JSON strings: "0", "true" and "8081" are compared as the text Helm rendered.
    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        Dictionary<object, object?> map => new JsonObject(map.Select(p => KeyValuePair.Create((string)p.Key, ToJson(p.Value)))),
        List<object?> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
    };

    // tools/helm/validate.mjs: kubernetes-models' API schemas (Ajv), installed by scripts-lib.sh ensure_helm.
    private static (bool Valid, string Report) Validate(string manifests)
    {
        var start = new ProcessStartInfo("node", ["validate.mjs"])
        {
            WorkingDirectory = Path.Combine(TestServers.RepositoryRoot(), "tools", "helm"),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(manifests);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode == 0, output + error.Result);
    }

    private static (int Code, string Output) Helm(string[] arguments, bool stdoutOnly = false)
    {
        var helm = Environment.GetEnvironmentVariable("ZP_TEST_HELM");
        Assert.False(string.IsNullOrEmpty(helm), "ZP_TEST_HELM is not set: run ./test.sh, or set it to a Helm binary (scripts-lib.sh ensure_helm prints one).");
        Assert.True(File.Exists(helm), $"ZP_TEST_HELM names no file ({helm}).");
        var home = Directory.CreateTempSubdirectory("zeropath-helm-").FullName;
        try
        {
            var start = new ProcessStartInfo(helm, arguments)
            {
                WorkingDirectory = Path.Combine(TestServers.RepositoryRoot(), ChartFolder),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var variable in new[] { "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME" })
            {
                start.Environment[variable] = Path.Combine(home, variable);
            }

            start.Environment["KUBECONFIG"] = Path.Combine(home, "no-kubeconfig");
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdoutOnly && process.ExitCode == 0 ? output : output + error.Result);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>helm template with one <c>--set</c> fails, its message naming <paramref name="mention"/> (the schema's refusal).</summary>
    private static void AssertRefused(string set, string mention)
    {
        var (code, output) = Helm(["template", "zp", ".", "--set", set]);
        Assert.NotEqual(0, code);
        Assert.Contains(mention, output, StringComparison.Ordinal);
    }
}
