using System.Globalization;
using System.Net;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Cluster;

/// <summary>Membership in a Redis that wants a password, or TLS with a private CA: real redis-server processes.</summary>
public class RedisSecurityTests
{
    [Fact]
    public async Task A_silo_joins_through_a_password_protected_Redis_with_the_password_from_its_own_setting()
    {
        const string password = "test-redis-password-0123456789";
        await using var redis = await TestServers.StartRedisAsync(password: password);

        await using (var silo = SiloOn($"127.0.0.1:{redis.Port},abortConnect=false", new() { ["ZeroPath:Cluster:RedisPassword"] = password }))
        {
            Assert.Equal(HttpStatusCode.OK, await ReadinessAsync(silo));
        }

        await using var wrong = SiloOn($"127.0.0.1:{redis.Port},abortConnect=false", new() { ["ZeroPath:Cluster:RedisPassword"] = "wrong-password-0123456789" });
        Assert.NotEqual(HttpStatusCode.OK, await ReadinessAsync(wrong));
    }

    [Fact]
    public async Task A_silo_joins_through_Redis_over_TLS_trusting_only_the_configured_CA()
    {
        var folder = TestCertificates.Folder;
        await using var redis = await TestServers.StartRedisAsync(arguments: port =>
        [
            "--port", "0", "--tls-port", port.ToString(CultureInfo.InvariantCulture),
            "--tls-cert-file", Path.Combine(folder, "redis.pem"), "--tls-key-file", Path.Combine(folder, "redis.key"),
            "--tls-ca-cert-file", Path.Combine(folder, "ca.pem"), "--tls-auth-clients", "no",
        ]);
        var connection = $"127.0.0.1:{redis.Port},abortConnect=false";

        await using (var silo = SiloOn(connection, new() { ["ZeroPath:Cluster:RedisTls"] = "true", ["ZeroPath:Cluster:RedisCaCertificatePath"] = Path.Combine(folder, "ca.pem") }))
        {
            Assert.Equal(HttpStatusCode.OK, await ReadinessAsync(silo));
        }

        // The machine's trust store does not know the test CA, so TLS without it must not connect.
        await using var untrusting = SiloOn(connection, new() { ["ZeroPath:Cluster:RedisTls"] = "true" });
        Assert.NotEqual(HttpStatusCode.OK, await ReadinessAsync(untrusting));
    }

    private static SiloFactory SiloOn(string redis, Dictionary<string, string?> settings)
    {
        settings["ZeroPath:Cluster:Redis"] = redis;
        // A silo that cannot reach membership keeps trying; do not wait minutes for it to give up.
        settings["ZeroPath:Silo:Membership:MaxJoinAttemptTime"] = "00:00:15";
        return new SiloFactory { Overrides = settings };
    }

    /// <summary>/readyz within 30 s, or the failure: a silo that cannot use membership never gets ready or fails to start.</summary>
    private static async Task<HttpStatusCode?> ReadinessAsync(SiloFactory silo)
    {
        try
        {
            using var client = silo.CreateClient();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            HttpStatusCode status;
            do
            {
                status = (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode;
            }
            while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline && await Delay());
            return status;
        }
        catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
        {
            return null;
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(250);
        return true;
    }
}
