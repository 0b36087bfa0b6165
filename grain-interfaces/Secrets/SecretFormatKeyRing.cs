using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ZeroPath.Tokens;

/// <summary>What the format keys say about a presented secret, before any Argon2 work.</summary>
public enum SecretFormatVerdict
{
    /// <summary>Neither format, or a wrong checksum: a mangled or invented secret.</summary>
    Malformed = 0,

    /// <summary>An older 43-character secret, accepted: only its Argon2id hash can judge it.</summary>
    Legacy = 1,

    /// <summary>The tag is right: the secret was issued by this cluster for this token id.</summary>
    Valid = 2,

    /// <summary>The key id names no configured key (a retired key, or never ours).</summary>
    UnknownKey = 3,

    /// <summary>The tag does not match: not issued for this token id (a random secret, or one replayed under another id).</summary>
    BadTag = 4,

    /// <summary>An older 43-character secret while <see cref="SecretFormatOptions.AcceptLegacySecrets"/> is off.</summary>
    LegacyRefused = 5,
}

/// <summary>
/// The cluster's secret format keys: issues new secrets under the current key and checks any presented secret's tag
/// under the key its key id names, so the edge can refuse secrets the cluster never issued for that id without a call.
/// Keys never leave this object.
/// </summary>
public sealed class SecretFormatKeyRing
{
    private const int MacInputLength = 16 + TokenSecretFormat.KeyIdLength + TokenSecretFormat.RandomLength;

    private static readonly byte[] FingerprintKeyLabel = "zeropath secret fingerprint v1"u8.ToArray();

    /// <summary>Per key, one reusable HMAC per thread (a one-shot HMAC repeats the key set-up on every call).</summary>
    private readonly FrozenDictionary<string, ThreadLocal<IncrementalHash>> keys;

    /// <summary>Per format key, the key its secrets' fingerprints are made with (see <see cref="Fingerprint"/>).</summary>
    private readonly FrozenDictionary<string, byte[]> fingerprintKeys;

    public SecretFormatKeyRing(IReadOnlyDictionary<string, byte[]> keys, string? currentKeyId, bool acceptLegacySecrets)
    {
        foreach (var (id, key) in keys)
        {
            if (!TokenSecretFormat.IsValidKeyId(id) || key.Length < SecretFormatOptions.MinKeyBytes)
            {
                throw new ArgumentException($"Format key '{id}' needs a 2-character id of 0-9a-z and at least {SecretFormatOptions.MinKeyBytes} bytes.", nameof(keys));
            }
        }

        if (currentKeyId is not null && !keys.ContainsKey(currentKeyId))
        {
            throw new ArgumentException($"The current key id '{currentKeyId}' names no key.", nameof(currentKeyId));
        }

        this.keys = keys.ToFrozenDictionary(
            k => k.Key,
            k =>
            {
                var key = k.Value.ToArray();
                return new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));
            },
            StringComparer.Ordinal);
        fingerprintKeys = keys.ToFrozenDictionary(
            k => k.Key,
            k => HMACSHA256.HashData(k.Value, FingerprintKeyLabel),
            StringComparer.Ordinal);
        CurrentKeyId = currentKeyId;
        AcceptsLegacySecrets = acceptLegacySecrets;
    }

    /// <summary>The key new secrets are issued under; null where this process only checks secrets (gateways).</summary>
    public string? CurrentKeyId { get; }

    public bool AcceptsLegacySecrets { get; }

    /// <summary>A new secret for <paramref name="tokenId"/> under the current key.</summary>
    public string NewSecret(Guid tokenId)
    {
        var keyId = CurrentKeyId ?? throw new InvalidOperationException("No current format key is configured: this process cannot issue secrets.");
        Span<char> secret = stackalloc char[TokenSecretFormat.Length];
        try
        {
            TokenSecretFormat.Prefix.CopyTo(secret);
            keyId.CopyTo(secret[TokenSecretFormat.KeyIdStart..]);
            RandomNumberGenerator.GetItems(TokenSecretFormat.Alphabet, secret.Slice(TokenSecretFormat.RandomStart, TokenSecretFormat.RandomLength));
            WriteTag(keys[keyId], tokenId, secret[TokenSecretFormat.KeyIdStart..TokenSecretFormat.TagStart], secret.Slice(TokenSecretFormat.TagStart, TokenSecretFormat.TagLength));
            TokenSecretFormat.WriteBase62(TokenSecretFormat.Checksum(secret[..TokenSecretFormat.ChecksumStart]), secret[TokenSecretFormat.ChecksumStart..]);
            return new string(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(secret));
        }
    }

    public SecretFormatVerdict Check(Guid tokenId, ReadOnlySpan<char> secret) =>
        Check(tokenId, secret, TokenSecretFormat.Classify(secret));

    /// <summary>The same, for a caller that already has <paramref name="shape"/> from <see cref="TokenSecretFormat.Classify"/>.</summary>
    public SecretFormatVerdict Check(Guid tokenId, ReadOnlySpan<char> secret, SecretShape shape)
    {
        switch (shape)
        {
            case SecretShape.Malformed:
                return SecretFormatVerdict.Malformed;
            case SecretShape.Legacy:
                return AcceptsLegacySecrets ? SecretFormatVerdict.Legacy : SecretFormatVerdict.LegacyRefused;
            case SecretShape.Current:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape));
        }

        var keyId = secret.Slice(TokenSecretFormat.KeyIdStart, TokenSecretFormat.KeyIdLength);
        if (!keys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(keyId, out var key))
        {
            return SecretFormatVerdict.UnknownKey;
        }

        Span<char> expected = stackalloc char[TokenSecretFormat.TagLength];
        WriteTag(key, tokenId, secret[TokenSecretFormat.KeyIdStart..TokenSecretFormat.TagStart], expected);
        var presented = secret.Slice(TokenSecretFormat.TagStart, TokenSecretFormat.TagLength);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(presented))
            ? SecretFormatVerdict.Valid
            : SecretFormatVerdict.BadTag;
    }

    /// <summary>
    /// The secret's fingerprint: lower-case hex of HMAC-SHA256 over its ASCII characters, under a key derived from the
    /// format key its key id names (HMAC-SHA256(format key, "zeropath secret fingerprint v1")). It identifies the secret
    /// (the cluster stores it at creation to find the token a leaked secret belongs to) without revealing it: without
    /// the format key it can be neither reversed nor checked against a guess. Null unless the secret is in the current
    /// format with a correct checksum and a key id this ring holds.
    /// </summary>
    public string? Fingerprint(ReadOnlySpan<char> secret)
    {
        if (TokenSecretFormat.Classify(secret) != SecretShape.Current
            || !fingerprintKeys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(secret.Slice(TokenSecretFormat.KeyIdStart, TokenSecretFormat.KeyIdLength), out var key))
        {
            return null;
        }

        Span<byte> ascii = stackalloc byte[TokenSecretFormat.Length];
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        try
        {
            Encoding.ASCII.GetBytes(secret, ascii);
            HMACSHA256.HashData(key, ascii, mac);
            return Convert.ToHexStringLower(mac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ascii);
        }
    }

    /// <summary>First 64 bits of HMAC-SHA256(key, token id as 16 big-endian bytes ‖ ASCII key id and random part), in base62.</summary>
    private static void WriteTag(ThreadLocal<IncrementalHash> key, Guid tokenId, ReadOnlySpan<char> keyIdAndRandom, Span<char> destination)
    {
        Span<byte> message = stackalloc byte[MacInputLength];
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        try
        {
            tokenId.TryWriteBytes(message, bigEndian: true, out _);
            Encoding.ASCII.GetBytes(keyIdAndRandom, message[16..]);
            var hmac = key.Value!;
            hmac.AppendData(message);
            hmac.GetHashAndReset(mac);
            TokenSecretFormat.WriteBase62(BinaryPrimitives.ReadUInt64BigEndian(mac), destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(message);
            CryptographicOperations.ZeroMemory(mac);
        }
    }
}
