using System.Diagnostics;
using System.Text;

namespace ZeroPath.Testing;

/// <summary>Everything a started process writes to stdout and stderr, line by line as it arrives.</summary>
public sealed class ProcessOutput
{
    private readonly StringBuilder text = new();

    private ProcessOutput()
    {
    }

    public string Text
    {
        get
        {
            lock (text)
            {
                return text.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="process"/> (its start info redirecting both streams) and reads both into the result.</summary>
    public static ProcessOutput Start(Process process)
    {
        var output = new ProcessOutput();
        process.OutputDataReceived += (_, e) => output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => output.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {process.StartInfo.FileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return output;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
        }
    }
}
