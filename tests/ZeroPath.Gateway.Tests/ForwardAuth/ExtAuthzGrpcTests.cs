using System.Globalization;
using System.Text.Json;
using Envoy.Config.Core.V3;
using Envoy.Service.Auth.V3;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Signing;
using ZeroPath.Gateway.Tests.Authentication;
using ZeroPath.Gateway.Tests.Signing;
using ZeroPath.Testing;
using AppendAction = Envoy.Config.Core.V3.HeaderValueOption.Types.HeaderAppendAction;
using EnvoyStatus = Envoy.Type.V3.StatusCode;
using HttpStatusCode = System.Net.HttpStatusCode;

namespace ZeroPath.Gateway.Tests.ForwardAuth;

/// <summary>
/// A gateway on real Kestrel: its own URL (HTTP/1.1, <c>/auth/check</c>) from <c>Urls</c>, and the cleartext HTTP/2
/// listener for gRPC <c>ext_authz</c> from <c>ZeroPath:Gateway:ExtAuthz:Listen</c>, both on free loopback ports;
/// identity signing on (<see cref="SigningFixture"/>'s keys).
/// </summary>
public class ExtAuthzGrpcFixture : EdgeFixture
{
    private readonly int httpPort = FreeTcpPort.Next();
    private GrpcChannel? channel;

    public int GrpcPort { get; } = FreeTcpPort.Next();

    public Uri HttpAddress => new($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>A client on one h2c channel, as Envoy's <c>envoy_grpc</c>/<c>google_grpc</c> cluster speaks to the gateway.</summary>
    public Authorization.AuthorizationClient Client { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings =>
    [
        new("Urls", HttpAddress.ToString().TrimEnd('/')),
        new($"{ExtAuthzGrpcExtensions.SectionName}:{ExtAuthzGrpcExtensions.ListenKey}", $"http://127.0.0.1:{GrpcPort.ToString(CultureInfo.InvariantCulture)}"),
        .. SigningFixture.Settings,
    ];

    /// <summary>Everything the gateway logs, at every level (gRPC's and Kestrel's HTTP/2 traces included).</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    protected override WebApplicationFactory<Program> Customize(GatewayFactory gateway)
    {
        var logged = gateway.WithWebHostBuilder(host => host.ConfigureLogging(logging =>
        {
            logging.AddProvider(Logs);
            // A rule for this provider wins over the categories appsettings.json raises to Warning.
            logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
            logging.SetMinimumLevel(LogLevel.Trace);
        }));
        logged.UseKestrel();
        return logged;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort.ToString(CultureInfo.InvariantCulture)}");
        Client = new Authorization.AuthorizationClient(channel);
    }

    public override async Task DisposeAsync()
    {
        channel?.Dispose();
        await base.DisposeAsync();
        Logs.Dispose();
    }

    public IdentitySignatureVerifier Verifier() =>
        new(new Dictionary<string, byte[]> { ["k1"] = SigningFixture.Key1, ["k0"] = SigningFixture.Key0 }, null, new FakeWallClock(Silo.Clock));

    /// <summary>A CheckRequest as Envoy's HTTP filter sends one: method, raw target, lower-cased header map.</summary>
    public static CheckRequest Request(string method, string path, params (string Name, string Value)[] headers)
    {
        var http = new AttributeContext.Types.HttpRequest { Method = method, Path = path, Host = "api.example.com", Scheme = "https" };
        foreach (var (name, value) in headers)
        {
            http.Headers[name.ToLowerInvariant()] = value;
        }

        return new CheckRequest { Attributes = new AttributeContext { Request = new AttributeContext.Types.Request { Http = http } } };
    }

    public static CheckRequest Request(Guid? tokenId, string? secret, params (string Name, string Value)[] extra) =>
        Request("GET", "/api/v1/scans", [.. Credentials(tokenId, secret), .. extra]);

    public static (string Name, string Value)[] Credentials(Guid? tokenId, string? secret) =>
    [
        .. tokenId is { } id ? new[] { (TokenHeaders.TokenId, id.ToString()) } : [],
        .. secret is not null ? new[] { (TokenHeaders.TokenSecret, secret) } : [],
    ];
}

public class ExtAuthzGrpcTests(ExtAuthzGrpcFixture fixture, ITestOutputHelper output) : IClassFixture<ExtAuthzGrpcFixture>
{
    private const int Unauthenticated = 16;

    [Fact]
    public async Task A_valid_token_is_allowed_with_the_signed_identity_overwriting_client_copies_and_the_secret_removed()
    {
        var (orgGrain, token) = await fixture.IssueAsync(["scans:read", "vulns:write"]);
        var org = orgGrain.GetPrimaryKeyString();
        var request = ExtAuthzGrpcFixture.Request(
            "POST",
            "/api/v1/scans%20x/1?y=2",
            [
                .. ExtAuthzGrpcFixture.Credentials(token.TokenId, token.Secret),
                ("x-zeropath-org-id", "victim"),
                ("x-zeropath-org_id", "victim"),
                ("x_zeropath_user_id", "victim"),
                ("x-other", "kept"),
            ]);

        var response = await fixture.Client.CheckAsync(request);

        Assert.Equal(0, response.Status.Code);
        Assert.Equal(CheckResponse.HttpResponseOneofCase.OkResponse, response.HttpResponseCase);
        var set = response.OkResponse.Headers.ToDictionary(h => h.Header.Key, h => h.Header.Value);
        Assert.Equal(
            ["x-zeropath-identity-signature", "x-zeropath-org-id", "x-zeropath-permissions", "x-zeropath-token-id", "x-zeropath-user-id"],
            set.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(org, set["x-zeropath-org-id"]);
        Assert.Equal("alice", set["x-zeropath-user-id"]);
        Assert.Equal(token.TokenId.ToString(), set["x-zeropath-token-id"]);
        Assert.Equal("scans:read vulns:write", set["x-zeropath-permissions"].Replace(',', ' '));
        // Replace what the client sent under these names, in both Envoy's old (append) and new (append_action) terms.
        Assert.All(response.OkResponse.Headers, h =>
        {
            Assert.False(h.Append);
            Assert.Equal(AppendAction.OverwriteIfExistsOrAdd, h.AppendAction);
        });

        // Envoy sets these headers, then removes the listed ones: the secret, the id, and the client's other spellings,
        // never a name the answer sets.
        Assert.Equal(
            ["x-zeropath-api-token-id", "x-zeropath-api-token-secret", "x-zeropath-org_id", "x_zeropath_user_id"],
            response.OkResponse.HeadersToRemove.Order(StringComparer.Ordinal));

        // Signed over the original method and the decoded path, as /auth/check and proxied requests are.
        var fields = new IdentityFields("POST", "/api/v1/scans x/1", org, "alice", token.TokenId.ToString(), set["x-zeropath-permissions"]);
        Assert.Equal(IdentitySignatureCheck.Valid, fixture.Verifier().Verify(set["x-zeropath-identity-signature"], fields));
        Assert.Equal(IdentitySignatureCheck.Mismatch, fixture.Verifier().Verify(set["x-zeropath-identity-signature"], fields with { Method = "GET" }));
        AssertNoSecret(response, token.Secret);
    }

    [Fact]
    public async Task Repeated_checks_are_decided_from_the_validation_cache_as_auth_checks_are()
    {
        const int Rounds = 500;
        var (_, token) = await fixture.IssueAsync();
        using var measurements = new GatewayMeasurements(fixture.Gateway.Services);
        using var http = new HttpClient { BaseAddress = fixture.HttpAddress };
        var request = ExtAuthzGrpcFixture.Request(token.TokenId, token.Secret);
        Assert.Equal(0, (await fixture.Client.CheckAsync(request)).Status.Code);

        async Task<TimeSpan> TimeAsync(Func<Task> check)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < Rounds; i++)
            {
                await check();
            }

            return watch.Elapsed;
        }

        async Task Grpc() => Assert.Equal(0, (await fixture.Client.CheckAsync(request)).Status.Code);
        async Task Http()
        {
            using var response = await http.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check/api/v1/scans", token.TokenId, token.Secret));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The first round of each warms up (JIT, connections); the second is timed.
        await TimeAsync(Grpc);
        await TimeAsync(Http);
        var grpc = await TimeAsync(Grpc);
        var check = await TimeAsync(Http);
        Assert.Equal(
            [new AuthDecisionTags("ok", "cluster"), .. Enumerable.Repeat(new AuthDecisionTags("ok", "cache"), 4 * Rounds)],
            measurements.Decisions);
        // A figure, not a bound: sequential calls on one connection each, on a shared test machine.
        output.WriteLine(
            $"{Rounds} cached allows, one at a time: gRPC Check {grpc.TotalMicroseconds / Rounds:F0} us each, " +
            $"/auth/check (HTTP/1.1) {check.TotalMicroseconds / Rounds:F0} us each");
    }

    [Fact]
    public async Task Raw_headers_from_encode_raw_headers_are_read_too()
    {
        var (orgGrain, token) = await fixture.IssueAsync();
        var org = orgGrain.GetPrimaryKeyString();
        var http = new AttributeContext.Types.HttpRequest { Method = "GET", Path = "/api/v2/x", HeaderMap = new HeaderMap() };
        http.HeaderMap.Headers.Add(new HeaderValue { Key = "x-zeropath-api-token-id", RawValue = ByteString.CopyFromUtf8(token.TokenId.ToString()) });
        http.HeaderMap.Headers.Add(new HeaderValue { Key = "x-zeropath-api-token-secret", RawValue = ByteString.CopyFromUtf8(token.Secret) });

        var response = await fixture.Client.CheckAsync(new CheckRequest { Attributes = new AttributeContext { Request = new() { Http = http } } });

        Assert.Equal(0, response.Status.Code);
        Assert.Equal(org, response.OkResponse.Headers.Single(h => h.Header.Key == "x-zeropath-org-id").Header.Value);
        AssertNoSecret(response, token.Secret);
    }

    public static TheoryData<string> Refusals => ["missing", "id only", "secret only", "malformed secret", "unknown id", "wrong secret", "revoked", "expired"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refusal_is_a_401_denied_response_with_the_problem_body_and_challenge(string refusal)
    {
        var (id, secret, code) = await CredentialsForAsync(refusal);

        var response = await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(id, secret, ("x-zeropath-org-id", "victim")));

        Assert.Equal(Unauthenticated, response.Status.Code);
        Assert.Equal(code, response.Status.Message);
        Assert.Equal(CheckResponse.HttpResponseOneofCase.DeniedResponse, response.HttpResponseCase);
        var denied = response.DeniedResponse;
        Assert.Equal(EnvoyStatus.Unauthorized, denied.Status.Code);
        var headers = denied.Headers.ToDictionary(h => h.Header.Key, h => h.Header.Value);
        Assert.Equal("application/problem+json", headers["content-type"]);
        Assert.Equal($"ZeroPath-API-Token realm=\"zeropath\", error=\"{code}\"", headers["www-authenticate"]);
        Assert.Equal("no-store", headers["cache-control"]);
        Assert.DoesNotContain("content-length", headers.Keys);
        using var body = JsonDocument.Parse(denied.Body);
        Assert.Equal(code, body.RootElement.GetProperty("code").GetString());
        Assert.Equal(401, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal($"urn:zeropath:problem:{code}", body.RootElement.GetProperty("type").GetString());
        if (secret is not null)
        {
            AssertNoSecret(response, secret);
        }
    }

    [Fact]
    public async Task A_check_without_http_attributes_is_denied_missing_credentials_not_a_grpc_error()
    {
        foreach (var request in new[] { new CheckRequest(), new CheckRequest { Attributes = new AttributeContext() }, new CheckRequest { Attributes = new AttributeContext { Request = new() } } })
        {
            var response = await fixture.Client.CheckAsync(request);

            Assert.Equal(Unauthenticated, response.Status.Code);
            Assert.Equal(EnvoyStatus.Unauthorized, response.DeniedResponse.Status.Code);
            using var body = JsonDocument.Parse(response.DeniedResponse.Body);
            Assert.Equal("missing_credentials", body.RootElement.GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task A_locked_token_is_429_resource_exhausted_with_retry_after_where_auth_check_says_401()
    {
        var (_, token) = await fixture.IssueAsync();
        for (var i = 0; i < FailureLimitFixture.MaxFailures; i++)
        {
            var wrong = await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(token.TokenId, TestSecrets.WrongSecret(token.TokenId)));
            Assert.Equal(Unauthenticated, wrong.Status.Code);
        }

        var response = await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(token.TokenId, token.Secret));

        Assert.Equal(8, response.Status.Code);
        Assert.Equal("too_many_failures", response.Status.Message);
        Assert.Equal(EnvoyStatus.TooManyRequests, response.DeniedResponse.Status.Code);
        var headers = response.DeniedResponse.Headers.ToDictionary(h => h.Header.Key, h => h.Header.Value);
        Assert.True(int.Parse(headers["retry-after"], CultureInfo.InvariantCulture) >= 1);
        Assert.DoesNotContain("www-authenticate", headers.Keys);
        AssertNoSecret(response, token.Secret);

        using var http = new HttpClient { BaseAddress = fixture.HttpAddress };
        using var check = await http.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/auth/check", token.TokenId, token.Secret));
        await GatewayProblemAssert.IsProblemAsync(check, HttpStatusCode.Unauthorized, "too_many_failures");
    }

    [Theory]
    [InlineData("valid")]
    [MemberData(nameof(Refusals))]
    public async Task The_decision_and_its_answer_are_those_of_auth_check_for_the_same_request(string refusal)
    {
        var (id, secret, code) = refusal == "valid" ? await ValidAsync() : await CredentialsForAsync(refusal);
        using var http = new HttpClient { BaseAddress = fixture.HttpAddress };
        var httpRequest = GatewayFixture.Request(HttpMethod.Get, "/auth/check/api/v1/scans", id, secret);
        httpRequest.Headers.TryAddWithoutValidation("X-ZeroPath-Org_Id", "victim");

        using var viaHttp = await http.SendAsync(httpRequest);
        var viaGrpc = await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(id, secret, ("x-zeropath-org_id", "victim")));

        if (code == "ok")
        {
            Assert.Equal(HttpStatusCode.OK, viaHttp.StatusCode);
            Assert.Equal(0, viaGrpc.Status.Code);
            var set = viaGrpc.OkResponse.Headers.ToDictionary(h => h.Header.Key, h => h.Header.Value);
            foreach (var name in TokenHeaders.Identity)
            {
                Assert.Equal(Assert.Single(viaHttp.Headers.GetValues(name)), set[name.ToLowerInvariant()]);
            }

            Assert.Contains(TokenHeaders.IdentitySignature.ToLowerInvariant(), set.Keys);
            Assert.True(viaHttp.Headers.Contains(TokenHeaders.IdentitySignature));
            Assert.Equal(
                Assert.Single(viaHttp.Headers.GetValues(Gateway.Authentication.ForwardAuth.HeadersToRemoveHeader)).Split(", ").Order(StringComparer.Ordinal),
                viaGrpc.OkResponse.HeadersToRemove.Order(StringComparer.Ordinal));
            return;
        }

        var denied = viaGrpc.DeniedResponse;
        Assert.Equal((int)viaHttp.StatusCode, (int)denied.Status.Code);
        var headers = denied.Headers.ToDictionary(h => h.Header.Key, h => h.Header.Value);
        Assert.Equal(viaHttp.Content.Headers.ContentType!.ToString(), headers["content-type"]);
        Assert.Equal(viaHttp.Headers.WwwAuthenticate.ToString(), headers["www-authenticate"]);
        Assert.Equal(viaHttp.Headers.CacheControl!.ToString(), headers["cache-control"]);
        Assert.Equal(WithoutTraceId(await viaHttp.Content.ReadAsStringAsync()), WithoutTraceId(denied.Body));
        Assert.Equal(code, JsonDocument.Parse(denied.Body).RootElement.GetProperty("code").GetString());
    }

    private async Task<(Guid? Id, string? Secret, string Code)> ValidAsync()
    {
        var (_, token) = await fixture.IssueAsync();
        return (token.TokenId, token.Secret, "ok");
    }

    /// <summary>Credentials refused for the reason named, and the code the refusal carries.</summary>
    private async Task<(Guid? Id, string? Secret, string Code)> CredentialsForAsync(string refusal)
    {
        switch (refusal)
        {
            case "missing":
                return (null, null, "missing_credentials");
            case "id only":
                return (Guid.NewGuid(), null, "missing_credentials");
            case "secret only":
                {
                    var (_, token) = await fixture.IssueAsync();
                    return (null, token.Secret, "missing_credentials");
                }

            case "malformed secret":
                {
                    var (_, token) = await fixture.IssueAsync();
                    return (token.TokenId, TestSecrets.OneCharacterChanged(token.Secret), "malformed_credentials");
                }

            case "unknown id":
                return (Guid.NewGuid(), TestSecrets.UnderKeyId("zz"), "invalid_token");
            case "wrong secret":
                {
                    var (_, token) = await fixture.IssueAsync();
                    return (token.TokenId, TestSecrets.WrongSecret(token.TokenId), "invalid_token");
                }

            case "revoked":
                {
                    var (org, token) = await fixture.IssueAsync();
                    Assert.NotNull(await org.RevokeToken(token.TokenId, "ext_authz test"));
                    return (token.TokenId, token.Secret, "invalid_token");
                }

            case "expired":
                {
                    // Only this token expires within the day moved on: the others are issued for 30 days.
                    var (_, token) = await fixture.IssueAsync(days: 1);
                    fixture.Silo.Clock.Advance(TimeSpan.FromDays(1));
                    return (token.TokenId, token.Secret, "token_expired");
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(refusal), refusal, null);
        }
    }

    private static string WithoutTraceId(string body) => JsonSerializer.Serialize(
        JsonDocument.Parse(body).RootElement.EnumerateObject().Where(p => p.Name != "traceId").ToDictionary(p => p.Name, p => p.Value.ToString()));

    /// <summary>Nowhere in the answer: its protobuf bytes, its JSON form, any header or body.</summary>
    private static void AssertNoSecret(CheckResponse response, string secret)
    {
        var needles = SecretSearch.Needles([secret]);
        Assert.Null(SecretSearch.FoundIn(JsonFormatter.Default.Format(response), needles));
        Assert.Null(SecretSearch.FoundIn(System.Text.Encoding.Latin1.GetString(response.ToByteArray()), needles));
    }
}

/// <summary>The cluster gone: a check it would have to answer is a 503 UNAVAILABLE denial, never an allow or a gRPC error.</summary>
public class ExtAuthzGrpcClusterDownTests : IAsyncLifetime
{
    private readonly ExtAuthzGrpcFixture fixture = new();

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task Without_the_cluster_a_check_is_denied_503_unavailable_with_retry_after_and_no_secret_was_logged()
    {
        var (_, valid) = await fixture.IssueAsync();
        var (_, unvalidated) = await fixture.IssueAsync();
        var wrong = TestSecrets.WrongSecret(valid.TokenId);
        Assert.Equal(0, (await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(valid.TokenId, valid.Secret))).Status.Code);
        Assert.Equal(16, (await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(valid.TokenId, wrong))).Status.Code);
        await fixture.StopSiloAsync();

        var response = await fixture.Client.CheckAsync(ExtAuthzGrpcFixture.Request(unvalidated.TokenId, unvalidated.Secret));

        Assert.Equal(14, response.Status.Code);
        Assert.Equal("cluster_unavailable", response.Status.Message);
        var denied = response.DeniedResponse;
        Assert.Equal(EnvoyStatus.ServiceUnavailable, denied.Status.Code);
        var headers = denied.Headers.ToDictionary(h => h.Header.Key, h => h.Header.Value);
        Assert.Equal("1", headers["retry-after"]);
        Assert.Equal("application/problem+json", headers["content-type"]);
        using var body = JsonDocument.Parse(denied.Body);
        Assert.Equal("cluster_unavailable", body.RootElement.GetProperty("code").GetString());
        Assert.Equal(503, body.RootElement.GetProperty("status").GetInt32());

        // The capture is real (gRPC's own Debug/Trace entries arrived, and the cluster failure with its exception); none
        // holds a secret.
        var logs = fixture.Logs.Logs;
        Assert.Contains(logs, l => l.Category.StartsWith("Grpc.AspNetCore", StringComparison.Ordinal) && l.Level is LogLevel.Trace or LogLevel.Debug);
        Assert.Contains(logs, l => l.Category.EndsWith(".TokenAuthenticator", StringComparison.Ordinal) && l.Exception is not null);
        var needles = SecretSearch.Needles([valid.Secret, unvalidated.Secret, wrong]);
        var leaks = logs.Where(l => new[] { l.Message, l.Exception }.Concat(l.Values).Any(part => SecretSearch.FoundIn(part, needles) is not null)).ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} log entries hold a secret:\n{string.Join('\n', leaks)}");
    }
}
