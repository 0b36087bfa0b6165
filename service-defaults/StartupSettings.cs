using Microsoft.Extensions.Configuration;

namespace ZeroPath.ServiceDefaults;

/// <summary>
/// Binds settings at start-up and collects every problem, each naming the setting and its environment variable, so a
/// misconfigured process stops at once with one message instead of failing later on first use.
/// </summary>
public sealed class StartupSettings(IConfiguration configuration)
{
    private readonly List<string> problems = [];

    public T Bind<T>(string section)
        where T : new() => configuration.GetSection(section).Get<T>() ?? new T();

    public void Fail(string section, string key, string problem) =>
        problems.Add($"{section}:{key} (environment variable {section.Replace(":", "__", StringComparison.Ordinal)}__{key}) {problem}");

    public bool RequireText(string section, string key, string? value, string meaning)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        Fail(section, key, $"is required: {meaning}.");
        return false;
    }

    public void RequireRange(string section, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            Fail(section, key, $"must be between {min} and {max} (was {value}).");
        }
    }

    /// <summary>Throws one exception listing every problem found, if any.</summary>
    public void ThrowIfInvalid()
    {
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration:" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", problems));
        }
    }
}
