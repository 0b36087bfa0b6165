using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

/// <summary>A self-signed certificate for 127.0.0.1, made by the test, written as PEM files.</summary>
public sealed class TestCertificate : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("zeropath-tls-").FullName;

    public TestCertificate()
        : this(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30))
    {
    }

    public TestCertificate(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=zeropath-admin-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        Certificate = request.CreateSelfSigned(notBefore, notAfter);
        CertificatePath = Path.Combine(folder, "admin.crt");
        KeyPath = Path.Combine(folder, "admin.key");
        File.WriteAllText(CertificatePath, Certificate.ExportCertificatePem());
        File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());
    }

    public X509Certificate2 Certificate { get; }

    public string CertificatePath { get; }

    public string KeyPath { get; }

    public string Folder => folder;

    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ZeroPath:Admin:Tls:CertificatePath"] = CertificatePath,
        ["ZeroPath:Admin:Tls:KeyPath"] = KeyPath,
    };

    /// <summary>A client that trusts exactly this certificate.</summary>
    public HttpClient TrustingClient(Uri address) => new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(Certificate.RawData) },
    })
    { BaseAddress = address };

    public void Dispose()
    {
        Certificate.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}

public sealed class TlsSilo : IDisposable
{
    public TlsSilo()
    {
        Certificate = new TestCertificate();
        Silo = KestrelSilo.Start("https", Certificate.Settings);
    }

    public TestCertificate Certificate { get; }

    public KestrelSilo Silo { get; }

    public void Dispose()
    {
        Silo.Dispose();
        Certificate.Dispose();
    }
}

public class AdminTlsTests(TlsSilo tls) : IClassFixture<TlsSilo>
{
    [Fact]
    public async Task With_a_certificate_configured_the_admin_API_answers_over_https_to_a_client_that_trusts_it()
    {
        using var client = tls.Certificate.TrustingClient(tls.Silo.Address);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SiloFactory.AdminKey);

        using var response = await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_cannot_connect_and_plain_http_gets_nothing()
    {
        using var untrusting = new HttpClient { BaseAddress = tls.Silo.Address };
        using var plain = new HttpClient { BaseAddress = new UriBuilder(tls.Silo.Address) { Scheme = "http" }.Uri };

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/healthz"));
        Assert.IsType<AuthenticationException>(refused.InnerException);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync("/healthz"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Kestrel_refuses_a_body_over_64_KiB_with_413_problem_json_whether_declared_or_chunked(bool chunked)
    {
        using var client = tls.Certificate.TrustingClient(tls.Silo.Address);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SiloFactory.AdminKey);
        var body = Encoding.UTF8.GetBytes("{\"reason\":\"" + new string('r', 70_000) + "\"}");
        HttpContent content = chunked ? new StreamContent(new ChunkedStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await client.PostAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/revoke", content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body_too_large");
    }

    private sealed class ChunkedStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

public class AdminTlsSettingsTests
{
    private static InvalidOperationException StartFails(IReadOnlyDictionary<string, string?> settings)
    {
        using var silo = new SiloFactory { Overrides = settings };
        return Assert.IsType<InvalidOperationException>(Assert.ThrowsAny<Exception>(() => silo.CreateClient()).GetBaseException());
    }

    [Theory]
    [InlineData("CertificatePath", "ZeroPath__Admin__Tls__CertificatePath")]
    [InlineData("KeyPath", "ZeroPath__Admin__Tls__KeyPath")]
    public void A_missing_file_stops_start_up_naming_the_setting(string setting, string environmentVariable)
    {
        using var certificate = new TestCertificate();
        var settings = new Dictionary<string, string?>(certificate.Settings) { [$"ZeroPath:Admin:Tls:{setting}"] = Path.Combine(certificate.Folder, "absent.pem") };

        var error = StartFails(settings);

        Assert.Contains($"ZeroPath:Admin:Tls:{setting}", error.Message, StringComparison.Ordinal);
        Assert.Contains(environmentVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_one_of_the_two_files_stops_start_up_naming_the_other()
    {
        using var certificate = new TestCertificate();

        var error = StartFails(new Dictionary<string, string?> { ["ZeroPath:Admin:Tls:CertificatePath"] = certificate.CertificatePath });

        Assert.Contains("ZeroPath:Admin:Tls:KeyPath", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a certificate")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    public void A_file_that_is_not_a_PEM_certificate_stops_start_up(string content)
    {
        using var certificate = new TestCertificate();
        File.WriteAllText(certificate.CertificatePath, content);

        var error = StartFails(certificate.Settings);

        Assert.Contains("ZeroPath:Admin:Tls:CertificatePath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_is_not_the_certificates_stops_start_up()
    {
        using var certificate = new TestCertificate();
        using var other = new TestCertificate();

        var error = StartFails(new Dictionary<string, string?>(certificate.Settings) { ["ZeroPath:Admin:Tls:KeyPath"] = other.KeyPath });

        Assert.Contains("ZeroPath:Admin:Tls:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("KeyPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_certificate_stops_start_up()
    {
        using var certificate = new TestCertificate(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));

        var error = StartFails(certificate.Settings);

        Assert.Contains("ZeroPath:Admin:Tls:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("valid only from", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_TLS_on_a_plain_http_address_stops_start_up()
    {
        using var certificate = new TestCertificate();

        var error = StartFails(new Dictionary<string, string?>(certificate.Settings) { ["Urls"] = "http://127.0.0.1:8081" });

        Assert.Contains("https://", error.Message, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:8081", error.Message, StringComparison.Ordinal);
    }
}
