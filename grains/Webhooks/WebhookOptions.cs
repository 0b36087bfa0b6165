using System.Security.Cryptography;
using System.Text;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Webhooks;

/// <summary>
/// Section <c>ZeroPath:Webhooks</c>. <c>SigningKey</c> (base64, at least 32 bytes, the same on every silo) derives each
/// webhook's signing secret; without it webhooks cannot be registered and nothing is delivered. The rest shape delivery.
/// </summary>
public sealed class WebhookOptions
{
    public const string SectionName = "ZeroPath:Webhooks";
    public const int MinKeyBytes = 32;

    public string SigningKey { get; set; } = "";

    /// <summary>The wait after a first failed attempt; each further failure doubles it up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A delivery is given up after this many attempts, or when its next attempt would fall past <see cref="GiveUpAfter"/>.</summary>
    public int MaxAttempts { get; set; } = 20;

    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long one attempt may take, connection included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an organization with deliveries owed looks for due ones.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often an organization with a <c>token.expiring</c> webhook looks for tokens to warn about.</summary>
    public TimeSpan ExpiringSweepPeriod { get; set; } = TimeSpan.FromHours(1);

    public IEnumerable<(string Key, string Problem)> Problems()
    {
        if (SigningKey.Length > 0 && KeyText.DecodeBase64(SigningKey) is not { Length: >= MinKeyBytes })
        {
            yield return (nameof(SigningKey), $"must be base64 of at least {MinKeyBytes} random bytes (openssl rand -base64 32) when set.");
        }

        if (FirstRetryDelay <= TimeSpan.Zero || MaxRetryDelay < FirstRetryDelay)
        {
            yield return (nameof(FirstRetryDelay), "must be positive and at most MaxRetryDelay.");
        }

        if (MaxAttempts is < 1 or > 100)
        {
            yield return (nameof(MaxAttempts), "must be from 1 to 100.");
        }

        if (GiveUpAfter <= TimeSpan.Zero || Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(1)
            || PollInterval <= TimeSpan.Zero || ExpiringSweepPeriod < TimeSpan.FromMinutes(1))
        {
            yield return (nameof(Timeout), "GiveUpAfter and PollInterval must be positive, Timeout at most a minute, ExpiringSweepPeriod at least a minute.");
        }
    }

    /// <summary>The wait before the attempt after <paramref name="failedAttempts"/> failures: doubling from the first delay, capped.</summary>
    public TimeSpan RetryDelay(int failedAttempts)
    {
        var delay = FirstRetryDelay;
        for (var i = 1; i < failedAttempts && delay < MaxRetryDelay; i++)
        {
            delay *= 2;
        }

        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }
}

/// <summary>
/// Derives webhook signing secrets and signs deliveries. A webhook's secret is HMAC-SHA256(signing key,
/// "{organization}/{webhook id}"), so no secret is stored: it is shown once at registration and derived again to sign.
/// </summary>
public sealed class WebhookSigner
{
    public const string SignatureHeader = "ZeroPath-Signature";
    public const string EventIdHeader = "ZeroPath-Event-Id";
    public const string SecretPrefix = "whsec_";

    private readonly byte[]? key;

    public WebhookSigner(WebhookOptions options) => key = KeyText.DecodeBase64(options.SigningKey);

    /// <summary>False when no signing key is configured: webhooks can then be neither registered nor delivered.</summary>
    public bool Enabled => key is not null;

    public string Secret(string organizationId, Guid webhookId)
    {
        var mac = HMACSHA256.HashData(
            key ?? throw new InvalidOperationException("No webhook signing key is configured."),
            Encoding.UTF8.GetBytes($"{organizationId}/{webhookId:D}"));
        return SecretPrefix + System.Buffers.Text.Base64Url.EncodeToString(mac);
    }

    /// <summary>The <c>ZeroPath-Signature</c> value: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "t.body")&gt;</c>.</summary>
    public static string Signature(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return $"t={unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(hmac.GetHashAndReset())}";
    }
}
