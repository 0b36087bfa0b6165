using ZeroPath.Testing;

namespace ZeroPath.Gateway.Tests.Caching;

public class EdgeSettingsTests
{
    [Theory]
    [InlineData("ZeroPath:Gateway:Cache:ConfirmEvery", "00:00:05", "ZeroPath:Gateway:Cache:ConfirmEvery")]
    [InlineData("ZeroPath:Gateway:Cache:MaxStaleness", "00:00:00.050", "ZeroPath:Gateway:Cache:MaxStaleness")]
    [InlineData("ZeroPath:Gateway:Cache:MaxEntries", "0", "ZeroPath:Gateway:Cache:MaxEntries")]
    [InlineData("ZeroPath:Gateway:Cache:MaxRefusedIds", "0", "ZeroPath:Gateway:Cache:MaxRefusedIds")]
    [InlineData("ZeroPath:Gateway:Cache:UnknownIdTtl", "00:00:00", "ZeroPath:Gateway:Cache:UnknownIdTtl")]
    [InlineData("ZeroPath:Gateway:Cache:EndedIdTtl", "30.00:00:00", "ZeroPath:Gateway:Cache:EndedIdTtl")]
    [InlineData("ZeroPath:SecretFormat:Keys:t1", "not base64", "ZeroPath:SecretFormat:Keys:t1")]
    [InlineData("ZeroPath:SecretFormat:Keys:t2", "c2hvcnQ=", "ZeroPath:SecretFormat:Keys:t2")]
    [InlineData("ZeroPath:SecretFormat:Keys:x", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "ZeroPath:SecretFormat:Keys:x")]
    public void A_wrong_cache_or_format_setting_stops_the_gateway_at_start_up_naming_it(string key, string value, string named)
    {
        using var gateway = new GatewayFactory(
        [
            new("ZeroPath:Cluster:ClusterId", "settings-test"),
            new("ZeroPath:Cluster:ServiceId", "settings-test"),
            new("ZeroPath:Cluster:Redis", "127.0.0.1:1"),
            new("ZeroPath:Upstreams:V1", "http://127.0.0.1:1"),
            new("ZeroPath:Upstreams:V2", "http://127.0.0.1:1"),
            .. TestSettings.SecretFormat,
            .. TestCertificates.Settings(ZeroPath.ServiceDefaults.ClusterSecurity.ClusterRole.Gateway),
            new(key, value),
        ]);

        var error = Assert.ThrowsAny<Exception>(() => gateway.CreateClient());

        var configuration = Assert.IsType<InvalidOperationException>(error.GetBaseException());
        Assert.StartsWith("Invalid configuration:", configuration.Message, StringComparison.Ordinal);
        Assert.Contains(named, configuration.Message, StringComparison.Ordinal);
    }
}
