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
        Assert.Contains(values == "production" ? "15 objects, 0 invalid" : "11 objects, 0 invalid", report, StringComparison.Ordinal);
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
        string[] secretSettings = ["CallKey", "Password", "__Keys__", "ZP_ADMIN_KEY", "ConnectionString"];
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
        Assert.Equal("0", Text(Workload(objects, "gateway")["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]));
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
    public void Silo_rbac_grants_pod_verbs_and_delete_only_for_defunct_pod_deletion(bool deleteDefunctPods, string[] verbs)
    {
        var objects = Render(["--set", $"silo.kubernetesHosting.deleteDefunctPods={(deleteDefunctPods ? "true" : "false")}"]);
        var role = Assert.Single(objects, o => Text(o["kind"]) == "Role");
        var rule = Assert.Single(Array(role["rules"]));
        Assert.Equal(["pods"], Array(rule["resources"]).Select(Text));
        Assert.Equal(verbs, Array(rule["verbs"]).Select(Text));
        var binding = Assert.Single(objects, o => Text(o["kind"]) == "RoleBinding");
        Assert.Equal(Text(Workload(objects, "silo")["spec"]!["template"]!["spec"]!["serviceAccountName"]), Text(binding["subjects"]![0]!["name"]));
        Assert.Equal("false", Text(Workload(objects, "gateway")["spec"]!["template"]!["spec"]!["automountServiceAccountToken"]));
    }

    [Fact]
    public void Network_policies_open_the_silo_port_to_silos_the_gateway_port_to_gateways_and_admin_to_allowed_namespaces()
    {
        var policy = Assert.Single(Render(Production), o => Text(o["kind"]) == "NetworkPolicy" && Text(o["metadata"]!["name"]).EndsWith("-silo", StringComparison.Ordinal));
        var rules = Array(policy["spec"]!["ingress"]).ToDictionary(r => Text(r["ports"]![0]!["port"]));
        Assert.Equal(["11111", "30000", "8081"], rules.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("silo", Text(Assert.Single(Array(rules["11111"]["from"]))["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]));
        Assert.Equal("gateway", Text(Assert.Single(Array(rules["30000"]["from"]))["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]));
        var admin = Array(rules["8081"]["from"]).ToList();
        Assert.Equal(2, admin.Count);
        Assert.Empty(admin[0]["podSelector"]!.AsObject());
        Assert.Equal("ops", Text(admin[1]["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]));
    }

    [Fact]
    public void The_ext_authz_grpc_port_is_off_by_default_and_when_enabled_is_on_the_pods_the_service_and_the_network_policy()
    {
        static JsonNode Container(List<JsonNode> objects) => Workload(objects, "gateway")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        static JsonNode Named(List<JsonNode> objects, string kind) =>
            Assert.Single(objects, o => Text(o["kind"]) == kind && Text(o["metadata"]!["name"]).EndsWith("-gateway", StringComparison.Ordinal));

        var off = Render([]);
        Assert.Equal(["http"], Array(Container(off)["ports"]).Select(p => Text(p["name"])));
        Assert.DoesNotContain("ZeroPath__Gateway__ExtAuthz__Listen", Env(Container(off)).Keys);
        Assert.Equal(["http"], Array(Named(off, "Service")["spec"]!["ports"]).Select(p => Text(p["name"])));

        string[] enabled = ["--set", "gateway.extAuthz.grpc.enabled=true", "--set", "gateway.extAuthz.grpc.port=9191"];
        var on = Render(enabled);
        var container = Container(on);
        Assert.Contains(Array(container["ports"]), p => Text(p["name"]) == "grpc" && Text(p["containerPort"]) == "9191");
        Assert.Equal("http://0.0.0.0:9191", Text(Env(container)["ZeroPath__Gateway__ExtAuthz__Listen"]["value"]));
        var grpc = Assert.Single(Array(Named(on, "Service")["spec"]!["ports"]), p => Text(p["name"]) == "grpc");
        Assert.Equal(("9191", "grpc", "grpc"), (Text(grpc["port"]), Text(grpc["targetPort"]), Text(grpc["appProtocol"])));
        var rule = Assert.Single(Array(Named(on, "NetworkPolicy")["spec"]!["ingress"]));
        Assert.Equal(["8080", "9191"], Array(rule["ports"]).Select(p => Text(p["port"])));

        var (code, output) = Helm(["template", "zp", ".", "--namespace", "tokens", .. enabled], stdoutOnly: true);
        Assert.True(code == 0, output);
        var (valid, report) = Validate(output);
        Assert.True(valid, report);
        Assert.Contains("11 objects, 0 invalid", report, StringComparison.Ordinal);
        (code, output) = Helm(["template", "zp", ".", "--set", "gateway.extAuthz.grpc.port=0"]);
        Assert.NotEqual(0, code);
        Assert.Contains("port", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_values_schema_refuses_a_password_in_a_connection_string_and_an_unknown_setting()
    {
        var (code, output) = Helm(["template", "zp", ".", "--set", "cluster.redis.connection=redis:6379\\,password=hunter2hunter2"]);
        Assert.NotEqual(0, code);
        Assert.Contains("/cluster/redis/connection", output, StringComparison.Ordinal);
        (code, output) = Helm(["template", "zp", ".", "--set", "silo.adminKey=x"]);
        Assert.NotEqual(0, code);
        Assert.Contains("adminKey", output, StringComparison.Ordinal);
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
}
