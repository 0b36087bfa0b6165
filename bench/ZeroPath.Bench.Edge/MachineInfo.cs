using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ZeroPath.Bench.Edge;

internal static class MachineInfo
{
    public static Machine Read(BenchSettings settings) => new(
        Environment.ProcessorCount,
        CpuModel(),
        RuntimeInformation.FrameworkDescription,
        settings.Sdk,
        WrkVersion(),
        RuntimeInformation.OSDescription,
        settings.LoadBefore ?? LoadAverage());

    /// <summary>The load averages (1, 5, 15 minutes): well above 0 before a run means something else was busy.</summary>
    public static string LoadAverage()
    {
        const string file = "/proc/loadavg";
        return File.Exists(file) ? string.Join(' ', File.ReadAllText(file).Split(' ').Take(3)) : "unknown";
    }

    private static string CpuModel()
    {
        const string file = "/proc/cpuinfo";
        if (!File.Exists(file))
        {
            return "unknown";
        }

        var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string WrkVersion()
    {
        var start = new ProcessStartInfo("wrk", ["-v"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        var first = output.Split('\n')[0];
        var copyright = first.IndexOf(" Copyright", StringComparison.Ordinal);
        return (copyright > 0 ? first[..copyright] : first).Trim();
    }
}
