using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ZeroPath.Cli;

/// <summary>
/// <c>tokens list</c>: the admin API answers a page at a time (<c>limit</c>, <c>cursor</c> → <c>items</c>,
/// <c>nextCursor</c>). Asked for a page (<c>--limit</c> or <c>--cursor</c>), zpctl prints that page; else it follows
/// <c>nextCursor</c> to the last page and prints every token.
/// </summary>
public static class TokenList
{
    /// <summary>The API's largest page; also the page size when following every page, so the fewest calls.</summary>
    public const int MaxLimit = 500;

    private static readonly string[] Columns = ["tokenId", "name", "userId", "createdAt", "expiresAt", "restrictions", "lastUsedAt", "lastUsedFrom"];

    /// <summary>A page size, 1–500: anything else is a usage error before any request is sent. (Parse errors are escaped when printed.)</summary>
    public static Option<int?> LimitOption(string description) => new("--limit")
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= MaxLimit)
            {
                return value;
            }

            result.AddError($"--limit must be a whole number from 1 to {MaxLimit}, not '{text}'.");
            return null;
        },
    };

    /// <summary>
    /// A cursor is opaque, but its shape is published (11 characters of the base64url alphabet): anything else cannot be
    /// one and is refused here; a well-formed cursor the API did not make is the API's 400 <c>invalid_cursor</c>.
    /// </summary>
    public static Option<string?> CursorOption()
    {
        var option = new Option<string?>("--cursor") { Description = "nextCursor of the previous page, unchanged; prints that one page" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } cursor && !IsCursorShaped(cursor))
            {
                result.AddError($"--cursor must be the nextCursor an earlier page printed (11 characters of A-Z, a-z, 0-9, '-' and '_'), not '{cursor}'.");
            }
        });
        return option;
    }

    /// <summary>
    /// <c>--unused-for</c>: <c>Nd</c> (1–365 days) or <c>Nh</c> (1–999 hours), as the API takes it; anything else is a
    /// usage error before any request is sent.
    /// </summary>
    public static Option<string?> UnusedForOption()
    {
        var option = new Option<string?>("--unused-for")
        {
            Description = "Only tokens created at least this long ago and not used since: 1d-365d or 1h-999h (e.g. 30d)",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && !IsUnusedFor(value))
            {
                result.AddError($"--unused-for must be a number of days from 1d to 365d or of hours from 1h to 999h, not '{value}'.");
            }
        });
        return option;
    }

    public static async Task<int> RunAsync(
        AdminClient client, string org, int? limit, string? cursor, bool json, CancellationToken cancellationToken, string? unusedFor = null)
    {
        var path = $"/admin/v1/orgs/{Uri.EscapeDataString(org)}/tokens";
        if (unusedFor is not null)
        {
            path += $"?unusedFor={unusedFor}";
        }

        if (limit is not null || cursor is not null)
        {
            return await OnePageAsync(client, path, limit, cursor, json, cancellationToken);
        }

        var items = new List<JsonElement>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? next = null;
        do
        {
            var (exit, body) = await client.SendAsync(HttpMethod.Get, path + Query(path, MaxLimit, next), null, cancellationToken);
            if (exit != ExitCodes.Ok)
            {
                return exit;
            }

            if (!TryReadPage(body, out var page, out next))
            {
                return await NotAPageAsync();
            }

            items.AddRange(page);
            if (next is not null && !seen.Add(next))
            {
                // Each page continues after its last token, so a cursor never comes back; if one did, following would never end.
                await Console.Error.WriteLineAsync($"zpctl: the admin API answered nextCursor {TerminalText.Escape(next)} a second time; stopped after {items.Count} tokens.");
                return ExitCodes.ServerError;
            }
        }
        while (next is not null);

        // All pages read before anything is printed: a failure part way prints no partial list.
        var all = JsonSerializer.SerializeToElement(items);
        if (json)
        {
            Output.Json(all);
        }
        else
        {
            Output.Table(all, Columns);
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> OnePageAsync(AdminClient client, string path, int? limit, string? cursor, bool json, CancellationToken cancellationToken)
    {
        var (exit, body) = await client.SendAsync(HttpMethod.Get, path + Query(path, limit, cursor), null, cancellationToken);
        if (exit != ExitCodes.Ok)
        {
            return exit;
        }

        if (!TryReadPage(body, out var items, out var next))
        {
            return await NotAPageAsync();
        }

        if (json)
        {
            Output.Json(body);
            return ExitCodes.Ok;
        }

        Output.Table(JsonSerializer.SerializeToElement(items), Columns);
        if (next is not null)
        {
            // On stderr, so the table on stdout stays only the table.
            await Console.Error.WriteLineAsync($"zpctl: more tokens follow; next page: --cursor {TerminalText.Escape(next)}");
        }

        return ExitCodes.Ok;
    }

    private static string Query(string path, int? limit, string? cursor)
    {
        var parts = new List<string>(2);
        if (limit is { } l)
        {
            parts.Add($"limit={l.ToString(CultureInfo.InvariantCulture)}");
        }

        if (cursor is not null)
        {
            parts.Add($"cursor={Uri.EscapeDataString(cursor)}");
        }

        return parts.Count == 0 ? "" : (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + string.Join('&', parts);
    }

    private static bool TryReadPage(JsonElement? body, out List<JsonElement> items, out string? next)
    {
        items = [];
        next = null;
        if (body is not { ValueKind: JsonValueKind.Object } page ||
            !page.TryGetProperty("items", out var list) || list.ValueKind != JsonValueKind.Array ||
            !page.TryGetProperty("nextCursor", out var cursor) || cursor.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            return false;
        }

        items.AddRange(list.EnumerateArray());
        next = cursor.GetString();
        return true;
    }

    private static async Task<int> NotAPageAsync()
    {
        await Console.Error.WriteLineAsync("zpctl: the admin API did not answer a token page ({\"items\": [...], \"nextCursor\": ...}); is the silo older than this zpctl?");
        return ExitCodes.ServerError;
    }

    private static bool IsUnusedFor(string value) =>
        value.Length is >= 2 and <= 4 && value[0] is >= '1' and <= '9' && value[..^1].All(char.IsAsciiDigit)
        && int.Parse(value[..^1], CultureInfo.InvariantCulture) is var number
        && (value[^1] == 'h' || (value[^1] == 'd' && number <= 365));

    private static bool IsCursorShaped(string cursor) =>
        cursor.Length == 11 && cursor.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
