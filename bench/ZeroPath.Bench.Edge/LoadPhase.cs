using System.Globalization;
using System.Net;
using System.Text;
using StackExchange.Redis;

namespace ZeroPath.Bench.Edge;

/// <summary>Scenarios (a) to (g) against a silo with cheap Argon2, in one pass; results go to <c>results/load.json</c>.</summary>
internal sealed class LoadPhase(BenchSettings settings)
{
    private readonly WrkRunner wrk = new(settings.LuaScript);
    private readonly Dictionary<string, WrkRun> runs = [];

    public async Task<LoadResults> RunAsync()
    {
        var startedAt = DateTimeOffset.UtcNow;
        var machine = MachineInfo.Read(settings);
        Directory.CreateDirectory(Path.Combine(settings.Results, "data"));
        using var admin = new AdminClient(settings.Admin, BenchSettings.AdminKey);
        var seeder = new TokenSeeder(admin, settings.SeedParallelism);

        Console.WriteLine($"==> seeding {settings.Tokens} tokens ({settings.TokensPerOrg} per organization, {settings.SeedParallelism} in parallel, Argon2 {settings.SeedArgon2})");
        var (tokens, seeding) = await seeder.CreateAsync("bench", settings.Tokens, settings.TokensPerOrg, settings.SeedArgon2);
        Console.WriteLine($"    {seeding.Tokens} tokens in {seeding.Seconds:F1} s: {seeding.TokensPerSecond:F0} tokens/s");
        var revocationTokens = await seeder.CreateOnePerMemberAsync("revoke", settings.PropagationEvents, 50);
        var permissionTokens = await seeder.CreateOnePerMemberAsync("perms", settings.PropagationEvents, 50);
        var victim = (await seeder.CreateAsync("victim", 1, 1, settings.SeedArgon2)).Tokens[0];
        var single = tokens[0];
        var secretShape = SecretShapes.Describe(tokens);
        Console.WriteLine($"    secrets: {secretShape}");

        await SeedRedisAsync(tokens);
        var tokenFile = WriteTokenFile("tokens.txt", tokens.Select(t => (t.TokenId, t.Secret)));

        Console.WriteLine("==> warming: every token validated once at the cached gateway, the uncached gateway and RedisEdge");
        long warmupFailures = 0;
        foreach (var target in new[] { settings.Gateway1, settings.GatewayNoCache, settings.RedisEdge })
        {
            warmupFailures += await AuthCheck.WarmAsync(target, tokens);
        }

        await ExpectOkAsync(settings.Gateway1, "/api/v2/x", single);
        await ExpectOkAsync(settings.PlainProxy, "/api/v2/x", single);
        if (warmupFailures > 0)
        {
            Console.WriteLine($"    WARNING: {warmupFailures} warm-up validations were not answered 200");
        }

        var oneToken = new WrkLoad(StaticToken: single);
        var manyTokens = new WrkLoad(TokenFile: tokenFile);
        await PrewarmAsync(
        [
            (settings.Gateway1, "/healthz", oneToken),
            (settings.Gateway1, "/auth/check", oneToken),
            (settings.Gateway1, "/auth/check", manyTokens),
            (settings.GatewayNoCache, "/auth/check", oneToken),
            (settings.GatewayNoCache, "/auth/check", manyTokens),
            (settings.RedisEdge, "/auth/check", oneToken),
            (settings.RedisEdge, "/auth/check", manyTokens),
            (settings.PlainProxy, "/api/v2/x", oneToken),
            (settings.Gateway1, "/api/v2/x", oneToken),
        ]);
        Console.WriteLine("==> (a), (b): /healthz baseline and /auth/check with a warm cache");
        await MeasurePairAsync(("a.static", settings.Gateway1, "/healthz", oneToken), ("b.1", settings.Gateway1, "/auth/check", oneToken));
        await MeasurePairAsync(("a.rotating", settings.Gateway1, "/healthz", manyTokens), ("b.10k", settings.Gateway1, "/auth/check", manyTokens));
        Console.WriteLine("==> (c), (d): gateway without its cache, RedisEdge");
        await MeasurePairAsync(("d.1", settings.RedisEdge, "/auth/check", oneToken), ("c.1", settings.GatewayNoCache, "/auth/check", oneToken));
        await MeasurePairAsync(("d.10k", settings.RedisEdge, "/auth/check", manyTokens), ("c.10k", settings.GatewayNoCache, "/auth/check", manyTokens));
        Console.WriteLine("==> (e): authenticated proxying vs plain YARP");
        await MeasurePairAsync(("e.plain", settings.PlainProxy, "/api/v2/x", oneToken), ("e.gateway", settings.Gateway1, "/api/v2/x", oneToken));

        var propagation = new PropagationBench(admin, [settings.Gateway1, settings.Gateway2], wrk, settings, single);
        PropagationResult[] propagated = [
            await propagation.RevocationsAsync(revocationTokens),
            await propagation.PermissionChangesAsync(permissionTokens),
        ];

        var floods = await FloodsAsync(tokens, victim, oneToken);
        return new LoadResults(
            startedAt,
            machine,
            new RunSettings(
                settings.Threads, settings.Connections, settings.DurationSeconds, settings.WarmupSeconds, settings.Tokens,
                settings.PropagationEvents, settings.FloodRate, settings.FloodConnections, secretShape),
            seeding,
            runs,
            warmupFailures,
            propagated,
            floods);
    }

    /// <summary>
    /// Load on every measured endpoint before any measurement, so tiered JIT compilation and dynamic PGO have settled
    /// in every process (a first run otherwise measures the compiler as much as the code).
    /// </summary>
    private async Task PrewarmAsync(IEnumerable<(Uri Target, string Path, WrkLoad Load)> endpoints)
    {
        Console.WriteLine($"==> JIT warm-up: {settings.PrewarmSeconds} s of load on each endpoint measured below (discarded)");
        foreach (var (target, path, load) in endpoints)
        {
            await wrk.Start("pre-warm", new Uri(target, path), load, settings.Threads, settings.Connections, settings.PrewarmSeconds).WaitAsync();
        }
    }

    private async Task MeasurePairAsync((string Name, Uri Target, string Path, WrkLoad Load) baseline, (string Name, Uri Target, string Path, WrkLoad Load) subject)
    {
        var (a, b) = await wrk.MeasurePairAsync(
            (baseline.Name, new Uri(baseline.Target, baseline.Path), baseline.Load),
            (subject.Name, new Uri(subject.Target, subject.Path), subject.Load),
            settings.Threads,
            settings.Connections,
            settings.WarmupSeconds,
            settings.DurationSeconds);
        runs[a.Name] = a;
        runs[b.Name] = b;
    }

    /// <summary>Scenario (g): (b)-level valid load on the cached gateway while a fixed-rate flood of bad credentials runs beside it.</summary>
    private async Task<FloodResult[]> FloodsAsync(IssuedToken[] tokens, IssuedToken victim, WrkLoad valid)
    {
        var lines = settings.FloodRate * (settings.WarmupSeconds + settings.DurationSeconds + 4);
        var floods = new (string Id, string Description, IEnumerable<(string, string)> Lines)[]
        {
            ("g.i.replayed", "one known token id, real secrets of other tokens replayed under it",
                tokens.Select(t => (victim.TokenId, t.Secret))),
            ("g.i.legacy", "one known token id, random legacy-shaped secrets (43 base64url)",
                Enumerable.Range(0, lines).Select(_ => (victim.TokenId, SecretShapes.Legacy()))),
            ("g.ii", "random token ids, well-formed new-format secrets (random body and tag, correct CRC)",
                Enumerable.Range(0, lines).Select(_ => (Guid.NewGuid().ToString("D"), SecretShapes.NewFormat(settings.KeyId)))),
            ("g.iii", "random token ids, random legacy-shaped secrets (43 base64url)",
                Enumerable.Range(0, lines).Select(_ => (Guid.NewGuid().ToString("D"), SecretShapes.Legacy()))),
        };

        var results = new List<FloodResult>();
        foreach (var (id, description, floodLines) in floods)
        {
            Console.WriteLine($"==> ({id}) flood at {settings.FloodRate} req/s: {description}");
            var file = WriteTokenFile($"flood-{id}.txt", floodLines);
            var flood = wrk.Start(
                id + " flood",
                new Uri(settings.Gateway1, "/auth/check"),
                new WrkLoad(TokenFile: file, Rate: settings.FloodRate, CountCodes: true),
                threads: 1,
                settings.FloodConnections,
                settings.WarmupSeconds + settings.DurationSeconds + 2);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var validRun = await wrk.MeasureAsync(
                id + " valid", new Uri(settings.Gateway1, "/auth/check"), valid, settings.Threads, settings.Connections, settings.WarmupSeconds, settings.DurationSeconds);
            var floodRun = await flood.WaitAsync();
            Console.WriteLine($"    flood: {floodRun.RequestsPerSecond:F0} req/s, {string.Join(", ", (floodRun.Codes ?? []).Select(c => $"{c.Key}: {c.Value}"))}");
            results.Add(new FloodResult(id, description, settings.FloodRate, floodRun, validRun));
        }

        return [.. results];
    }

    /// <summary>RedisEdge's view of the same tokens: same ids, SHA-256 of the same secrets, same identity and expiry.</summary>
    private async Task SeedRedisAsync(IssuedToken[] tokens)
    {
        Console.WriteLine($"==> seeding RedisEdge's redis-server with the same {tokens.Length} tokens");
        using var redis = await ConnectionMultiplexer.ConnectAsync(settings.EdgeRedis);
        var database = redis.GetDatabase();
        foreach (var chunk in tokens.Chunk(500))
        {
            await Task.WhenAll(chunk.Select(t => database.HashSetAsync(
                "zpbench:token:" + t.TokenId,
                [
                    new HashEntry("sha256", System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(t.Secret))),
                    new HashEntry("org", t.OrgId),
                    new HashEntry("user", t.UserId),
                    new HashEntry("perms", string.Join(',', t.Permissions)),
                    new HashEntry("exp", t.ExpiresAt.ToUnixTimeSeconds()),
                ])));
        }
    }

    private string WriteTokenFile(string name, IEnumerable<(string Id, string Secret)> lines)
    {
        var path = Path.Combine(settings.Results, "data", name);
        File.WriteAllLines(path, lines.Select(l => $"{l.Id} {l.Secret}"));
        return path;
    }

    private static async Task ExpectOkAsync(Uri target, string path, IssuedToken token)
    {
        using var http = AuthCheck.Client(target);
        var (status, _) = await AuthCheck.SendAsync(http, token.TokenId, token.Secret, path);
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{target}{path} answered {(int)status}, expected 200."));
        }
    }
}
