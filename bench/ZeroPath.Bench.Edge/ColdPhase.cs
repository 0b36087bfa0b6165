using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace ZeroPath.Bench.Edge;

/// <summary>
/// Scenario (i), run after bench.sh restarted the silo with its production Argon2 parameters: tokens created then, and
/// each one's first <c>/auth/check</c> at a cached gateway (grain, stored state, Argon2id verify) and its second (cache).
/// </summary>
internal sealed class ColdPhase(BenchSettings settings)
{
    public async Task<ColdResult> RunAsync()
    {
        using var admin = new AdminClient(settings.Admin, BenchSettings.AdminKey);
        var org = string.Create(CultureInfo.InvariantCulture, $"cold-{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}");
        await admin.SetMemberAsync(org, "member", TokenSeeder.Permissions);
        Console.WriteLine($"==> (i) creating {settings.ColdTokens} tokens one by one (Argon2 {settings.ColdArgon2})");
        var started = Stopwatch.GetTimestamp();
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < settings.ColdTokens; i++)
        {
            tokens.Add(await admin.CreateTokenAsync(org, "member", string.Create(CultureInfo.InvariantCulture, $"cold-{i}")));
        }

        var creationSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        using var http = AuthCheck.Client(settings.Gateway1);
        // One request first, so the connection is open and no token's figure includes the TCP handshake.
        using (await http.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
        }

        var first = new List<double>();
        var second = new List<double>();
        int firstFailures = 0, secondFailures = 0;
        foreach (var token in tokens)
        {
            firstFailures += await TimeAsync(http, token, first) ? 0 : 1;
            secondFailures += await TimeAsync(http, token, second) ? 0 : 1;
        }

        var result = new ColdResult(
            tokens.Count, settings.ColdArgon2, creationSeconds, Distribution.Of(first), Distribution.Of(second), firstFailures, secondFailures);
        Console.WriteLine(
            $"    created in {creationSeconds:F1} s; first check p50 {result.FirstMilliseconds.P50:F2} ms, p99 {result.FirstMilliseconds.P99:F2} ms; " +
            $"second p50 {result.SecondMilliseconds.P50:F2} ms, p99 {result.SecondMilliseconds.P99:F2} ms");
        return result;
    }

    private static async Task<bool> TimeAsync(HttpClient http, IssuedToken token, List<double> samples)
    {
        var started = Stopwatch.GetTimestamp();
        var (status, _) = await AuthCheck.SendAsync(http, token.TokenId, token.Secret);
        samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return status == HttpStatusCode.OK;
    }
}
