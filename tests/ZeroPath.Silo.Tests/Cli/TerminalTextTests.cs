using System.Text.Json;
using ZeroPath.Cli;

namespace ZeroPath.Silo.Tests.Cli;

public class TerminalTextTests
{
    [Theory]
    [InlineData("plain name", "plain name")]
    [InlineData("caf\u00e9 \u65e5\u672c \U0001F600", "caf\u00e9 \u65e5\u672c \U0001F600")]
    [InlineData("\u001b[31mred\u001b[0m", @"\x1b[31mred\x1b[0m")]
    [InlineData("a\u0000b\u0007c\td\ne\rf", @"a\x00b\x07c\x09d\x0ae\x0df")]
    [InlineData("del\u007f", @"del\x7f")]
    [InlineData("c1\u0085\u009b2J", @"c1\x85\x9b2J")]
    [InlineData("\u202egnp.exe", @"\u202egnp.exe")]
    [InlineData("\u202a\u202b\u202c\u202d", @"\u202a\u202b\u202c\u202d")]
    [InlineData("\u2066\u2067\u2068\u2069", @"\u2066\u2067\u2068\u2069")]
    [InlineData("\u200e\u200f\u061c", @"\u200e\u200f\u061c")]
    [InlineData("line\u2028para\u2029", @"line\u2028para\u2029")]
    [InlineData(@"back\slash \x1b", @"back\\slash \\x1b")]
    [InlineData("\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\", @"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\")]
    public void Control_bidi_and_lone_surrogate_characters_are_escaped_and_the_rest_kept(string text, string expected)
    {
        Assert.Equal(expected, TerminalText.Escape(text));
    }

    [Fact]
    public void Lone_surrogates_are_escaped_and_pairs_kept()
    {
        // Built here: xUnit cannot carry a lone surrogate through InlineData.
        var text = "lone " + '\ud800' + " pair \U0001F600 " + '\udc00';

        Assert.Equal(@"lone \ud800 pair " + "\U0001F600" + @" \udc00", TerminalText.Escape(text));
    }

    [Fact]
    public void Nothing_dangerous_is_left_in_any_character()
    {
        for (var c = 0; c <= 0xFFFF; c++)
        {
            var escaped = TerminalText.Escape(((char)c).ToString());
            Assert.DoesNotContain(escaped, ch => ch < ' ' || ch is >= '\u007f' and <= '\u009f' || ch is >= '\u202a' and <= '\u202e' || ch is >= '\u2066' and <= '\u2069' || char.IsSurrogate(ch));
        }
    }

    [Fact]
    public void Table_cells_and_json_output_escape_what_the_server_sent()
    {
        using var document = JsonDocument.Parse("{\"name\":\"\\u001b[2J\\u202eevil\",\"tags\":[\"\\u0007\"]}");

        Assert.Equal(@"\x1b[2J\u202eevil", Output.Cell(document.RootElement, "name"));
        Assert.Equal(@"\x07", Output.Cell(document.RootElement, "tags"));
        var json = Output.JsonText(document.RootElement);
        Assert.DoesNotContain(json, ch => ch == '\u001b' || ch == '\u202e' || ch == '\u0007');
        Assert.Equal("\u001b[2J\u202eevil", JsonDocument.Parse(json).RootElement.GetProperty("name").GetString());
    }
}

public class KeySourceTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("zpctl-key-").FullName;

    [Fact]
    public void The_environment_is_used_without_a_warning()
    {
        var resolved = KeySource.Resolve(null, null, " env-key-0123456789 \n");

        Assert.Equal(("env-key-0123456789", null), (resolved.Key, resolved.Error));
        Assert.Empty(resolved.Warnings);
    }

    [Fact]
    public void Key_on_the_command_line_works_with_a_warning_and_wins()
    {
        var resolved = KeySource.Resolve("flag-key-0123456789", null, "env-key-0123456789");

        Assert.Equal("flag-key-0123456789", resolved.Key);
        Assert.Equal([KeySource.CommandLineWarning], resolved.Warnings);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_key_file_gives_its_first_line_and_warns_only_when_others_can_read_it()
    {
        var path = Path.Combine(folder, "key");
        File.WriteAllText(path, "file-key-0123456789\nsecond line\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var private600 = KeySource.Resolve(null, path, "env-key-0123456789");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var shared = KeySource.Resolve(null, path, null);

        Assert.Equal("file-key-0123456789", private600.Key);
        Assert.Empty(private600.Warnings);
        Assert.Equal("file-key-0123456789", shared.Key);
        Assert.Contains("chmod 600", Assert.Single(shared.Warnings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("empty")]
    public void A_missing_or_empty_key_file_is_an_error_naming_it(string which)
    {
        var path = Path.Combine(folder, which + "\u001b[31m");
        if (which == "empty")
        {
            File.WriteAllText(path, "\n");
        }

        var resolved = KeySource.Resolve(null, path, "env-key-0123456789");

        Assert.Null(resolved.Key);
        Assert.Contains(which + @"\x1b[31m", resolved.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void No_key_or_both_flags_is_an_error()
    {
        Assert.Contains("ZP_ADMIN_KEY", KeySource.Resolve(null, null, null).Error, StringComparison.Ordinal);
        Assert.Null(KeySource.Resolve("a-key-0123456789", Path.Combine(folder, "key"), null).Key);
    }

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}

public class TransportTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8081", false)]
    [InlineData("http://127.8.9.10:8081", false)]
    [InlineData("http://localhost:8081", false)]
    [InlineData("http://[::1]:8081", false)]
    [InlineData("https://admin.internal:8443", false)]
    [InlineData("https://10.0.0.5:8081", false)]
    [InlineData("http://admin.internal:8081", true)]
    [InlineData("http://10.0.0.5:8081", true)]
    [InlineData("http://[2001:db8::1]:8081", true)]
    public void Plain_http_to_another_host_is_warned_about(string url, bool warned)
    {
        var warning = Transport.ClearTextWarning(new Uri(url));

        Assert.Equal(warned, warning is not null);
    }
}
