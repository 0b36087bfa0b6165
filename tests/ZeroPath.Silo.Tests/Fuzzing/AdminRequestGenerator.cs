using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace ZeroPath.Silo.Tests.Fuzzing;

/// <summary>One generated admin request and what the property needs to know about it.</summary>
public sealed record FuzzRequest(
    string Method,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body,
    string? ContentType,
    bool Chunked,
    bool ValidKey,
    string Route)
{
    public override string ToString()
    {
        var body = Body is null ? "(none)" : Body.Length > 300 ? $"{Body.Length} bytes: {Show(Encoding.UTF8.GetString(Body, 0, 300))}..." : Show(Encoding.UTF8.GetString(Body));
        return $"{Method} {Show(PathAndQuery)} [{string.Join("; ", Headers.Select(h => $"{h.Key}: {Show(h.Value.Length > 100 ? h.Value[..100] + "..." : h.Value)}"))}] " +
            $"content-type={Show(ContentType ?? "(none)")} chunked={Chunked} body={body}";
    }

    private static string Show(string text) => ZeroPath.Cli.TerminalText.Escape(text);
}

/// <summary>
/// A seeded generator of admin requests, hostile and ordinary, for every admin route found in the endpoint data source:
/// route ids (valid, absent, empty, padded, non-ASCII, control characters, percent-encoding tricks, very long, UUID
/// variants), query strings, JSON bodies built from each route's request type (wrong types, missing, extra and
/// duplicated fields, huge numbers, deep nesting, invalid UTF-8, truncation), content types, actors and Authorization
/// header variants (case, whitespace, duplicates, other schemes, wrong keys). No %00 in paths: Kestrel refuses a NUL in
/// a path itself (400, before the application) and the in-process test host cannot send one.
/// </summary>
public sealed class AdminRequestGenerator
{
    private static readonly string[] OtherMethods = ["PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "get"];
    private readonly Random random;
    private readonly IReadOnlyList<RouteShape> routes;
    private readonly string[] organizations;
    private readonly string[] users = ["alice", "bob", "ci-bot", "u_1"];
    private readonly List<string> knownTokens = [];
    private readonly string validKey;
    private readonly string? nextKey;
    private bool sane;

    public AdminRequestGenerator(int seed, EndpointDataSource endpoints, string runId, string validKey, string? nextKey = null)
    {
        random = new Random(seed);
        this.validKey = validKey;
        this.nextKey = nextKey;
        organizations = [.. Enumerable.Range(0, 3).Select(i => $"fz{runId}-{i}")];
        routes = [.. endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/admin/v1/", StringComparison.Ordinal) && !e.RoutePattern.RawText.EndsWith(".json", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => new RouteShape(
                m, e.RoutePattern, e.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType)))];
        if (routes.Count == 0)
        {
            throw new InvalidOperationException("No admin routes found.");
        }
    }

    public int RouteCount => routes.Count;

    /// <summary>The organizations and users plausible requests name.</summary>
    public IEnumerable<(string Organization, string User)> Members => organizations.SelectMany(o => users.Select(u => (o, u)));

    /// <summary>Token ids seen in answers, reused so that later requests reach real tokens.</summary>
    public void Remember(Guid tokenId)
    {
        lock (knownTokens)
        {
            knownTokens.Add(tokenId.ToString());
        }
    }

    /// <summary>
    /// The next request: four in ten start well-formed (accepted key, plausible ids, a valid JSON body) and have at most
    /// one thing made wrong, so the generator reaches the grains and the successes; the rest are hostile throughout.
    /// </summary>
    public FuzzRequest Next()
    {
        sane = random.Next(10) < 4;
        var wrong = sane ? random.Next(8) : -1;
        var route = routes[random.Next(routes.Count)];
        var method = (sane ? wrong == 0 : OneIn(40)) ? Pick(OtherMethods) : route.Method;
        var path = new StringBuilder();
        foreach (var segment in route.Pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => random.Next(200) == 0 ? literal.Content.ToUpperInvariant() : literal.Content,
                    RoutePatternParameterPart parameter => RouteValue(parameter.Name, sane && wrong != 1),
                    _ => "",
                });
            }
        }

        if (sane ? wrong == 2 : OneIn(60))
        {
            // Doubled or trailing slashes, a dot segment.
            path.Append(Pick(["/", "//", "/.", "/extra"]));
        }

        var query = Query(route);
        var headers = new List<KeyValuePair<string, string>>();
        var validKey = sane && wrong != 3 ? AcceptedAuthorization(headers) : Authorization(headers);
        if (!sane || wrong == 4)
        {
            Actor(headers);
        }

        var (body, contentType, chunked) = (sane, route.RequestType) switch
        {
            (true, { } type) when wrong != 5 => (Encoding.UTF8.GetBytes(JsonFor(type)), "application/json", OneIn(4)),
            (true, null) => (null, null, false),
            _ when route.RequestType is not null || OneIn(20) => Body(route.RequestType),
            _ => (null, null, false),
        };
        return new FuzzRequest(method, path + query, headers, body, contentType, chunked, validKey, $"{route.Method} {route.Pattern.RawText}");
    }

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];

    private bool OneIn(int n) => random.Next(n) == 0;

    private string RouteValue(string name, bool plausible)
    {
        // Often a plausible value, so requests get past the id checks and reach the grains.
        if (plausible || random.Next(2) == 0)
        {
            return name switch
            {
                "orgId" => Pick(organizations),
                "userId" => Pick(users),
                "tokenId" => KnownOrRandomToken(),
                _ => "x",
            };
        }

        return name == "tokenId" && random.Next(2) == 0 ? UuidVariant() : HostileSegment();
    }

    private string KnownOrRandomToken()
    {
        lock (knownTokens)
        {
            return knownTokens.Count > 0 && random.Next(3) > 0 ? knownTokens[random.Next(knownTokens.Count)] : Guid.NewGuid().ToString();
        }
    }

    private string UuidVariant()
    {
        var id = Guid.NewGuid();
        return Pick<Func<string>>(
        [
            () => id.ToString("D").ToUpperInvariant(),
            () => id.ToString("N"),
            () => Uri.EscapeDataString(id.ToString("B")),
            () => Uri.EscapeDataString(id.ToString("P")),
            () => id.ToString("X").Replace("{", "%7B", StringComparison.Ordinal).Replace("}", "%7D", StringComparison.Ordinal),
            () => Guid.Empty.ToString(),
            () => "ffffffff-ffff-ffff-ffff-ffffffffffff",
            () => id.ToString()[..35],
            () => id + "0",
            () => "%20" + id,
            () => id + "%20",
            () => id.ToString().Replace('-', '_'),
            () => "urn:uuid:" + id,
            () => id.ToString().Replace('a', 'g'),
            () => id.ToString().Replace("-", "%2D", StringComparison.Ordinal),
            () => Uri.EscapeDataString(id.ToString().Replace('1', '\uff11')),
        ])();
    }

    private string HostileSegment() => Pick<Func<string>>(
    [
        () => "",
        () => "%20",
        () => "%20acme%20",
        () => "%09acme",
        () => "acme%0A",
        () => "%1B%5B31m",
        () => "%7F",
        () => "%C2%85",
        () => "%E2%80%AE",
        () => "%C3%BCser",
        () => Uri.EscapeDataString("日本語"),
        () => Uri.EscapeDataString("\U0001F600"),
        () => "%C3%28",
        () => "%FF%FE",
        () => "%ED%A0%80",
        () => "%",
        () => "%zz",
        () => "%2F",
        () => "a%2Fb",
        () => "..",
        () => ".",
        () => "%2E%2E",
        () => "acme;x=1",
        () => "org.dot",
        () => "a+b",
        () => "a%2Bb",
        () => new string('o', 64),
        () => new string('o', 65),
        () => new string('o', random.Next(66, 3000)),
        () => new string('o', 20_000),
        () => Uri.EscapeDataString(new string('\u00e9', 40)),
        () => "acme,acme",
        () => "*",
        () => "null",
        () => "-",
        () => "_",
        () => Uri.EscapeDataString(RandomText(random.Next(1, 30))),
    ])();

    private string Query(RouteShape route)
    {
        var parts = new List<string>();
        if (route.Pattern.RawText!.EndsWith("/audit", StringComparison.Ordinal) && random.Next(3) > 0)
        {
            foreach (var name in new[] { "limit", "before" })
            {
                var count = random.Next(10) switch { 0 => 2, < 6 => 1, _ => 0 };
                for (var i = 0; i < count; i++)
                {
                    parts.Add($"{name}={Pick(NumberTexts)}");
                }
            }
        }

        if (OneIn(10))
        {
            parts.Add(Pick(["x=1", "limit", "=", "&&", "a=%zz", "a=%00", $"q={new string('q', 5000)}", "before=%E2%80%AE"]));
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static readonly string[] NumberTexts =
    [
        "1", "50", "500", "501", "0", "-1", "abc", "", "%20", "1.5", "1e2", "0x10", "+5", "%2B5", "00050", "9223372036854775807",
        "9223372036854775808", "99999999999999999999", "-9223372036854775808", "NaN", "%E2%80%AE5", "5%00", "%EF%BC%95",
    ];

    private bool AcceptedAuthorization(List<KeyValuePair<string, string>> headers)
    {
        headers.Add(new("Authorization", "Bearer " + (nextKey is not null && OneIn(3) ? nextKey : validKey)));
        return true;
    }

    /// <summary>Adds an Authorization header variant; returns whether it carries an accepted key in an accepted form.</summary>
    private bool Authorization(List<KeyValuePair<string, string>> headers)
    {
        var key = nextKey is not null && OneIn(3) ? nextKey : validKey;
        switch (random.Next(24))
        {
            case < 10:
                headers.Add(new("Authorization", "Bearer " + key));
                return true;
            case 10:
                headers.Add(new("Authorization", Pick(["bearer ", "BEARER ", "BeArEr "]) + key));
                return true;
            case 11:
                headers.Add(new("Authorization", Pick(["Bearer  ", "Bearer   "]) + key + Pick(["", " ", "  "])));
                return true;
            case 12:
                return false;
            case 13:
                headers.Add(new("Authorization", Pick(["", " ", "Bearer", "Bearer ", "Bearer  "])));
                return false;
            case 14:
                headers.Add(new("Authorization", "Bearer " + key));
                headers.Add(new("Authorization", "Bearer " + key));
                return false;
            case 15:
                headers.Add(new("Authorization", "Bearer " + key + "," + "Bearer " + key));
                return false;
            case 16:
                headers.Add(new("Authorization", Pick(["Basic ", "Token ", "Bearer:", "Bearer=", ""]) + key));
                return false;
            case 17:
                headers.Add(new("Authorization", "Bearer " + Mutate(key)));
                return false;
            case 18:
                headers.Add(new("Authorization", "Bearer " + key.ToUpperInvariant()));
                return false;
            case 19:
                headers.Add(new("Authorization", "Bearer " + new string('k', Pick([15, 16, 1024, 1025, 9000]))));
                return false;
            case 20:
                headers.Add(new("Authorization", "Bearer " + key[..^1] + Pick(["\u00e9", "\t", "%", "\u202e"])));
                return false;
            case 21:
                headers.Add(new("Authorization", "Bearer " + key + " " + key));
                return false;
            case 22:
                headers.Add(new("Authorization", "Bearer wrong-admin-key-" + random.Next()));
                headers.Add(new(SiloFactory.ClientAddressHeader, "2001:db8:f022::1"));
                return false;
            default:
                headers.Add(new("Authorization", "Bearer \"" + key + "\""));
                return false;
        }
    }

    private string Mutate(string key)
    {
        var chars = key.ToCharArray();
        var at = random.Next(chars.Length);
        chars[at] = (char)(chars[at] ^ (1 << random.Next(6)));
        return new string(chars).Trim() is { Length: > 0 } mutated && mutated != key ? mutated : key + "x";
    }

    private void Actor(List<KeyValuePair<string, string>> headers)
    {
        switch (random.Next(12))
        {
            case 0:
                headers.Add(new("X-ZeroPath-Actor", Pick(["oncall", "a@b.c", "ops_1", "x"])));
                break;
            case 1:
                headers.Add(new("X-ZeroPath-Actor", Pick(["", " ", "has space", new string('a', 65), "\u00e9", "a/b", "<script>"])));
                break;
            case 2:
                headers.Add(new("X-ZeroPath-Actor", "oncall"));
                headers.Add(new("X-ZeroPath-Actor", "other"));
                break;
        }
    }

    private (byte[]? Body, string? ContentType, bool Chunked) Body(Type? requestType)
    {
        var contentType = random.Next(12) switch
        {
            < 7 => "application/json",
            7 => "application/json; charset=utf-8",
            8 => Pick(["application/json; charset=UTF8", "application/json;charset=\"utf-8\"", "text/json", "application/problem+json", "application/merge-patch+json"]),
            9 => Pick(["application/json; charset=utf-16", "application/json; charset=latin1", "application/json; charset=nonsense", "application/json; charset="]),
            10 => Pick(["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x", "application/jsonx", "json", "///", "application/json/extra"]),
            _ => null,
        };
        var chunked = OneIn(4);
        byte[] body = random.Next(30) switch
        {
            0 => [],
            1 => Encoding.UTF8.GetBytes(new string(' ', random.Next(1, 100))),
            2 => Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('p', 64 * 1024) + "\"}"),
            3 => Encoding.UTF8.GetBytes(Nested(random.Next(60, 20_000))),
            _ => Encoding.UTF8.GetBytes(JsonFor(requestType)),
        };
        body = random.Next(14) switch
        {
            0 => body[..random.Next(body.Length + 1)],
            1 => Splice(body, Pick<byte[]>([[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0x00]])),
            2 => [0xEF, 0xBB, 0xBF, .. body],
            3 => [.. body, .. Encoding.UTF8.GetBytes(Pick([" x", "}", "]", ",", "\0", " /* c */"]))],
            _ => body,
        };
        return (body, contentType, chunked);
    }

    private byte[] Splice(byte[] body, byte[] insert)
    {
        var at = random.Next(body.Length + 1);
        return [.. body.AsSpan(0, at), .. insert, .. body.AsSpan(at)];
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    /// <summary>A JSON text for the request type: its properties (from its constructor) with valid, wrong or hostile values, some missing, extra or repeated.</summary>
    private string JsonFor(Type? type)
    {
        switch (sane ? -1 : random.Next(25))
        {
            case 0: return Pick(["null", "[]", "\"text\"", "42", "true", "{}", "[{}]", "{\"a\":", "{", "}", "{\"\":1}", "{,}", "{\"a\":1,}", "'x'", "{a:1}", "NaN"]);
            case 1: return "[" + JsonFor(type) + "]";
        }

        var parameters = type?.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters() ?? [];
        var members = new List<string>();
        foreach (var parameter in parameters)
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!);
            if (sane ? OneIn(12) && parameter.Name != "UserId" : OneIn(8))
            {
                continue;
            }

            var nameText = !sane && OneIn(40) ? Pick([name.ToUpperInvariant(), char.ToUpperInvariant(name[0]) + name[1..], name + " ", name.Replace('e', '\u0435')]) : name;
            members.Add($"{JsonSerializer.Serialize(nameText)}:{ValueFor(parameter)}");
            if (!sane && OneIn(25))
            {
                members.Add($"{JsonSerializer.Serialize(nameText)}:{ValueFor(parameter)}");
            }
        }

        if (OneIn(sane ? 20 : 6))
        {
            members.Add($"{JsonSerializer.Serialize(Pick(["extra", "id", "orgId", "__proto__", "$type", RandomText(8)]))}:{Pick(["1", "null", "\"x\"", "{}", "[]", "{\"a\":{\"b\":[1,2,{}]}}"])}");
        }

        Shuffle(members);
        return "{" + string.Join(Pick([",", ", ", ",\n"]), members) + "}";
    }

    private void Shuffle(List<string> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private string ValueFor(ParameterInfo parameter)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        if (sane && !OneIn(6))
        {
            // Values a well-formed request would carry for the options whose other values are refused.
            switch (parameter.Name)
            {
                case "AllowedCidrs":
                    return Pick(["null", "[\"127.0.0.0/8\"]", "[\"10.0.0.0/8\",\"2001:db8::/32\"]"]);
                case "RateLimit":
                    return Pick(["null", "{\"requestsPerSecond\":100}", "{\"requestsPerSecond\":0.5,\"burst\":3}"]);
                case "RequireAllowedCidrs":
                    return OneIn(10) ? "true" : Pick(["false", "null"]);
            }

            return type == typeof(string)
                ? JsonSerializer.Serialize(parameter.Name == "UserId" ? Pick(users) : Pick(["CI", "leaked", "offboarding", "nightly build"]))
                : type == typeof(ImmutableArray<string>) || type == typeof(string[])
                    ? JsonSerializer.Serialize(Enumerable.Range(0, random.Next(0, 4)).Select(_ => Pick(["scans:read", "vulns:write", "admin:*"])).ToArray())
                    : Pick(["30", "1", "365", "7", "null"]);
        }

        if (type == typeof(string))
        {
            return parameter.Name switch
            {
                "UserId" when random.Next(2) == 0 => JsonSerializer.Serialize(Pick(users)),
                _ => StringValue(),
            };
        }

        if (type == typeof(ImmutableArray<string>) || type == typeof(string[]))
        {
            return ArrayValue();
        }

        return NumberValue();
    }

    private string StringValue() => random.Next(20) switch
    {
        < 6 => JsonSerializer.Serialize(Pick(["CI", "leaked in a public repo", "offboarding", "x", "ops", "alice"])),
        6 => "\"\"",
        7 => JsonSerializer.Serialize(new string(' ', random.Next(1, 10))),
        8 => JsonSerializer.Serialize("  padded  "),
        9 => JsonSerializer.Serialize(new string('n', Pick([99, 100, 101, 499, 500, 501, 5000]))),
        10 => JsonSerializer.Serialize("\u001b[31mred\u001b[0m\u0007\u202egnp"),
        11 => JsonSerializer.Serialize("\u00fcml\u00e4\u00fct \u65e5\u672c \U0001F600"),
        12 => "\"\\ud800\"",
        13 => "\"\\udc00x\\ud800\"",
        14 => "\"raw\u0001control\"",
        15 => "\"bad \\q escape\"",
        16 => Pick(["null", "42", "true", "[]", "{}", "1e999", "[\"a\"]"]),
        17 => JsonSerializer.Serialize(new string('\u00e9', Pick([100, 101, 500, 501]))),
        18 => "\"unterminated",
        _ => JsonSerializer.Serialize(RandomText(random.Next(0, 40))),
    };

    private string ArrayValue() => random.Next(16) switch
    {
        < 5 => JsonSerializer.Serialize(Enumerable.Range(0, random.Next(0, 5)).Select(_ => Pick(["scans:read", "vulns:write", "admin:*", "a.b_c-d", "*"])).ToArray()),
        5 => "[]",
        6 => JsonSerializer.Serialize(Enumerable.Range(0, Pick([100, 101, 1000])).Select(i => $"p{i}").ToArray()),
        7 => JsonSerializer.Serialize(new[] { "", " ", "has space", "a,b", "\u00e9", new string('p', 65), "\u001b" }[..random.Next(1, 8)]),
        8 => "[null]",
        9 => "[1, 2]",
        10 => "[[\"a\"]]",
        11 => Pick(["\"scans:read\"", "null", "{}", "42", "true"]),
        12 => "[\"scans:read\", \"scans:read\"]",
        13 => JsonSerializer.Serialize(Enumerable.Range(0, 100).Select(i => $"{i:D3}".PadRight(64, 'p')).ToArray()),
        14 => "[\"a\",]",
        _ => "[\"\\ud800\"]",
    };

    private string NumberValue() => Pick(
    [
        "30", "1", "365", "0", "-1", "366", "30.5", "3e1", "30.0", "-0", "1e400", "-1e400", "99999999999999999999999999", "2147483648",
        "\"30\"", "null", "true", "[]", "{}", "[30]", "0x1E", "NaN", "Infinity", "1e-400", "00030", ".5",
    ]);

    private string RandomText(int length)
    {
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(random.Next(8) switch
            {
                0 => (char)random.Next(1, 0x20),
                1 => (char)random.Next(0x80, 0x100),
                2 => (char)random.Next(0x2000, 0x2070),
                3 => (char)random.Next(0x3040, 0x30ff),
                _ => (char)random.Next(0x21, 0x7f),
            });
        }

        return text.ToString();
    }

    private sealed record RouteShape(string Method, RoutePattern Pattern, Type? RequestType);
}
