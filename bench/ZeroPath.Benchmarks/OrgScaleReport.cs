using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace ZeroPath.Benchmarks;

/// <summary>
/// Writes the org-scale section of docs/benchmarks.md (between its markers, replaced in place; appended the first time)
/// from the JSON the phases left in the results folder.
/// </summary>
internal static class OrgScaleReport
{
    public const string Begin = "<!-- org-scale:begin -->";
    public const string End = "<!-- org-scale:end -->";

    public static async Task WriteAsync(IConfiguration configuration, string results)
    {
        var report = configuration["Report"] ?? throw new InvalidOperationException("--Report is required.");
        JsonNode? Read(string name) =>
            File.Exists(Path.Combine(results, name + ".json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(results, name + ".json"))) : null;
        var commandsFile = Path.Combine(results, "commands.txt");
        var commands = File.Exists(commandsFile) ? await File.ReadAllLinesAsync(commandsFile) : [];

        var text = new StringBuilder();
        text.AppendLine(Begin);
        text.AppendLine("## One organization of 100,000 tokens and 10,000 members (`./bench.sh --org-scale`)");
        text.AppendLine();
        text.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC with `{configuration["Invocation"]}` on {Environment.ProcessorCount} cores ({configuration["Cpu"]}), .NET {Environment.Version}; " +
            $"load average before: {configuration["LoadBefore"]}. One silo process on Redis storage (appendonly, appendfsync always, as run.sh), " +
            "mutual TLS and the call key on the cluster plane; the driver is a trusted Orleans client (gateway certificate + call key). " +
            "The machine was shared with other work: \"foreign CPU\" is the CPU time other processes took during a measurement.");
        text.AppendLine();

        text.AppendLine("### Creates per second into one organization against the hasher's own rate (production Argon2)");
        text.AppendLine();
        text.AppendLine("Argon2id with the production parameters (m=19456 KiB, t=2, p=1). (a) `TokenSecretHasher.HashAsync` in one process " +
            "with its concurrency bound; (b) `CreateToken` into ONE new organization through the silo, with the same bound configured in the silo " +
            "(`ZeroPath:Argon2:MaxConcurrentOperations`). The production default bound is half the cores: 1 here.");
        text.AppendLine();
        text.AppendLine("| Hasher bound | Callers | (a) hashes/s in process | (b) creates/s, one org | (b)/(a) | create p50 / p99 ms | foreign CPU (a); (b) |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var (bound, label) in new[] { ("default", "default (1)"), ("bound2", "2") })
        {
            foreach (var callers in new[] { 1, 8 })
            {
                var hasher = Read($"hasher-{bound}-{callers}");
                var creates = Read($"creates-{bound}-{callers}");
                if (hasher is null && creates is null)
                {
                    continue;
                }

                var a = hasher?["perSecond"]?.GetValue<double>();
                var b = creates?["perSecond"]?.GetValue<double>();
                text.AppendLine($"| {label} | {callers} | {a?.ToString("F2", CultureInfo.InvariantCulture) ?? "-"} | {b?.ToString("F2", CultureInfo.InvariantCulture) ?? "-"} | " +
                    $"{(a is > 0 && b is { } bv ? (bv / a.Value).ToString("F2", CultureInfo.InvariantCulture) + "x" : "-")} | " +
                    $"{creates?["p50Ms"]} / {creates?["p99Ms"]} | {hasher?["foreignCpu"]}; {creates?["foreignCpu"]} |");
            }
        }

        text.AppendLine();
        text.AppendLine("Target: (b)/(a) >= 0.8 with enough callers to keep the hasher busy (8). (a) and (b) run one after the other, so " +
            "the CPU other processes took (last column) weighs on each differently; compare rows with similar foreign CPU.");
        var one = Read("creates-bound2-1")?["perSecond"]?.GetValue<double>();
        var eight = Read("creates-bound2-8")?["perSecond"]?.GetValue<double>();
        if (one is > 0 && eight is { } e)
        {
            text.AppendLine();
            text.AppendLine($"Two creates in one organization hash in parallel: with bound 2, 8 callers create {e / one.Value:F2}x as many tokens per second as 1 caller " +
                "(hashing runs outside the organization's turn; only storing the token takes a turn).");
        }

        text.AppendLine();
        if (Read("scale") is { } scale)
        {
            AppendScale(text, scale);
        }
        else
        {
            text.AppendLine("(The scale phase did not run or did not finish: no scale figures.)");
        }

        text.AppendLine();
        text.AppendLine("Commands (the cluster's keys and certificates are made per run and not shown):");
        text.AppendLine();
        text.AppendLine("```bash");
        foreach (var line in commands)
        {
            text.AppendLine(line);
        }

        text.AppendLine("```");
        text.AppendLine(End);

        var existing = File.Exists(report) ? await File.ReadAllTextAsync(report) : "# Benchmarks\n";
        await File.WriteAllTextAsync(report, Splice(existing, text.ToString()));
        Console.WriteLine($"org-scale section written to {report}");
    }

    private static void AppendScale(StringBuilder text, JsonNode scale)
    {
        text.AppendLine("### The organization at size");
        text.AppendLine();
        text.AppendLine($"Seeded with CHEAP Argon2 (m=64 KiB, t=1, p=1, set through `ZeroPath:Argon2:*`; production parameters would take hours here), " +
            $"so these figures are the organization's own cost (storage and turns), not hashing. {scale["members"]} members, " +
            $"{scale["tokens"]} tokens from {scale["creators"]} concurrent creators (token i belongs to member i mod {scale["members"]}), after a warm-up of {scale["creators"]} x 20 creates in another organization.");
        text.AppendLine();
        var seeding = scale["seeding"]!;
        text.AppendLine($"Members: {scale["memberSeeding"]?["perSecond"]}/s ({scale["memberSeeding"]?["seconds"]} s). Tokens: {seeding["perSecond"]} creates/s overall ({seeding["seconds"]} s).");
        text.AppendLine();
        text.AppendLine("| Tokens in the organization | creates/s | mean create ms |");
        text.AppendLine("| --- | --- | --- |");
        foreach (var window in seeding["windows"]!.AsArray())
        {
            text.AppendLine($"| {window!["from"]}–{window["to"]} | {window["perSecond"]} | {window["meanMs"]} |");
        }

        var windows = seeding["windows"]!.AsArray();
        var firstRate = windows[0]!["perSecond"]!.GetValue<double>();
        var lastRate = windows[^1]!["perSecond"]!.GetValue<double>();
        var rates = windows.Select(w => w!["perSecond"]!.GetValue<double>()).ToArray();
        text.AppendLine();
        text.AppendLine($"Last tenth against the first: {lastRate / firstRate:F2}x the creates/s (tenths ranged {rates.Min()}–{rates.Max()}/s on this shared machine).");
        text.AppendLine();
        var empty = scale["probeEmpty"]!;
        var full = scale["probeFull"]!;
        text.AppendLine($"One create alone (1 caller, {empty["creates"]} in a row): empty organization mean {empty["meanMs"]} ms (p50 {empty["p50Ms"]}, p99 {empty["p99Ms"]}); " +
            $"at {scale["tokens"]} tokens mean {full["meanMs"]} ms (p50 {full["p50Ms"]}, p99 {full["p99Ms"]}).");
        text.AppendLine();
        var list = scale["list"]!;
        var remove = scale["removeMember"]!;
        var change = scale["permissionChange"]!;
        var revoke = scale["revokeAll"]!;
        text.AppendLine("| Operation at size | Time |");
        text.AppendLine("| --- | --- |");
        text.AppendLine($"| list, first page (100) | {list["firstPageMs"]} ms (again: {list["firstPageAgainMs"]} ms) |");
        text.AppendLine($"| list, deep page (100 after sequence {list["deepPageCursorAfterSequence"]}) | {list["deepPageMs"]} ms (again: {list["deepPageAgainMs"]} ms) |");
        text.AppendLine($"| list, every page of 500 ({list["allPagesOf500"]} pages, {list["listed"]} tokens) | {list["allPagesMs"]} ms |");
        text.AppendLine($"| delete one token | {scale["deleteOneMs"]} ms |");
        text.AppendLine($"| permission change of a member with {change["memberTokens"]} tokens (SetMember returns when they follow) | {change["ms"]} ms |");
        text.AppendLine($"| remove a member with {remove["memberTokens"]} tokens: returns / its tokens all refuse / fan-out done | {remove["ms"]} / {remove["allRefusedMs"]} / {remove["fanOutDoneMs"]} ms |");
        text.AppendLine($"| revoke-all of {revoke["tokens"]} tokens: RevokeAll returns | {revoke["returnedMs"]} ms |");
        text.AppendLine($"| validating the sample of {revoke["sample"]} before revoke-all, cold (first validation) / warm | {revoke["sampleValidateColdMs"]} / {revoke["sampleValidateWarmMs"]} ms |");
        text.AppendLine($"| revoke-all: a sample of {revoke["sample"]} warm tokens all refuse (validated through the token grains, {revoke["samplePasses"]} pass(es)) | {revoke["sampleAllRefusedMs"]} ms |");
        text.AppendLine($"| revoke-all: fan-out complete (`PendingWork().Revocations == 0`) | {revoke["fanOutDoneMs"]} ms |");
        text.AppendLine();
        text.AppendLine($"Silo RSS: {Memory(scale["siloAfterMembers"])} after the members, {Memory(scale["siloAfterSeeding"])} after seeding, " +
            $"{Memory(scale["siloAfterRevokeAll"])} after revoke-all's fan-out. Foreign CPU over the whole phase: {scale["foreignCpu"]}.");
    }

    private static string Memory(JsonNode? node) =>
        node is null ? "(not read)" : $"{node["rssMiB"]} MiB (peak {node["peakRssMiB"]} MiB)";

    /// <summary>Replaces the section between the markers, or appends it.</summary>
    public static string Splice(string existing, string section)
    {
        var start = existing.IndexOf(Begin, StringComparison.Ordinal);
        var end = existing.IndexOf(End, StringComparison.Ordinal);
        if (start >= 0 && end > start)
        {
            var after = existing[(end + End.Length)..].TrimStart('\r', '\n');
            return existing[..start] + section + (after.Length > 0 ? "\n" + after : "");
        }

        return existing.TrimEnd() + "\n\n" + section;
    }
}
