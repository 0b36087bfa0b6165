using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Testing;

namespace ZeroPath.Gateway.Tests.ForwardAuth;

/// <summary>The forward-auth configurations in deploy/forward-auth are what docs/forward-auth.md shows, and name every header they must.</summary>
public partial class ForwardAuthConfigTests
{
    private static readonly string[] CredentialHeaders = [TokenHeaders.TokenId, TokenHeaders.TokenSecret];
    private static readonly string[] IdentityHeaders = [.. TokenHeaders.Identity, TokenHeaders.IdentitySignature];

    [Theory]
    [InlineData("nginx.conf", "nginx")]
    [InlineData("envoy.yaml", "yaml")]
    [InlineData("traefik.yaml", "yaml")]
    [InlineData("traefik-dynamic.yaml", "yaml")]
    [InlineData("envoy-grpc.yaml", "yaml")]
    [InlineData("istio-authorizationpolicy.yaml", "yaml")]
    [InlineData("envoy-gateway-securitypolicy.yaml", "yaml")]
    [InlineData("contour-extensionservice.yaml", "yaml")]
    public void The_docs_show_each_file_exactly(string file, string language)
    {
        var text = Read($"deploy/forward-auth/{file}");
        var doc = Read("docs/forward-auth.md");

        Assert.Contains($"```{language}\n{text}```\n", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void The_edge_doc_shows_the_python_signature_verifier_exactly() =>
        Assert.Contains($"```python\n{Read("tools/demo-upstream/verify_identity_signature.py")}```\n", Read("docs/edge.md"), StringComparison.Ordinal);

    [Fact]
    public void Traefik_strips_every_spelling_of_the_identity_before_the_check_and_the_credentials_after()
    {
        var middlewares = Read("deploy/forward-auth/traefik-dynamic.yaml");
        var before = Removed(Section(middlewares, "zeropath-strip-identity:", "zeropath-auth:"));
        var after = Removed(Section(middlewares, "zeropath-strip-credentials:", "services:"));

        var expected = IdentityHeaders.SelectMany(Spellings)
            .Concat(CredentialHeaders.SelectMany(Spellings).Where(name => name.Contains('_', StringComparison.Ordinal)));
        Assert.Equal(expected.Order(StringComparer.Ordinal), before.Order(StringComparer.Ordinal));
        // The exact credential names must reach the check, so they go only after it.
        Assert.Equal(CredentialHeaders, after);
        Assert.Contains("middlewares: [zeropath-strip-identity, zeropath-auth, zeropath-strip-credentials]", middlewares, StringComparison.Ordinal);
        foreach (var name in IdentityHeaders)
        {
            Assert.Contains($"          - {name}\n", middlewares, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Envoy_removes_the_clients_identity_before_the_check_and_copies_the_gateways()
    {
        var envoy = Read("deploy/forward-auth/envoy.yaml");
        foreach (var name in IdentityHeaders.Select(n => n.ToLowerInvariant()))
        {
            Assert.Contains($"                - remove: {name}\n", envoy, StringComparison.Ordinal);
            Assert.Contains($"                    - exact: {name}\n", envoy, StringComparison.Ordinal);
        }

        Assert.Contains("headers_with_underscores_action: DROP_HEADER", envoy, StringComparison.Ordinal);
        Assert.True(
            envoy.IndexOf("envoy.filters.http.header_mutation", StringComparison.Ordinal) < envoy.IndexOf("envoy.filters.http.ext_authz", StringComparison.Ordinal),
            "the header_mutation filter must run before ext_authz");
        Assert.Matches(@"safe_regex: \{ regex: ""x\[-_\]zeropath\[-_\]\.\*"" \}", envoy);
    }

    [Fact]
    public void Nginx_sets_every_identity_header_from_the_answer_and_blanks_the_credentials()
    {
        var nginx = Read(NginxServer.ConfigPath);
        foreach (var name in IdentityHeaders)
        {
            var variable = "$upstream_http_" + name.ToLowerInvariant().Replace('-', '_');
            Assert.Matches($@"auth_request_set (\$\w+) {Regex.Escape(variable)};", nginx);
            var set = Regex.Match(nginx, $@"auth_request_set (\$\w+) {Regex.Escape(variable)};").Groups[1].Value;
            Assert.Contains($"proxy_set_header {name} {set};", nginx, StringComparison.Ordinal);
        }

        foreach (var name in CredentialHeaders)
        {
            Assert.Contains($"proxy_set_header {name} \"\";", nginx, StringComparison.Ordinal);
        }

        Assert.Contains("ignore_invalid_headers on;", nginx, StringComparison.Ordinal);
        Assert.DoesNotContain("underscores_in_headers on", nginx, StringComparison.Ordinal);
    }

    /// <summary>The gateway's gRPC ext_authz Service as the chart names it for release "zp" in namespace "tokens".</summary>
    private const string GrpcService = "zp-zeropath-orleans-gateway";

    [Theory]
    [InlineData("envoy.yaml")]
    [InlineData("traefik.yaml")]
    [InlineData("traefik-dynamic.yaml")]
    [InlineData("envoy-grpc.yaml")]
    [InlineData("istio-authorizationpolicy.yaml")]
    [InlineData("envoy-gateway-securitypolicy.yaml")]
    [InlineData("contour-extensionservice.yaml")]
    public void Every_yaml_file_parses(string file) => Assert.NotEmpty(Documents($"deploy/forward-auth/{file}"));

    [Fact]
    public void The_grpc_examples_use_the_charts_default_grpc_port()
    {
        var values = Map(Assert.Single(Documents("deploy/helm/zeropath-orleans/values.yaml")));
        var grpc = Map(Map(Map(values["gateway"])["extAuthz"])["grpc"]);
        Assert.Equal("9001", Scalar(grpc["port"]));
        Assert.Equal("false", Scalar(grpc["enabled"]));
    }

    [Fact]
    public void Envoy_grpc_calls_the_gateways_h2c_port_closed_and_strips_the_clients_identity_first()
    {
        var envoy = Read("deploy/forward-auth/envoy-grpc.yaml");
        var config = Map(Assert.Single(Documents("deploy/forward-auth/envoy-grpc.yaml")));
        var resources = Map(config["static_resources"]);
        var manager = Map(Map(List(Map(List(Map(List(resources["listeners"])[0])["filter_chains"])[0])["filters"])[0])["typed_config"]);
        Assert.Equal("DROP_HEADER", Scalar(Map(manager["common_http_protocol_options"])["headers_with_underscores_action"]));
        var filters = List(manager["http_filters"]).Select(Map).ToList();
        Assert.Equal(
            ["envoy.filters.http.header_mutation", "envoy.filters.http.ext_authz", "envoy.filters.http.router"],
            filters.Select(f => Scalar(f["name"])));
        var removed = List(Map(Map(Map(filters[0]["typed_config"])["mutations"]))["request_mutations"]).Select(m => Scalar(Map(m)["remove"]));
        Assert.Equal(IdentityHeaders.Select(n => n.ToLowerInvariant()), removed);

        var authz = Map(filters[1]["typed_config"]);
        Assert.Equal("false", Scalar(authz["failure_mode_allow"]));
        Assert.Equal("V3", Scalar(authz["transport_api_version"]));
        Assert.DoesNotContain("http_service", authz.Keys);
        var clusterName = Scalar(Map(Map(authz["grpc_service"])["envoy_grpc"])["cluster_name"]);
        Assert.Equal("x[-_]zeropath[-_].*", Scalar(Map(Map(List(Map(authz["allowed_headers"])["patterns"])[0])["safe_regex"])["regex"]));

        var cluster = Assert.Single(List(resources["clusters"]).Select(Map), c => Scalar(c["name"]) == clusterName);
        var protocol = Map(Map(cluster["typed_extension_protocol_options"])["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]);
        Assert.Contains("http2_protocol_options", Map(protocol["explicit_http_config"]).Keys);
        Assert.DoesNotContain("transport_socket", cluster.Keys);
        Assert.Contains("port_value: 9001 }", envoy, StringComparison.Ordinal);
    }

    [Fact]
    public void Istio_registers_the_gateways_grpc_port_as_a_provider_and_a_custom_policy_uses_it()
    {
        var documents = Documents("deploy/forward-auth/istio-authorizationpolicy.yaml").Select(Map).ToList();
        var provider = Map(Assert.Single(List(Map(Map(Of(documents, "IstioOperator")["spec"])["meshConfig"])["extensionProviders"])));
        var grpc = Map(provider["envoyExtAuthzGrpc"]);
        Assert.Equal($"{GrpcService}.tokens.svc.cluster.local", Scalar(grpc["service"]));
        Assert.Equal("9001", Scalar(grpc["port"]));
        Assert.Equal("false", Scalar(grpc["failOpen"]));

        var policy = Of(documents, "AuthorizationPolicy");
        Assert.Equal("security.istio.io/v1", Scalar(policy["apiVersion"]));
        var spec = Map(policy["spec"]);
        Assert.Equal("CUSTOM", Scalar(spec["action"]));
        Assert.Equal(Scalar(provider["name"]), Scalar(Map(spec["provider"])["name"]));
    }

    [Fact]
    public void Envoy_gateway_sends_the_routes_checks_to_the_gateways_grpc_port_with_a_reference_grant()
    {
        var documents = Documents("deploy/forward-auth/envoy-gateway-securitypolicy.yaml").Select(Map).ToList();
        var policy = Of(documents, "SecurityPolicy");
        Assert.Equal("gateway.envoyproxy.io/v1alpha1", Scalar(policy["apiVersion"]));
        var extAuth = Map(Map(policy["spec"])["extAuth"]);
        Assert.Equal("false", Scalar(extAuth["failOpen"]));
        var backend = Map(Assert.Single(List(Map(extAuth["grpc"])["backendRefs"])));
        Assert.Equal((GrpcService, "tokens", "9001"), (Scalar(backend["name"]), Scalar(backend["namespace"]), Scalar(backend["port"])));

        var grant = Of(documents, "ReferenceGrant");
        Assert.Equal("tokens", Scalar(Map(grant["metadata"])["namespace"]));
        var from = Map(Assert.Single(List(Map(grant["spec"])["from"])));
        Assert.Equal(("SecurityPolicy", Scalar(Map(policy["metadata"])["namespace"])), (Scalar(from["kind"]), Scalar(from["namespace"])));
        Assert.Equal(GrpcService, Scalar(Map(Assert.Single(List(Map(grant["spec"])["to"])))["name"]));
    }

    [Fact]
    public void Contour_names_the_gateways_grpc_port_as_an_h2c_extension_service_and_the_proxy_uses_it()
    {
        var documents = Documents("deploy/forward-auth/contour-extensionservice.yaml").Select(Map).ToList();
        var extension = Of(documents, "ExtensionService");
        Assert.Equal("projectcontour.io/v1alpha1", Scalar(extension["apiVersion"]));
        var spec = Map(extension["spec"]);
        Assert.Equal("h2c", Scalar(spec["protocol"]));
        var service = Map(Assert.Single(List(spec["services"])));
        Assert.Equal((GrpcService, "9001"), (Scalar(service["name"]), Scalar(service["port"])));

        var virtualHost = Map(Map(Of(documents, "HTTPProxy")["spec"])["virtualhost"]);
        var authorization = Map(virtualHost["authorization"]);
        var reference = Map(authorization["extensionRef"]);
        var metadata = Map(extension["metadata"]);
        Assert.Equal((Scalar(metadata["name"]), Scalar(metadata["namespace"])), (Scalar(reference["name"]), Scalar(reference["namespace"])));
        Assert.Equal("false", Scalar(authorization["failOpen"]));
        Assert.Contains("tls", virtualHost.Keys);
    }

    /// <summary>Every YAML document in the file, as YamlDotNet reads it (maps, lists, scalars as strings).</summary>
    private static List<object> Documents(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(Read(path)));
        parser.Consume<StreamStart>();
        var documents = new List<object>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Assert.IsType<Dictionary<object, object>>(deserializer.Deserialize<object?>(parser)));
        }

        return documents;
    }

    private static Dictionary<object, object> Of(List<Dictionary<object, object>> documents, string kind) =>
        Assert.Single(documents, d => d.TryGetValue("kind", out var k) && Scalar(k) == kind);

    private static Dictionary<object, object> Map(object? node) => Assert.IsType<Dictionary<object, object>>(node);

    private static List<object> List(object? node) => Assert.IsType<List<object>>(node);

    private static string Scalar(object? node) => Assert.IsType<string>(node);

    /// <summary>Every way to write <paramref name="name"/> with each '-' as '-' or '_'.</summary>
    private static IEnumerable<string> Spellings(string name)
    {
        var parts = name.Split('-');
        for (var mask = 0; mask < 1 << (parts.Length - 1); mask++)
        {
            var spelling = parts[0];
            for (var i = 1; i < parts.Length; i++)
            {
                spelling += ((mask >> (i - 1)) & 1) == 0 ? "-" : "_";
                spelling += parts[i];
            }

            yield return spelling;
        }
    }

    private static string Section(string text, string from, string to)
    {
        var start = text.IndexOf(from, StringComparison.Ordinal);
        var end = text.IndexOf(to, start, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"'{from}' ... '{to}' not found");
        return text[start..end];
    }

    private static string[] Removed(string section) =>
        [.. RemovedHeader().Matches(section).Select(m => m.Groups[1].Value)];

    private static string Read(string path) => File.ReadAllText(Path.Combine(TestServers.RepositoryRoot(), path)).ReplaceLineEndings("\n");

    [GeneratedRegex(@"^\s+([A-Za-z_-]+): """"$", RegexOptions.Multiline)]
    private static partial Regex RemovedHeader();
}
