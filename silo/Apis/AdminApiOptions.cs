using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

/// <summary>
/// The admin API's settings, section <c>ZeroPath:Admin</c>: its bearer keys (<c>Key</c>, and <c>NextKey</c> while
/// rotating; or the environment variables <c>ZP_ADMIN_KEY</c> and <c>ZP_ADMIN_KEY_NEXT</c>), the limit on failed
/// authentications per client address, and an optional TLS certificate.
/// </summary>
public sealed class AdminApiOptions
{
    public const string SectionName = "ZeroPath:Admin";
    public const string EnvironmentVariable = "ZP_ADMIN_KEY";
    public const string NextKeyEnvironmentVariable = "ZP_ADMIN_KEY_NEXT";
    public const int MinKeyLength = 16;
    public const int MaxKeyLength = 1024;

    /// <summary>The largest request body any admin route accepts: 64 KiB (the largest real body, 100 permissions of 64 characters, is about 6.7 KB).</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    /// <summary>The key clients use now. Required.</summary>
    public string Key { get; set; } = "";

    /// <summary>A second key accepted as well, only while rotating to it; empty otherwise.</summary>
    public string NextKey { get; set; } = "";

    public FailedAuthenticationOptions FailedAuthentication { get; set; } = new();

    public AdminTlsOptions Tls { get; set; } = new();

    /// <summary>Binds the section; a key left empty there is taken from its environment variable. Keys are trimmed.</summary>
    public static AdminApiOptions Load(StartupSettings settings, IConfiguration configuration)
    {
        var options = settings.Bind<AdminApiOptions>(SectionName);
        options.Key = (string.IsNullOrEmpty(options.Key) ? configuration[EnvironmentVariable] ?? "" : options.Key).Trim();
        options.NextKey = (string.IsNullOrEmpty(options.NextKey) ? configuration[NextKeyEnvironmentVariable] ?? "" : options.NextKey).Trim();
        return options;
    }

    /// <summary>The keys a request may present: <see cref="Key"/>, then <see cref="NextKey"/> if set.</summary>
    public IReadOnlyList<string> AcceptedKeys() => NextKey.Length > 0 ? [Key, NextKey] : [Key];

    public void Validate(StartupSettings settings)
    {
        // Messages name the setting, never its value: a key must not reach a log even when it is wrong.
        if (string.IsNullOrEmpty(Key))
        {
            settings.Fail(SectionName, nameof(Key), $"is required: the admin API's bearer key, at least {MinKeyLength} characters (or set {EnvironmentVariable}).");
        }
        else
        {
            ValidateKey(settings, nameof(Key), EnvironmentVariable, Key);
        }

        if (NextKey.Length > 0)
        {
            ValidateKey(settings, nameof(NextKey), NextKeyEnvironmentVariable, NextKey);
            if (string.Equals(NextKey, Key, StringComparison.Ordinal))
            {
                settings.Fail(SectionName, nameof(NextKey), $"must differ from {nameof(Key)} ({NextKeyEnvironmentVariable} likewise): it is the key being rotated to.");
            }
        }

        FailedAuthentication.Validate(settings);
    }

    private static void ValidateKey(StartupSettings settings, string name, string variable, string key)
    {
        if (key.Length is < MinKeyLength or > MaxKeyLength)
        {
            settings.Fail(SectionName, name, $"must be {MinKeyLength}–{MaxKeyLength} characters ({variable} likewise; was {key.Length}).");
        }
        else if (!key.All(c => c is > ' ' and <= '~'))
        {
            // What a client can send in an Authorization header unchanged: visible ASCII, no spaces.
            settings.Fail(SectionName, name, $"must be printable ASCII without spaces ({variable} likewise).");
        }
    }
}

/// <summary>
/// Section <c>ZeroPath:Admin:FailedAuthentication</c>: after <see cref="MaxFailures"/> failed authentications from one
/// client address within <see cref="Window"/> (which starts at the first failure), that address is answered 429 until
/// the window ends, without its key being checked.
/// </summary>
public sealed class FailedAuthenticationOptions
{
    public const string SectionName = AdminApiOptions.SectionName + ":FailedAuthentication";

    public int MaxFailures { get; set; } = 10;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many client addresses are tracked at most (about 100 bytes each); the oldest window is forgotten first.</summary>
    public int MaxTrackedAddresses { get; set; } = 10_000;

    public void Validate(StartupSettings settings)
    {
        settings.RequireRange(SectionName, nameof(MaxFailures), MaxFailures, 1, 1_000_000);
        settings.RequireRange(SectionName, nameof(MaxTrackedAddresses), MaxTrackedAddresses, 1, 10_000_000);
        if (Window < TimeSpan.FromSeconds(1) || Window > TimeSpan.FromHours(24))
        {
            settings.Fail(SectionName, nameof(Window), $"must be from 00:00:01 to 1.00:00:00 (was {Window}).");
        }
    }
}

/// <summary>
/// Section <c>ZeroPath:Admin:Tls</c>: a PEM certificate (chain allowed) and its unencrypted PEM private key. When set,
/// the silo's HTTP endpoints (the admin API and the probes) are served over HTTPS with it, and every address in
/// <c>Urls</c> must be <c>https://</c>.
/// </summary>
public sealed class AdminTlsOptions
{
    public const string SectionName = AdminApiOptions.SectionName + ":Tls";

    public string CertificatePath { get; set; } = "";

    public string KeyPath { get; set; } = "";

    public bool Enabled => CertificatePath.Length > 0 || KeyPath.Length > 0;

    /// <summary>Loads the certificate with its key, or records why it cannot be loaded and returns null.</summary>
    public X509Certificate2? Load(StartupSettings settings, TimeProvider clock)
    {
        if (!Enabled)
        {
            return null;
        }

        var certificateReadable = RequireFile(settings, nameof(CertificatePath), CertificatePath, "the admin API's PEM certificate");
        var keyReadable = RequireFile(settings, nameof(KeyPath), KeyPath, "the PEM private key of the admin API's certificate");
        if (!certificateReadable || !keyReadable)
        {
            return null;
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException)
        {
            // Also a key that is not the certificate's: CreateFromPemFile checks that they match.
            settings.Fail(SectionName, nameof(CertificatePath), $"and {nameof(KeyPath)} do not hold a PEM certificate and its matching unencrypted PEM private key ({exception.Message}).");
            return null;
        }

        if (!certificate.HasPrivateKey)
        {
            settings.Fail(SectionName, nameof(KeyPath), "does not hold the certificate's private key.");
        }

        var now = clock.GetUtcNow();
        if (now.UtcDateTime < certificate.NotBefore.ToUniversalTime() || now.UtcDateTime > certificate.NotAfter.ToUniversalTime())
        {
            settings.Fail(SectionName, nameof(CertificatePath), $"holds a certificate valid only from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}.");
        }

        return certificate;
    }

    /// <summary>With TLS on, a plain <c>http://</c> address would serve the admin key in clear: refused.</summary>
    public void RequireHttpsUrls(StartupSettings settings, string? urls)
    {
        var plain = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        if (plain.Length > 0)
        {
            settings.Fail(SectionName, nameof(CertificatePath), $"is set, so every address in Urls (ASPNETCORE_URLS) must be https:// (found {string.Join(", ", plain)}).");
        }
    }

    private static bool RequireFile(StartupSettings settings, string key, string path, string meaning)
    {
        if (!settings.RequireText(SectionName, key, path, meaning))
        {
            return false;
        }

        if (!File.Exists(path))
        {
            settings.Fail(SectionName, key, $"names a file that does not exist or cannot be read ({path}).");
            return false;
        }

        return true;
    }
}
