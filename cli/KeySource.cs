namespace ZeroPath.Cli;

/// <summary>
/// Where zpctl takes the admin key from, in order: <c>--key</c> (works, with a warning: command lines are visible in
/// <c>ps</c> and shell history), <c>--key-file</c> (its first line), the <c>ZP_ADMIN_KEY</c> environment variable.
/// </summary>
public static class KeySource
{
    public const string EnvironmentVariable = "ZP_ADMIN_KEY";

    public const string CommandLineWarning =
        "zpctl: warning: --key puts the admin key on the command line, where ps and shell history can read it; set ZP_ADMIN_KEY or use --key-file instead.";

    private const UnixFileMode SharedBits =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public sealed record Resolution(string? Key, string? Error, IReadOnlyList<string> Warnings);

    public static Resolution Resolve(string? commandLineKey, string? keyFile, string? environmentKey)
    {
        if (commandLineKey is not null && keyFile is not null)
        {
            return new(null, "zpctl: pass either --key or --key-file, not both", []);
        }

        if (commandLineKey is not null)
        {
            return commandLineKey.Trim() is { Length: > 0 } key
                ? new(key, null, [CommandLineWarning])
                : new(null, "zpctl: --key is empty", [CommandLineWarning]);
        }

        if (keyFile is not null)
        {
            return FromFile(keyFile);
        }

        return environmentKey?.Trim() is { Length: > 0 } fromEnvironment
            ? new(fromEnvironment, null, [])
            : new(null, $"zpctl: no admin key: set {EnvironmentVariable} or pass --key-file PATH", []);
    }

    private static Resolution FromFile(string path)
    {
        var shown = TerminalText.Escape(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new(null, $"zpctl: cannot read --key-file {shown}: {TerminalText.Escape(exception.Message)}", []);
        }

        var key = text.Split('\n', 2)[0].Trim();
        if (key.Length == 0)
        {
            return new(null, $"zpctl: --key-file {shown} is empty; its first line must be the admin key", []);
        }

        List<string> warnings = [];
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & SharedBits) != 0)
        {
            warnings.Add($"zpctl: warning: --key-file {shown} can be read by other users; chmod 600 it.");
        }

        return new(key, null, warnings);
    }
}
