using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace ZeroPath.Tokens;

/// <summary>The input rules every layer agrees on: the admin API rejects with 400, grains refuse as a programming error.</summary>
public static class TokenRules
{
    public const int MinExpiresInDays = 1;
    public const int MaxExpiresInDays = 365;
    public const int DefaultExpiresInDays = 30;
    public const int MaxNameLength = 100;
    public const int MaxIdLength = 64;
    public const int MaxPermissionLength = 64;
    public const int MaxPermissions = 100;

    /// <summary>Most address ranges one token may be limited to.</summary>
    public const int MaxAllowedCidrs = 32;

    /// <summary>Slowest token rate limit: one request per 100 seconds.</summary>
    public const double MinRequestsPerSecond = 0.01;

    /// <summary>Fastest token rate limit.</summary>
    public const double MaxRequestsPerSecond = 100_000;

    /// <summary>Largest burst of a token rate limit.</summary>
    public const int MaxBurst = 1_000_000;

    /// <summary>Longest text of one address range (an IPv6 address in full with a prefix is 43 characters).</summary>
    public const int MaxCidrLength = 64;

    /// <summary>Organization and user ids: 1–64 of letters, digits, '-' and '_'.</summary>
    public static bool IsValidId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Permissions travel comma-separated in a header, so they are 1–64 of letters, digits and ':', '.', '_', '-', '*'.
    /// </summary>
    public static bool IsValidPermission(ReadOnlySpan<char> permission)
    {
        if (permission.IsEmpty || permission.Length > MaxPermissionLength)
        {
            return false;
        }

        foreach (var c in permission)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is ':' or '.' or '_' or '-' or '*'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidExpiresInDays(int days) => days is >= MinExpiresInDays and <= MaxExpiresInDays;

    /// <summary>Trims a token name; null or blank means unnamed. False when the trimmed name is too long.</summary>
    public static bool TryNormalizeName(string? name, out string? normalized)
    {
        normalized = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        return normalized is null || normalized.Length <= MaxNameLength;
    }

    /// <summary>A set of permissions as stored: each once, in ordinal order.</summary>
    public static ImmutableArray<string> NormalizePermissions(IEnumerable<string> permissions) =>
        [.. permissions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// What a token may do: its owner's current permissions, narrowed to those it was created with when it was created
    /// with a subset (<paramref name="requested"/> null: all of the owner's). Permissions are compared as exact strings.
    /// A permission the owner gains later is therefore never added to a narrowed token; one the owner loses leaves it.
    /// </summary>
    public static ImmutableArray<string> EffectivePermissions(ImmutableArray<string>? requested, ImmutableArray<string> owner)
    {
        if (requested is not { } subset)
        {
            return owner;
        }

        var effective = ImmutableArray.CreateBuilder<string>(Math.Min(subset.Length, owner.Length));
        foreach (var permission in owner)
        {
            if (subset.Contains(permission, StringComparer.Ordinal))
            {
                effective.Add(permission);
            }
        }

        return effective.DrainToImmutable();
    }

    /// <summary>The first of <paramref name="requested"/> that <paramref name="held"/> lacks; null when it holds them all.</summary>
    public static string? FirstNotHeld(IEnumerable<string> requested, ImmutableArray<string> held) =>
        requested.FirstOrDefault(p => !held.Contains(p, StringComparer.Ordinal));

    /// <summary>
    /// One address range in canonical form: <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>; a single address becomes a /32 or
    /// /128. Refused: anything else (host bits set under the prefix, IPv4 in shorthand such as <c>10.1</c>, an IPv6 scope
    /// id, an IPv4-mapped IPv6 range, which would never match: client addresses are compared as IPv4).
    /// </summary>
    public static bool TryNormalizeCidr(string? text, out string canonical)
    {
        canonical = "";
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxCidrLength)
        {
            return false;
        }

        var trimmed = text.AsSpan().Trim();
        var slash = trimmed.IndexOf('/');
        var addressText = slash < 0 ? trimmed : trimmed[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || address.IsIPv4MappedToIPv6
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
            || addressText.Contains('%'))
        {
            return false;
        }

        // IPAddress also reads 10.1 and 010.0.0.1 as IPv4: only the dotted quad is meant.
        if (address.AddressFamily == AddressFamily.InterNetwork && !addressText.SequenceEqual(address.ToString()))
        {
            return false;
        }

        var maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = maxPrefix;
        if (slash >= 0)
        {
            var prefixText = trimmed[(slash + 1)..];
            if (prefixText.IsEmpty || prefixText.Length > 3 || prefixText.ContainsAnyExceptInRange('0', '9') || !int.TryParse(prefixText, out prefix) || prefix > maxPrefix)
            {
                return false;
            }
        }

        // Refuses host bits set under the prefix: 10.0.0.1/8 is a typo or a misunderstanding, not 10.0.0.0/8.
        if (!IPNetwork.TryParse($"{address}/{prefix}", out var network) || !network.BaseAddress.Equals(address))
        {
            return false;
        }

        canonical = network.ToString();
        return true;
    }

    /// <summary>
    /// A token's address ranges as stored: each canonical (<see cref="TryNormalizeCidr"/>), once, in ordinal order; 1 to
    /// <see cref="MaxAllowedCidrs"/> of them. <paramref name="invalid"/>: the first entry refused, if one was.
    /// </summary>
    public static bool TryNormalizeCidrs(IReadOnlyCollection<string?> cidrs, out ImmutableArray<string> normalized, out string? invalid)
    {
        normalized = [];
        invalid = null;
        if (cidrs.Count is 0 or > MaxAllowedCidrs)
        {
            return false;
        }

        var canonical = new List<string>(cidrs.Count);
        foreach (var cidr in cidrs)
        {
            if (!TryNormalizeCidr(cidr, out var one))
            {
                invalid = cidr ?? "null";
                return false;
            }

            canonical.Add(one);
        }

        normalized = [.. canonical.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return true;
    }

    /// <summary>True when <paramref name="cidrs"/> is a token's stored address ranges exactly as normalization leaves them.</summary>
    public static bool AreCanonicalCidrs(ImmutableArray<string> cidrs) =>
        TryNormalizeCidrs(cidrs, out var normalized, out _) && normalized.SequenceEqual(cidrs, StringComparer.Ordinal);

    /// <summary>
    /// A token rate limit: <see cref="MinRequestsPerSecond"/> to <see cref="MaxRequestsPerSecond"/> requests per second
    /// (fractions allowed: 0.5 is one every 2 seconds) and a burst of 1 to <see cref="MaxBurst"/> requests.
    /// </summary>
    public static bool IsValidRateLimit(TokenRateLimit limit) =>
        double.IsFinite(limit.RequestsPerSecond)
        && limit.RequestsPerSecond is >= MinRequestsPerSecond and <= MaxRequestsPerSecond
        && limit.Burst is >= 1 and <= MaxBurst;

    /// <summary>The burst a rate limit gets when none is given: the rate rounded up (at least 1).</summary>
    public static int DefaultBurst(double requestsPerSecond) => (int)Math.Max(1, Math.Ceiling(requestsPerSecond));
}
