using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;
using StackExchange.Redis;

namespace ZeroPath.Bench.RedisEdge;

/// <summary>
/// Authenticates one request against Redis: hash <c>zpbench:token:{id}</c> with fields <c>sha256</c> (32 raw bytes),
/// <c>org</c>, <c>user</c>, <c>perms</c> (comma-separated) and <c>exp</c> (Unix seconds).
/// </summary>
internal sealed class RedisTokenCheck(IConnectionMultiplexer redis, TimeProvider? time = null)
{
    public const string KeyPrefix = "zpbench:token:";
    private const string TokenIdHeader = "X-ZeroPath-API-Token-Id";
    private const string TokenSecretHeader = "X-ZeroPath-API-Token-Secret";
    private const int MaxSecretLength = 128;

    private static readonly RedisValue[] Fields = ["sha256", "org", "user", "perms", "exp"];
    private readonly IDatabase database = redis.GetDatabase();
    private readonly TimeProvider clock = time ?? TimeProvider.System;

    public async Task HandleAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (!TrySingle(headers, TokenIdHeader, out var id) || !TrySingle(headers, TokenSecretHeader, out var secret))
        {
            await FailAsync(context, 401, "missing_credentials");
            return;
        }

        var digest = default(Sha256Digest);
        if (!Guid.TryParseExact(id, "D", out var tokenId) || !TryHash(secret, ref digest))
        {
            await FailAsync(context, 401, "malformed_credentials");
            return;
        }

        var normalizedId = tokenId.ToString("D");
        RedisValue[] values;
        try
        {
            values = await database.HashGetAsync(KeyPrefix + normalizedId, Fields);
        }
        catch (RedisException)
        {
            await FailAsync(context, 503, "cluster_unavailable");
            return;
        }

        if (values[0].IsNull || !CryptographicOperations.FixedTimeEquals(((ReadOnlyMemory<byte>)values[0]).Span, digest))
        {
            await FailAsync(context, 401, "invalid_token");
            return;
        }

        if ((long)values[4] <= clock.GetUtcNow().ToUnixTimeSeconds())
        {
            await FailAsync(context, 401, "token_expired");
            return;
        }

        var response = context.Response.Headers;
        response.CacheControl = "no-store";
        response["X-ZeroPath-Org-Id"] = (string?)values[1];
        response["X-ZeroPath-User-Id"] = (string?)values[2];
        response["X-ZeroPath-Token-Id"] = normalizedId;
        response["X-ZeroPath-Permissions"] = (string?)values[3];
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static bool TrySingle(IHeaderDictionary headers, string name, out string value)
    {
        value = "";
        if (!headers.TryGetValue(name, out StringValues values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return false;
        }

        value = values[0]!;
        return true;
    }

    /// <summary>SHA-256 of the secret's ASCII bytes, without a heap buffer for the bytes.</summary>
    private static bool TryHash(string secret, ref Sha256Digest digest)
    {
        if (secret.Length is < 16 or > MaxSecretLength || !Ascii.IsValid(secret))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[MaxSecretLength];
        var length = Encoding.ASCII.GetBytes(secret, bytes);
        SHA256.HashData(bytes[..length], digest);
        return true;
    }

    private static Task FailAsync(HttpContext context, int status, string code)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = $"ZeroPath-API-Token realm=\"zeropath\", error=\"{code}\"";
        }

        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync($$"""{"status":{{status}},"code":"{{code}}"}""");
    }

    /// <summary>A SHA-256 digest held in place (no array per request).</summary>
    [InlineArray(SHA256.HashSizeInBytes)]
    private struct Sha256Digest
    {
        private byte first;
    }
}
