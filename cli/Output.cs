using System.Text;
using System.Text.Json;

namespace ZeroPath.Cli;

/// <summary>Readable tables by default, the API's JSON with --json.</summary>
public static class Output
{
    // The default encoder writes every control, bidi and other non-ASCII character as a \uXXXX escape.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Json(JsonElement? body) => Console.WriteLine(JsonText(body));

    public static string JsonText(JsonElement? body) => body is { } b ? JsonSerializer.Serialize(b, Indented) : "null";

    /// <summary>One row per element (or one for an object), the named properties as columns.</summary>
    public static void Table(JsonElement? body, params string[] columns)
    {
        if (body is not { } element)
        {
            return;
        }

        var rows = element.ValueKind == JsonValueKind.Array ? [.. element.EnumerateArray()] : new List<JsonElement> { element };
        var cells = rows.Select(row => columns.Select(c => Cell(row, c)).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        text.AppendLine(string.Join("  ", columns.Select((c, i) => c.ToUpperInvariant().PadRight(widths[i]))).TrimEnd());
        foreach (var row in cells)
        {
            text.AppendLine(string.Join("  ", row.Select((v, i) => v.PadRight(widths[i]))).TrimEnd());
        }

        Console.Write(text.ToString());
    }

    /// <summary>A cell's text, escaped: names, reasons and ids come from the server and may hold control characters.</summary>
    public static string Cell(JsonElement row, string column) =>
        !row.TryGetProperty(column, out var value) ? "" : TerminalText.Escape(value.ValueKind switch
        {
            JsonValueKind.Null => "-",
            JsonValueKind.Array => string.Join(",", value.EnumerateArray().Select(v => v.ToString())),
            JsonValueKind.Object => string.Join(",", value.EnumerateObject().Select(p => $"{p.Name}={p.Value}")),
            _ => value.ToString(),
        });
}
