using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

/// <summary>
/// Checks <c>Authorization: Bearer &lt;key&gt;</c> against the accepted admin keys (the current one, and the next one
/// while rotating) in constant time: SHA-256 digests of the presented and each accepted key, compared with a
/// fixed-time comparison, every key compared every time.
/// </summary>
public sealed class AdminKeys
{
    private const string Scheme = "Bearer";
    private readonly byte[][] digests;
    private readonly Counter<long> authentications;

    public AdminKeys(AdminApiOptions options, IMeterFactory meters)
    {
        digests = [.. options.AcceptedKeys().Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];
        authentications = meters.Create(ZeroPathTelemetry.MeterName).CreateCounter<long>(
            "zeropath.admin.authentications",
            "{request}",
            "Admin API requests by the key they authenticated with (key, next_key) or none: during a rotation, says when the old key is no longer used.");
    }

    /// <summary>Which key the header carries: <c>key</c>, <c>next_key</c>, or null for anything else (absent, repeated, another scheme, a wrong key).</summary>
    public string? Authenticate(StringValues authorization)
    {
        var slot = Match(authorization);
        authentications.Add(1, new KeyValuePair<string, object?>("zeropath.admin.key", slot ?? "none"));
        return slot;
    }

    private string? Match(StringValues authorization)
    {
        // One header, "Bearer" in any case, at least one space, the key; surrounding whitespace is ignored.
        if (authorization.Count != 1 || authorization[0] is not { } header)
        {
            return null;
        }

        var value = header.AsSpan().Trim();
        if (value.Length <= Scheme.Length || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || value[Scheme.Length] != ' ')
        {
            return null;
        }

        var presented = value[Scheme.Length..].Trim(' ');
        if (presented.Length == 0 || presented.Length > AdminApiOptions.MaxKeyLength)
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, digest);
        var matched = -1;
        for (var i = 0; i < digests.Length; i++)
        {
            // Every accepted key is compared, whichever matches, so the time taken says nothing about which.
            if (CryptographicOperations.FixedTimeEquals(digest, digests[i]))
            {
                matched = i;
            }
        }

        return matched switch
        {
            0 => "key",
            1 => "next_key",
            _ => null,
        };
    }
}
