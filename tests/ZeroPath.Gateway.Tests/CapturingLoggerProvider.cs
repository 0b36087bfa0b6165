using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ZeroPath.Gateway.Tests;

/// <summary>Keeps every log entry of a host, at every level: its formatted message, state and scope values, and exception.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedLog> logs = new();
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<CapturedLog> Logs => [.. logs];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private static void AddValues(object? state, List<string> values)
    {
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var (key, value) in pairs)
            {
                values.Add($"{key}={Describe(value)}");
            }
        }

        values.Add(Describe(state));
    }

    private static string Describe(object? value) => value switch
    {
        null => "",
        string text => text,
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(i => i?.ToString())),
        _ => value.ToString() ?? "",
    };

    /// <summary>Everything an exception chain says: each message, type, stack and data entry (as <c>ToString</c> and sinks would).</summary>
    private static string? Describe(Exception? exception)
    {
        if (exception is null)
        {
            return null;
        }

        var parts = new List<string> { exception.ToString() };
        var pending = new Stack<Exception>([exception]);
        while (pending.TryPop(out var current))
        {
            parts.Add(current.Message);
            foreach (DictionaryEntry entry in current.Data)
            {
                parts.Add($"{entry.Key}={Describe(entry.Value)}");
            }

            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }

        return string.Join('\n', parts);
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new List<string>();
            AddValues(state, values);
            provider.scopes.ForEachScope((scope, list) => AddValues(scope, list), values);
            provider.logs.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), values, Describe(exception)));
        }
    }
}

public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<string> Values, string? Exception)
{
    public override string ToString() => $"{Level} {Category} [{EventId}]: {Message}";
}
