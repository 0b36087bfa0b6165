using System.Diagnostics;
using System.Reflection;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>One of the product's executables running as a real process, its output captured for assertions.</summary>
public sealed class ProductProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Process process;
    private readonly ProcessOutput output;

    private ProductProcess(Process process, ProcessOutput output, Uri baseAddress)
    {
        this.process = process;
        this.output = output;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output => output.Text;

    /// <summary>Starts <c>project/bin/{configuration}/net10.0/{assembly}.dll</c> from its folder, so its appsettings.json applies.</summary>
    public static ProductProcess Start(string project, string assembly, int httpPort, IDictionary<string, string> settings, IDictionary<string, string>? environment = null)
    {
        var folder = Path.Combine(Repository.Root, project, "bin", Repository.Configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(folder, assembly + ".dll"));
        start.ArgumentList.Add($"--Urls=http://127.0.0.1:{httpPort}");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment.Remove("ZP_ADMIN_KEY");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        return new ProductProcess(process, ProcessOutput.Start(process), new Uri($"http://127.0.0.1:{httpPort}"));
    }

    /// <summary>Waits until <paramref name="path"/> answers 200; a process start has no event to await, so this polls, bounded.</summary>
    public async Task WaitUntilOkAsync(string path, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"{process.StartInfo.ArgumentList[0]} exited:\n{Output}");
            try
            {
                using var response = await Http.GetAsync(new Uri(BaseAddress, path));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{BaseAddress}{path} did not answer 200 in time. Output:\n{Output}");
    }

    public bool HasExited => process.HasExited;

    /// <summary>kill -9: no shutdown hooks, no goodbye to the cluster.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }
}

internal static class Repository
{
    /// <summary>The folder holding ZeroPath.Orleans.sln.</summary>
    public static string Root { get; } = ZeroPath.Testing.TestServers.RepositoryRoot();

    /// <summary>Debug or Release: whatever this test assembly was built as, so the products come from the same build.</summary>
    public static string Configuration { get; } =
        typeof(Repository).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
}
