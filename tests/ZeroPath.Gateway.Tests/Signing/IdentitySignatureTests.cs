using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Signing;
using ZeroPath.ServiceDefaults;
using ZeroPath.Testing;
using ZeroPath.Tokens;
using ForwardAuthHeaders = ZeroPath.Gateway.Authentication.ForwardAuth;

namespace ZeroPath.Gateway.Tests.Signing;

/// <summary>A gateway that signs with <c>k1</c> and also holds <c>k0</c> (a rotation in progress).</summary>
public sealed class SigningFixture : EdgeFixture
{
    public static readonly byte[] Key1 = SHA256.HashData("zeropath identity signing test key 1"u8);
    public static readonly byte[] Key0 = SHA256.HashData("zeropath identity signing test key 0"u8);

    public static readonly KeyValuePair<string, string?>[] Settings =
    [
        new("ZeroPath:Gateway:IdentitySigning:CurrentKeyId", "k1"),
        new("ZeroPath:Gateway:IdentitySigning:Keys:k1", Convert.ToBase64String(Key1)),
        new("ZeroPath:Gateway:IdentitySigning:Keys:k0", Convert.ToBase64String(Key0)),
    ];

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings => Settings;

    /// <summary>What an upstream holding both keys would run, on the clock the gateway signs by.</summary>
    public IdentitySignatureVerifier Verifier(TimeSpan? maxAge = null, TimeProvider? clock = null, IReadOnlyDictionary<string, byte[]>? keys = null) =>
        new(keys ?? new Dictionary<string, byte[]> { ["k1"] = Key1, ["k0"] = Key0 }, maxAge, clock ?? new FakeWallClock(Silo.Clock));
}

public class IdentitySignatureTests(SigningFixture fixture) : IClassFixture<SigningFixture>
{
    [Fact]
    public async Task A_proxied_request_carries_a_signature_the_upstream_verifies()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read", "vulns:write"]);
        var (echo, header) = await ProxyAsync(HttpMethod.Put, "/api/v2/vulns/%C3%A9t%C3%A9?x=1", token);

        Assert.Equal("/api/v2/vulns/été", echo.Path);
        Assert.Equal(IdentitySignatureCheck.Valid, fixture.Verifier().Verify(header, FieldsOf(echo)));
        Assert.Equal(org.GetPrimaryKeyString(), FieldsOf(echo).OrganizationId);
        Assert.StartsWith("kid=k1;ts=", header, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_sent_signature_is_replaced_by_the_gateways()
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Get, "/api/v1/x", token.TokenId, token.Secret);
        request.Headers.TryAddWithoutValidation(TokenHeaders.IdentitySignature, "kid=k1;ts=1;sig=forged");

        using var response = await client.SendAsync(request);
        var echo = await GatewayFixture.EchoAsync(response);

        Assert.Equal(IdentitySignatureCheck.Valid, fixture.Verifier().Verify(echo.Headers[TokenHeaders.IdentitySignature], FieldsOf(echo)));
    }

    public static TheoryData<string> Fields => ["method", "path", "org", "user", "token", "permissions"];

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task Changing_any_signed_field_fails_verification(string field)
    {
        var (_, token) = await fixture.IssueAsync(["scans:read"]);
        var (echo, header) = await ProxyAsync(HttpMethod.Get, "/api/v1/scans", token);
        var fields = FieldsOf(echo);

        var tampered = field switch
        {
            "method" => fields with { Method = "POST" },
            "path" => fields with { Path = "/api/v1/scans/" },
            "org" => fields with { OrganizationId = fields.OrganizationId + "x" },
            "user" => fields with { UserId = "bob" },
            "token" => fields with { TokenId = Guid.NewGuid().ToString() },
            "permissions" => fields with { Permissions = "scans:read,admin:*" },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal(IdentitySignatureCheck.Valid, fixture.Verifier().Verify(header, fields));
        Assert.Equal(IdentitySignatureCheck.Mismatch, fixture.Verifier().Verify(header, tampered));
    }

    [Fact]
    public async Task A_changed_timestamp_key_id_or_mac_fails_verification()
    {
        var (_, token) = await fixture.IssueAsync();
        var (echo, header) = await ProxyAsync(HttpMethod.Get, "/api/v1/scans", token);
        var fields = FieldsOf(echo);
        Assert.True(IdentitySignature.TryParse(header, out _, out var ts, out var mac));
        var sig = header[(header.IndexOf(";sig=", StringComparison.Ordinal) + 5)..];
        mac[0] ^= 1;

        var verifier = fixture.Verifier();
        Assert.Equal(IdentitySignatureCheck.Mismatch, verifier.Verify($"kid=k1;ts={ts - 1};sig={sig}", fields));
        Assert.Equal(IdentitySignatureCheck.Mismatch, verifier.Verify($"kid=k0;ts={ts};sig={sig}", fields));
        Assert.Equal(IdentitySignatureCheck.Mismatch, verifier.Verify($"kid=k1;ts={ts};sig={System.Buffers.Text.Base64Url.EncodeToString(mac)}", fields));
        Assert.Equal(IdentitySignatureCheck.UnknownKey, verifier.Verify($"kid=k9;ts={ts};sig={sig}", fields));
        Assert.Equal(IdentitySignatureCheck.Malformed, verifier.Verify($"kid=k1;ts={ts};sig={sig}x", fields));
        Assert.Equal(IdentitySignatureCheck.Malformed, verifier.Verify($"ts={ts};kid=k1;sig={sig}", fields));
        Assert.Equal(IdentitySignatureCheck.Malformed, verifier.Verify($"kid=k1;ts=-{ts};sig={sig}", fields));
        Assert.Equal(IdentitySignatureCheck.Missing, verifier.Verify(null, fields));
        // An upstream that has only the other key cannot verify, whatever else is right.
        Assert.Equal(IdentitySignatureCheck.UnknownKey, fixture.Verifier(keys: new Dictionary<string, byte[]> { ["k0"] = SigningFixture.Key0 }).Verify(header, fields));
    }

    [Fact]
    public async Task A_signature_older_or_newer_than_the_maximum_age_is_stale()
    {
        var (_, token) = await fixture.IssueAsync();
        var (echo, header) = await ProxyAsync(HttpMethod.Get, "/api/v1/scans", token);
        var fields = FieldsOf(echo);
        Assert.True(IdentitySignature.TryParse(header, out _, out var ts, out _));
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(ts);

        IdentitySignatureCheck At(TimeSpan offset, TimeSpan? maxAge = null) =>
            fixture.Verifier(maxAge, new FakeTimeProvider(signedAt + offset)).Verify(header, fields);

        Assert.Equal(IdentitySignatureCheck.Valid, At(TimeSpan.FromMinutes(5)));
        Assert.Equal(IdentitySignatureCheck.Stale, At(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1)));
        Assert.Equal(IdentitySignatureCheck.Stale, At(-TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1)));
        Assert.Equal(IdentitySignatureCheck.Valid, At(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)));
        Assert.Equal(IdentitySignatureCheck.Stale, At(TimeSpan.FromSeconds(31), TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("/auth/check", "DELETE", "/api/v1/scans/7?force=true", "DELETE", "/api/v1/scans/7")]
    [InlineData("/auth/check", "GET", "/api/v1/a%20b/c%2Fd", "GET", "/api/v1/a b/c%2Fd")]
    [InlineData("/auth/check/api/v2/x", null, null, "PATCH", "/api/v2/x")]
    [InlineData("/auth/check", null, null, "PATCH", "/")]
    public async Task An_auth_check_answer_signs_the_original_method_and_path(string checkPath, string? forwardedMethod, string? forwardedUri, string method, string path)
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = fixture.Gateway.CreateClient();
        var request = GatewayFixture.Request(HttpMethod.Patch, checkPath, token.TokenId, token.Secret);
        if (forwardedMethod is not null)
        {
            request.Headers.TryAddWithoutValidation(ForwardAuthHeaders.ForwardedMethod, forwardedMethod);
            request.Headers.TryAddWithoutValidation(ForwardAuthHeaders.ForwardedUri, forwardedUri);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string Header(string name) => Assert.Single(response.Headers.GetValues(name));
        var fields = new IdentityFields(method, path, Header(TokenHeaders.IdentityOrgId), Header(TokenHeaders.IdentityUserId), Header(TokenHeaders.IdentityTokenId), Header(TokenHeaders.IdentityPermissions));
        Assert.Equal(IdentitySignatureCheck.Valid, fixture.Verifier().Verify(Header(TokenHeaders.IdentitySignature), fields));
        // Envoy copies the signature like the identity: it is not in the list of headers to remove.
        Assert.DoesNotContain("signature", Header(ForwardAuthHeaders.HeadersToRemoveHeader), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_python_snippet_in_the_docs_verifies_what_the_gateway_signs_and_refuses_a_tampered_field()
    {
        var (_, token) = await fixture.IssueAsync(["scans:read"]);
        var (echo, header) = await ProxyAsync(HttpMethod.Get, "/api/v1/scans", token);
        var fields = FieldsOf(echo);
        var now = fixture.Silo.Clock.GetUtcNow().ToUnixTimeSeconds();

        Assert.Equal("true", await RunPythonAsync(header, fields, now));
        Assert.Equal("false", await RunPythonAsync(header, fields with { Permissions = "admin:*" }, now));
        Assert.Equal("false", await RunPythonAsync(header, fields, now + 301));
    }

    [Theory]
    [InlineData("k1", null, "CurrentKeyId")]
    [InlineData("k1", "c2hvcnQ=", "Keys:k1")]
    [InlineData("k 1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Keys:k 1")]
    [InlineData(null, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "CurrentKeyId")]
    public void Misconfigured_signing_keys_stop_the_gateway_naming_the_setting(string? current, string? key, string problem)
    {
        var values = new Dictionary<string, string?>();
        if (current is not null)
        {
            values["ZeroPath:Gateway:IdentitySigning:CurrentKeyId"] = current;
        }

        if (key is not null)
        {
            values[$"ZeroPath:Gateway:IdentitySigning:Keys:{current ?? "k2"}"] = key;
        }

        var settings = new StartupSettings(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        var options = settings.Bind<IdentitySigningOptions>(IdentitySigningOptions.SectionName);
        options.Validate(settings);

        var error = Assert.Throws<InvalidOperationException>(settings.ThrowIfInvalid);
        Assert.Contains($"ZeroPath:Gateway:IdentitySigning:{problem}", error.Message, StringComparison.Ordinal);
    }

    private async Task<(Testing.EchoResponse Echo, string Header)> ProxyAsync(HttpMethod method, string path, IssuedToken token)
    {
        using var client = fixture.Gateway.CreateClient();
        using var response = await client.SendAsync(GatewayFixture.Request(method, path, token.TokenId, token.Secret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await GatewayFixture.EchoAsync(response);
        return (echo, echo.Headers[TokenHeaders.IdentitySignature]);
    }

    private static IdentityFields FieldsOf(Testing.EchoResponse echo) => new(
        echo.Method,
        echo.Path,
        echo.Headers.GetValueOrDefault(TokenHeaders.IdentityOrgId, ""),
        echo.Headers.GetValueOrDefault(TokenHeaders.IdentityUserId, ""),
        echo.Headers.GetValueOrDefault(TokenHeaders.IdentityTokenId, ""),
        echo.Headers.GetValueOrDefault(TokenHeaders.IdentityPermissions, ""));

    private static async Task<string> RunPythonAsync(string header, IdentityFields fields, long now)
    {
        var input = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["header"] = header,
            ["method"] = fields.Method,
            ["path"] = fields.Path,
            ["org_id"] = fields.OrganizationId,
            ["user_id"] = fields.UserId,
            ["token_id"] = fields.TokenId,
            ["permissions"] = fields.Permissions,
            ["keys"] = new Dictionary<string, string> { ["k1"] = Convert.ToBase64String(SigningFixture.Key1) },
            ["now"] = now,
        });
        var start = new ProcessStartInfo("python3", [Path.Combine(TestServers.RepositoryRoot(), "tools/demo-upstream/verify_identity_signature.py")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 is required to check the Python verification snippet.");
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        return output.Trim();
    }
}
