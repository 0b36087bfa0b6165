using System.Globalization;
using System.Text;

namespace ZeroPath.Cli;

/// <summary>
/// Makes text from the server (names, reasons, problem details) and from anywhere else safe to print on a terminal:
/// control characters (C0, DEL, C1: the start of every escape sequence), the invisible characters that reorder or
/// break lines (bidi embeddings, overrides, isolates and marks, line and paragraph separators), and lone surrogates are
/// written as <c>\xHH</c> or <c>\uHHHH</c>; a backslash as <c>\\</c>, so an escape seen is always one made here.
/// </summary>
public static class TerminalText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(NeedsEscape))
        {
            return text ?? "";
        }

        var escaped = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(c).Append(text[++i]);
            }
            else if (c == '\\')
            {
                escaped.Append(@"\\");
            }
            else if (!NeedsEscape(c))
            {
                escaped.Append(c);
            }
            else if (c <= '\u00ff')
            {
                escaped.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => c switch
    {
        < ' ' or '\u007f' or (>= '\u0080' and <= '\u009f') => true,
        '\\' => true,
        '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029' => true,
        >= '\u202a' and <= '\u202e' => true,
        >= '\u2066' and <= '\u2069' => true,
        _ => char.IsSurrogate(c),
    };
}
