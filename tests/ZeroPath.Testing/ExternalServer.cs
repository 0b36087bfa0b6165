using System.Diagnostics;
using System.Net.Sockets;

namespace ZeroPath.Testing;

/// <summary>A real server process (redis-server, Azurite) on a free loopback port, stopped on dispose.</summary>
public sealed class ExternalServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly ProcessOutput output;

    private ExternalServer(Process process, ProcessOutput output, int port, string dataDirectory)
    {
        this.process = process;
        this.output = output;
        Port = port;
        DataDirectory = dataDirectory;
    }

    public int Port { get; }

    /// <summary>Where the server keeps its data; survives <see cref="StopAsync"/> so a restart finds it again.</summary>
    public string DataDirectory { get; }

    public static async Task<ExternalServer> StartAsync(string fileName, Func<int, string, IEnumerable<string>> arguments, int? port = null, string? dataDirectory = null)
    {
        var chosenPort = port ?? FreeTcpPort.Next();
        var data = dataDirectory ?? Directory.CreateTempSubdirectory("zeropath-server-").FullName;
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = data,
        };
        foreach (var argument in arguments(chosenPort, data))
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var server = new ExternalServer(process, ProcessOutput.Start(process), chosenPort, data);
        // Child processes outlive a test host that exits or crashes unless someone ends them.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.KillQuietly();
        await server.WaitForPortAsync();
        return server;
    }

    /// <summary>Stops the process (SIGKILL: the tests model crashes and outages, not graceful shutdowns).</summary>
    public async Task StopAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGINT, the graceful stop (Azurite saves its data on SIGINT only), then waits for the exit.</summary>
    public async Task InterruptAsync()
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process.Dispose();
    }

    private void KillQuietly()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone or disposed.
        }
    }

    private async Task WaitForPortAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.StartInfo.FileName} exited at start:\n{Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                // Not listening yet: a process start has no event to await.
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"{process.StartInfo.FileName} did not listen on {Port} in 30 s:\n{Output}");
    }

    private string Output => output.Text;
}
