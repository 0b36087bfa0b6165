using System.Text;
using ZeroPath.Grains.Webhooks;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Webhooks;

public class WebhookRulesTests
{
    [Fact]
    public void Retries_wait_ten_seconds_then_double_up_to_six_hours()
    {
        var options = new WebhookOptions();

        var delays = Enumerable.Range(1, 14).Select(options.RetryDelay).ToArray();

        Assert.Equal(TimeSpan.FromSeconds(10), delays[0]);
        Assert.Equal(TimeSpan.FromSeconds(20), delays[1]);
        Assert.Equal(TimeSpan.FromSeconds(10 * 1024), delays[10]);
        Assert.Equal(TimeSpan.FromSeconds(10 * 2048), delays[11]);
        Assert.Equal(TimeSpan.FromHours(6), delays[12]);
        Assert.Equal(TimeSpan.FromHours(6), delays[13]);
    }

    [Theory]
    [InlineData("https://hooks.example.com/zeropath?x=1", null)]
    [InlineData("http://127.0.0.1:8080/h", null)]
    [InlineData("ftp://example.com/h", "absolute")]
    [InlineData("/relative", "absolute")]
    [InlineData("", "absolute")]
    [InlineData("https://user:pass@example.com/h", "user name")]
    [InlineData("https://example.com/h#frag", "fragment")]
    [InlineData("https://exa mple.com/h", "absolute")]
    public void Webhook_urls_are_absolute_http_without_credentials_or_fragment(string url, string? problem)
    {
        var found = WebhookRules.UrlProblem(url);

        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_signature_is_hex_hmac_sha256_of_time_dot_body_under_the_derived_secret()
    {
        var signer = new WebhookSigner(new WebhookOptions { SigningKey = TestSettings.Webhooks["ZeroPath:Webhooks:SigningKey"]! });
        var webhookId = Guid.NewGuid();
        var secret = signer.Secret("acme", webhookId);
        var body = "{\"id\":\"acme/1\"}";

        var header = WebhookSigner.Signature(secret, 1_900_000_000, Encoding.UTF8.GetBytes(body));

        Assert.StartsWith("t=1900000000,v1=", header, StringComparison.Ordinal);
        Assert.True(WebhookReceiver.SignatureValid(header, body, secret));
        Assert.False(WebhookReceiver.SignatureValid(header, body, signer.Secret("acme", Guid.NewGuid())));
        Assert.Equal(secret, signer.Secret("acme", webhookId));
        Assert.NotEqual(secret, signer.Secret("acme2", webhookId));
        Assert.StartsWith(WebhookSigner.SecretPrefix, secret, StringComparison.Ordinal);
        Assert.False(new WebhookSigner(new WebhookOptions()).Enabled);
    }

    [Fact]
    public void A_short_signing_key_is_a_configuration_problem()
    {
        Assert.NotEmpty(new WebhookOptions { SigningKey = Convert.ToBase64String(new byte[16]) }.Problems());
        Assert.Empty(new WebhookOptions().Problems());
    }
}
