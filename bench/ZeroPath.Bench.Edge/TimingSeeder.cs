using System.Text.Json;

namespace ZeroPath.Bench.Edge;

/// <summary>
/// The tokens of the refusal-timing scenario, created before the gateway it measures starts. bench.sh calls it twice:
/// <c>cheap</c> while the silo hashes cheaply (sets whose requests never run Argon2), and <c>argon2</c> once it runs with
/// the production parameters (the set whose wrong secrets are verified). The tokens of <see cref="TimingKinds.RevokedEarlier"/>
/// are revoked here, so the timing gateway, started later, never hears of it. Each set is written to
/// <c>results/data/timing-{set}.json</c>, measured tokens and warm-up tokens apart.
/// </summary>
internal sealed class TimingSeeder(BenchSettings settings)
{
    public static string SetFile(string results, string set) => Path.Combine(results, "data", $"timing-{set}.json");

    public static int PoolSize(TimingKind kind, int cold, int warm) =>
        kind.MaxRepeatsPerId == int.MaxValue ? cold : Math.Max(cold, (warm + kind.MaxRepeatsPerId - 2) / (kind.MaxRepeatsPerId - 1));

    public async Task RunAsync()
    {
        var (sets, argon2) = settings.TimingSet switch
        {
            "cheap" => (TimingKinds.CheapSets, settings.SeedArgon2),
            "argon2" => (TimingKinds.Argon2Sets, settings.ColdArgon2),
            _ => throw new ArgumentException($"--TimingSet= must be cheap or argon2, not '{settings.TimingSet}'."),
        };
        using var admin = new AdminClient(settings.Admin, BenchSettings.AdminKey);
        var seeder = new TokenSeeder(admin, settings.SeedParallelism);
        var created = new Dictionary<string, IssuedToken[]>();
        foreach (var set in sets)
        {
            var kind = TimingKinds.Get(set);
            var measured = PoolSize(kind, settings.TimingCold, settings.TimingWarm);
            var count = measured + settings.TimingWarmupIds;
            var (tokens, seeding) = await seeder.CreateAsync("timing-" + set.Replace('.', '-'), count, TokensPerOrg, argon2);
            Console.WriteLine($"    {set}: {count} tokens in {seeding.Seconds:F1} s (Argon2 {argon2})");
            created[set] = tokens[..measured];
            created[set + WarmupSuffix] = tokens[measured..];
        }

        if (created.TryGetValue(TimingKinds.RevokedEarlier, out var revoked))
        {
            var all = revoked.Concat(created[TimingKinds.RevokedEarlier + WarmupSuffix]).ToArray();
            await RevokeAsync(admin, all);
            Console.WriteLine($"    {TimingKinds.RevokedEarlier}: {all.Length} tokens revoked");
        }

        Directory.CreateDirectory(Path.Combine(settings.Results, "data"));
        await using var file = File.Create(SetFile(settings.Results, settings.TimingSet));
        await JsonSerializer.SerializeAsync(file, created, Json.Options);
    }

    public const string WarmupSuffix = "/warm-up";

    /// <summary>An organization creates its tokens one at a time: small ones let production-cost creations overlap.</summary>
    private const int TokensPerOrg = 25;

    public static async Task RevokeAsync(AdminClient admin, IEnumerable<IssuedToken> tokens) =>
        await Parallel.ForEachAsync(tokens, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (token, ct) => await admin.RevokeAsync(token.TokenId, ct));

    public static async Task<Dictionary<string, IssuedToken[]>> ReadAsync(string results)
    {
        var all = new Dictionary<string, IssuedToken[]>();
        foreach (var set in new[] { "cheap", "argon2" })
        {
            var path = SetFile(results, set);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: run timing-seed --TimingSet={set} first.");
            }

            await using var file = File.OpenRead(path);
            var sets = await JsonSerializer.DeserializeAsync<Dictionary<string, IssuedToken[]>>(file, Json.Options)
                ?? throw new InvalidOperationException($"{path} is empty.");
            foreach (var (name, tokens) in sets)
            {
                all[name] = tokens;
            }
        }

        return all;
    }
}
