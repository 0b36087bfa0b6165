using System.Text.Json;
using ZeroPath.Bench.Edge;

// The edge benchmark's driver; bench.sh starts every process and calls it once per phase:
//   load           scenarios (a)-(g) on a silo with cheap Argon2        -> results/load.json
//   cold           scenario (i) after the silo restarted with production Argon2 -> results/cold.json
//   timing-seed    refusal timing: its tokens (--TimingSet=cheap, then argon2) -> results/data/timing-*.json
//   timing         refusal timing, against a gateway started after the seeding -> results/timing.json
//   report         docs/benchmarks.md and results/summary.json, and prints the summary
//   timing-report  only the refusal-timing section of the report, replaced in place (./bench.sh --timing-only)
string[] commands = ["load", "cold", "timing-seed", "timing", "report", "timing-report"];
if (args.Length == 0 || !commands.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: ZeroPath.Bench.Edge {string.Join('|', commands)} --Name=value ... (see bench.sh)");
    return 2;
}

var settings = BenchSettings.Parse(args.Skip(1));
AppDomain.CurrentDomain.ProcessExit += (_, _) => WrkRunner.KillAll();
Directory.CreateDirectory(settings.Results);
var loadFile = Path.Combine(settings.Results, "load.json");
var coldFile = Path.Combine(settings.Results, "cold.json");
var timingFile = Path.Combine(settings.Results, "timing.json");
var commandsFile = Path.Combine(settings.Results, "commands.txt");
try
{
    switch (args[0])
    {
        case "load":
            await WriteAsync(loadFile, await new LoadPhase(settings).RunAsync());
            break;
        case "cold":
            await WriteAsync(coldFile, await new ColdPhase(settings).RunAsync());
            break;
        case "timing-seed":
            await new TimingSeeder(settings).RunAsync();
            break;
        case "timing":
            await WriteAsync(timingFile, await new TimingPhase(settings).RunAsync());
            break;
        case "timing-report":
            {
                var timing = await ReadAsync<TimingResult>(timingFile) ?? throw new InvalidOperationException($"{timingFile} is missing: run the timing phase first.");
                var section = TimingReport.Markdown(timing, settings.TimingForeignCpu, settings.Invocation, File.Exists(commandsFile) ? await File.ReadAllLinesAsync(commandsFile) : []);
                var existing = File.Exists(settings.ReportPath) ? await File.ReadAllTextAsync(settings.ReportPath) : "# Edge benchmarks\n";
                Directory.CreateDirectory(Path.GetDirectoryName(settings.ReportPath)!);
                await File.WriteAllTextAsync(settings.ReportPath, TimingReport.Splice(existing, section));
                Console.WriteLine($"Refusal-timing section written to {settings.ReportPath}");
                break;
            }

        default:
            var load = await ReadAsync<LoadResults>(loadFile) ?? throw new InvalidOperationException($"{loadFile} is missing: run the load phase first.");
            var cold = File.Exists(coldFile) ? await ReadAsync<ColdResult>(coldFile) : null;
            var memoryFile = Path.Combine(settings.Results, "memory.json");
            var memory = File.Exists(memoryFile) ? await ReadAsync<MemoryResult>(memoryFile) : null;
            var timingResult = File.Exists(timingFile) ? await ReadAsync<TimingResult>(timingFile) : null;
            var lines = File.Exists(commandsFile) ? await File.ReadAllLinesAsync(commandsFile) : [];
            TimeSpan? elapsed = settings.ElapsedSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
            var report = new Report(
                load, cold, memory, timingResult, lines, elapsed, MachineInfo.LoadAverage(), settings.ForeignCpu, settings.TimingForeignCpu, settings.Invocation);
            Directory.CreateDirectory(Path.GetDirectoryName(settings.ReportPath)!);
            // The org-scale section (./bench.sh --org-scale, bench/ZeroPath.Benchmarks/OrgScaleReport.cs) is kept as it was.
            var markdown = report.Markdown();
            if (File.Exists(settings.ReportPath) && await File.ReadAllTextAsync(settings.ReportPath) is var previous &&
                previous.IndexOf("<!-- org-scale:begin -->", StringComparison.Ordinal) is var begin and >= 0 &&
                previous.IndexOf("<!-- org-scale:end -->", StringComparison.Ordinal) is var end and >= 0 && end > begin)
            {
                markdown = markdown.TrimEnd() + "\n\n" + previous[begin..(end + "<!-- org-scale:end -->".Length)] + "\n";
            }

            await File.WriteAllTextAsync(settings.ReportPath, markdown);
            var summary = JsonSerializer.Serialize(report.Summary(), Report.SummaryJson);
            await File.WriteAllTextAsync(Path.Combine(settings.Results, "summary.json"), summary + "\n");
            Console.WriteLine(summary);
            break;
    }

    return 0;
}
finally
{
    WrkRunner.KillAll();
}

static async Task WriteAsync<T>(string path, T value)
{
    await using var file = File.Create(path);
    await JsonSerializer.SerializeAsync(file, value, Report.SummaryJson);
}

static async Task<T?> ReadAsync<T>(string path)
{
    await using var file = File.OpenRead(path);
    return await JsonSerializer.DeserializeAsync<T>(file, Report.SummaryJson);
}
