using System.Net;

namespace ZeroPath.Bench.Edge;

/// <summary>One <c>/auth/check</c> with a token's two headers, as a client of the edge sends it.</summary>
internal static class AuthCheck
{
    public const string PermissionsHeader = "X-ZeroPath-Permissions";

    public static HttpClient Client(Uri baseAddress, int connections = 1) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public static async Task<(HttpStatusCode Status, string? Permissions)> SendAsync(HttpClient http, string tokenId, string secret, string path = "/auth/check")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-ZeroPath-API-Token-Id", tokenId);
        request.Headers.Add("X-ZeroPath-API-Token-Secret", secret);
        using var response = await http.SendAsync(request);
        var permissions = response.Headers.TryGetValues(PermissionsHeader, out var values) ? string.Join(',', values) : null;
        return (response.StatusCode, permissions);
    }

    /// <summary>Validates every token once on <paramref name="target"/>; returns how many were not answered 200.</summary>
    public static async Task<long> WarmAsync(Uri target, IReadOnlyList<IssuedToken> tokens, int parallelism = 16)
    {
        using var http = Client(target, parallelism);
        long failures = 0;
        await Parallel.ForEachAsync(tokens, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (token, _) =>
        {
            var (status, _) = await SendAsync(http, token.TokenId, token.Secret);
            if (status != HttpStatusCode.OK)
            {
                Interlocked.Increment(ref failures);
            }
        });
        return failures;
    }

    /// <summary>Permission lists compare as sets, whatever order a header lists them in.</summary>
    public static bool SamePermissions(string? header, string[] expected)
    {
        if (header is null)
        {
            return false;
        }

        var actual = header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return actual.Length == expected.Length && actual.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal), StringComparer.Ordinal);
    }
}
