using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Fuzzing;

/// <summary>One generated request: where it goes and every header it carries, in order (a name may repeat).</summary>
public sealed record FuzzRequest(string Method, string Path, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public override string ToString() =>
        $"{Method} {Path} " + string.Join(" | ", Headers.Select(h => $"{h.Key}: {Show(h.Value)}"));

    private static string Show(string value)
    {
        var shown = value.Length > 80 ? value[..80] + $"...({value.Length} chars)" : value;
        return string.Concat(shown.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}

/// <summary>
/// FsCheck generators for the credential headers a client could send: absent, empty, repeated, padded, non-ASCII,
/// control characters, very long, header names in other letter cases or with underscores, UUID variants, well-formed
/// <c>zp_</c> secrets with a wrong checksum, tag or key id, and old-format secrets; plus forged identity headers.
/// </summary>
public sealed class CredentialHeaderCases(Guid validId, string validSecret)
{
    /// <summary>Ids other than the valid one, reused so most requests are decided at the edge (refusals) after the first.</summary>
    private readonly Guid[] otherIds = [.. Enumerable.Range(0, 16).Select(_ => Guid.NewGuid())];

    public Guid ValidId => validId;
    public string ValidSecret => validSecret;

    /// <summary>The run's seed: <c>ZP_FUZZ_SEED</c> to replay a run, otherwise a random one (printed by the tests).</summary>
    public static ulong Seed() =>
        Environment.GetEnvironmentVariable("ZP_FUZZ_SEED") is { Length: > 0 } given
            ? ulong.Parse(given, System.Globalization.CultureInfo.InvariantCulture)
            : (ulong)Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary><paramref name="count"/> requests drawn from <see cref="Requests"/> with <paramref name="seed"/>.</summary>
    public FuzzRequest[] Sample(int count, ulong seed) => Gen.Sample(Requests(), count, new Rnd(seed), 30);

    public Gen<FuzzRequest> Requests() =>
        from method in Gen.Elements("GET", "POST", "DELETE", "PATCH")
        from path in Gen.Elements("/auth/check", "/auth/check/api/v1/x", "/api/v1/fuzz", "/api/v2/fuzz/deep?q=1")
        from id in HeaderValues(TokenHeaders.TokenId, IdValues())
        from secret in HeaderValues(TokenHeaders.TokenSecret, SecretValues())
        from forged in Gen.Frequency((3, Gen.Constant(Array.Empty<KeyValuePair<string, string>>())), (1, Forged()))
        from order in Gen.Elements(true, false)
        select new FuzzRequest(method, path, order ? [.. id, .. secret, .. forged] : [.. forged, .. secret, .. id]);

    /// <summary>The header absent, once, or two to three times, under its name or a variant of it.</summary>
    private static Gen<KeyValuePair<string, string>[]> HeaderValues(string name, Gen<string> values) =>
        from count in Gen.Frequency((1, Gen.Constant(0)), (16, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)))
        from names in Gen.ArrayOf(NameVariants(name), count)
        from chosen in Gen.ArrayOf(values, count)
        select names.Zip(chosen, (n, v) => new KeyValuePair<string, string>(n, v)).ToArray();

    private static Gen<string> NameVariants(string name) => Gen.Frequency(
        (16, Gen.Constant(name)),
        (2, Gen.Constant(name.ToLowerInvariant())),
        (2, Gen.Constant(name.ToUpperInvariant())),
        (1, Gen.Constant(name.Replace('-', '_'))),
        (1, Gen.Constant(name.Replace("Token-", "Token_", StringComparison.Ordinal))),
        (1, Gen.Constant(name + "s")));

    private Gen<string> IdValues()
    {
        var valid = validId.ToString("D");
        var other = Gen.Elements(otherIds);
        return Gen.Frequency(
            (12, Gen.Constant(valid)),
            (2, Gen.Constant(valid.ToUpperInvariant())),
            (1, Gen.Constant(validId.ToString("B"))),
            (1, Gen.Constant(validId.ToString("N"))),
            (1, Gen.Constant(validId.ToString("P"))),
            (1, Gen.Constant("urn:uuid:" + valid)),
            (1, Gen.Constant(Guid.Empty.ToString("D"))),
            (1, Gen.Constant(Guid.AllBitsSet.ToString("D"))),
            (4, other.Select(g => g.ToString("D"))),
            (1, other.Select(g => g.ToString("N").ToUpperInvariant())),
            (3, Mangled(valid)),
            (2, Junk()));
    }

    private Gen<string> SecretValues()
    {
        var other = Gen.Elements(otherIds);
        return Gen.Frequency(
            (12, Gen.Constant(validSecret)),
            // Well formed, right checksum, but a tag that is not this id's: decided at the edge.
            (3, other.Select(TestSettings.FormatKeys.NewSecret)),
            (2, Gen.Fresh(() => TestSecrets.UnderKeyId("zz"))),
            (1, Gen.Fresh(() => TestSecrets.UnderKeyId(TestSettings.FormatKeyId))),
            // Tagged for the valid id under the test key: only Argon2 can refuse it (and the token locks after 10).
            (2, Gen.Fresh(() => TestSecrets.WrongSecret(validId))),
            (3, Gen.Constant(TestSecrets.OneCharacterChanged(validSecret))),
            (1, Gen.Constant(WithChecksumOf(validSecret, 1))),
            (1, Gen.Constant(validSecret.ToUpperInvariant())),
            (1, Gen.Constant("zp_" + validSecret[3..].Replace(validSecret[3..5], "ZZ", StringComparison.Ordinal))),
            // Old-format (43 base64url characters): for a token issued as zp_ they are refused without Argon2.
            (3, Gen.Fresh(TestSettings.LegacySecret)),
            (1, Gen.Fresh(() => TestSettings.LegacySecret().Replace('A', '+').Replace('B', '/'))),
            (1, Gen.Constant(validSecret[..43])),
            (3, Mangled(validSecret)),
            (2, Junk()));
    }

    /// <summary>The value with something done to it: padded, truncated, extended, doubled, a character swapped for a control or non-ASCII one.</summary>
    private static Gen<string> Mangled(string value) =>
        from how in Gen.Choose(0, 9)
        from at in Gen.Choose(0, value.Length - 1)
        from c in SpecialChar()
        select how switch
        {
            0 => " " + value,
            1 => value + "\t",
            2 => "  " + value + "  ",
            3 => value[..at],
            4 => value + value[at],
            5 => value + "," + value,
            6 => value[..at] + c + value[(at + 1)..],
            7 => value.Insert(at, c.ToString()),
            8 => value.Normalize(System.Text.NormalizationForm.FormD) + "\u0301",
            _ => value + new string('a', 200),
        };

    private static Gen<char> SpecialChar() => Gen.Elements(
        '\0', '\u0001', '\t', '\n', '\r', '\u001f', '\u007f', '\u0080', '\u00a0', '\u00e9', '\u0130', '\u2028', '\ufeff', '\uffff', '\ud800',
        'é', 'ı', 'K', '０', 'a', '-', '_', ' ', '{', '}', '"', ';', ',');

    private static Gen<string> Junk() => Gen.Frequency(
        (2, Gen.Constant("")),
        (2, Gen.Elements(" ", "\t", "  \t ", "null", "undefined", "0", "-1", "zp_", "Bearer x", "%00", "\u00a0")),
        (2, Gen.ArrayOf(SpecialChar()).Select(cs => new string(cs))),
        (1, Gen.Choose(1_000, 70_000).Select(n => new string('x', n))),
        (1, Gen.Choose(60, 70).Select(n => "zp_" + RandomNumberGenerator.GetString(TokenSecretFormat.Alphabet, n))));

    private static Gen<KeyValuePair<string, string>[]> Forged() =>
        Gen.ArrayOf(
            from name in Gen.Elements(
                "X-ZeroPath-Org-Id", "x-zeropath-org_id", "X_ZEROPATH_USER_ID", "X-ZeroPath-Permissions", "X-ZeroPath-Token-Id",
                "X-ZeroPath-Identity-Signature", "X-ZeroPath-Anything", "x_zeropath_api_token_secret")
            select new KeyValuePair<string, string>(name, "fuzz-forged"),
            3);

    /// <summary>The secret with its random part's last character changed and the checksum recomputed: well formed, wrong tag.</summary>
    private static string WithChecksumOf(string secret, int change)
    {
        var chars = secret.ToCharArray();
        var at = TokenSecretFormat.TagStart - 1;
        chars[at] = TokenSecretFormat.Alphabet[(TokenSecretFormat.Alphabet.IndexOf(chars[at], StringComparison.Ordinal) + change) % 62];
        TokenSecretFormat.WriteBase62(TokenSecretFormat.Checksum(chars.AsSpan(0, TokenSecretFormat.ChecksumStart)), chars.AsSpan(TokenSecretFormat.ChecksumStart));
        return new string(chars);
    }
}
