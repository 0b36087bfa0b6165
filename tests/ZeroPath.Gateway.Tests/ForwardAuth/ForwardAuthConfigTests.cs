using System.Text.RegularExpressions;
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
