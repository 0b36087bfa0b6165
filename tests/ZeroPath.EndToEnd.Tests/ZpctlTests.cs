using System.Diagnostics;
using System.Text.Json;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>The real zpctl, as a process, against a real silo.</summary>
public sealed class ZpctlFixture : IAsyncLifetime
{
    public ProductProcess Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Silo = (await LocalSystem.CreateAsync()).WithCheapArgon2().StartSilo();
        await Silo.WaitUntilOkAsync("/readyz");
    }

    public async Task DisposeAsync() => await Silo.DisposeAsync();

    public async Task<(int Exit, string Out, string Err)> RunAsync(string? key, params string[] args)
    {
        var folder = Path.Combine(Repository.Root, "cli", "bin", Repository.Configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(folder, "zpctl.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ZP_ADMIN_URL"] = Silo.BaseAddress.ToString();
        start.Environment.Remove("ZP_ADMIN_KEY");
        if (key is not null)
        {
            start.Environment["ZP_ADMIN_KEY"] = key;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}

public class ZpctlTests(ZpctlFixture fixture) : IClassFixture<ZpctlFixture>
{
    private const string Key = LocalSystem.AdminKey;

    [Fact]
    public async Task An_operator_manages_a_token_from_creation_to_revocation()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        Assert.Equal(0, (await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "alice", "--permission", "scans:read", "--permission", "vulns:write")).Exit);

        var created = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--name", "CI", "--days", "7", "--json");
        Assert.Equal(0, created.Exit);
        var token = JsonDocument.Parse(created.Out).RootElement;
        var id = token.GetProperty("tokenId").GetString()!;
        var secret = token.GetProperty("tokenSecret").GetString()!;

        var list = await fixture.RunAsync(Key, "tokens", "list", "--org", org);
        Assert.Equal(0, list.Exit);
        Assert.StartsWith("TOKENID", list.Out, StringComparison.Ordinal);
        Assert.Contains(id, list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list.Out, StringComparison.Ordinal);

        var revoked = await fixture.RunAsync(Key, "--actor", "oncall", "revoke", "token", id, "--reason", "leaked");
        Assert.Equal(0, revoked.Exit);
        var shown = await fixture.RunAsync(Key, "tokens", "show", id, "--json");
        Assert.Equal("revoked", JsonDocument.Parse(shown.Out).RootElement.GetProperty("status").GetString());
        Assert.DoesNotContain(secret, shown.Out, StringComparison.Ordinal);

        var audit = await fixture.RunAsync(Key, "audit", "--org", org, "--json");
        var newest = JsonDocument.Parse(audit.Out).RootElement.GetProperty("events")[0];
        Assert.Equal(("token.revoked", "oncall", "leaked"), (newest.GetProperty("action").GetString(), newest.GetProperty("actor").GetString(), newest.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task The_secret_is_printed_once_at_creation_in_table_mode_too()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "bob");

        var created = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "bob");

        Assert.Equal(0, created.Exit);
        Assert.Contains("Token Secret (shown once", created.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_a_member_and_an_organization_report_counts()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "alice");
        await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--json");
        await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--json");

        var member = await fixture.RunAsync(Key, "revoke", "member", "--org", org, "--user", "alice", "--reason", "offboarding", "--json");
        var all = await fixture.RunAsync(Key, "revoke", "org", "--org", org, "--reason", "incident", "--json");

        Assert.Equal(2, JsonDocument.Parse(member.Out).RootElement.GetProperty("revoked").GetInt32());
        Assert.Equal(0, JsonDocument.Parse(all.Out).RootElement.GetProperty("revoked").GetInt32());
        Assert.Equal(0, (await fixture.RunAsync(Key, "members", "remove", "--org", org, "--user", "alice")).Exit);
    }

    [Fact]
    public async Task Failures_have_distinct_exit_codes()
    {
        Assert.Equal(2, (await fixture.RunAsync(Key, "tokens", "list")).Exit);
        Assert.Equal(2, (await fixture.RunAsync(null, "tokens", "list", "--org", "acme")).Exit);
        Assert.Equal(3, (await fixture.RunAsync("wrong-key-0123456789", "tokens", "list", "--org", "acme")).Exit);
        Assert.Equal(4, (await fixture.RunAsync(Key, "tokens", "show", Guid.NewGuid().ToString())).Exit);
        Assert.Equal(6, (await fixture.RunAsync(Key, "tokens", "create", "--org", "acme", "--user", "alice", "--days", "400")).Exit);
        Assert.Equal(7, (await fixture.RunAsync(Key, "--url", "http://127.0.0.1:1", "tokens", "list", "--org", "acme")).Exit);
    }

    [Fact]
    public async Task Help_never_prints_the_admin_key()
    {
        var help = await fixture.RunAsync(Key, "--help");

        Assert.Equal(0, help.Exit);
        Assert.DoesNotContain(Key, help.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_and_reasons_from_the_server_are_printed_with_control_and_bidi_characters_escaped()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "alice");
        var created = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--name", "\u001b[31mci\u202egnp.exe\u0007", "--json");
        var id = JsonDocument.Parse(created.Out).RootElement.GetProperty("tokenId").GetString()!;

        var list = await fixture.RunAsync(Key, "tokens", "list", "--org", org);
        var revoked = await fixture.RunAsync(Key, "revoke", "token", id, "--reason", "\u001b]0;pwned\u0007\u2066x\u2069");
        var json = await fixture.RunAsync(Key, "tokens", "show", id, "--json");

        Assert.Contains(@"\x1b[31mci\u202egnp.exe\x07", list.Out, StringComparison.Ordinal);
        Assert.Contains(@"\x1b]0;pwned\x07\u2066x\u2069", revoked.Out, StringComparison.Ordinal);
        foreach (var output in new[] { list.Out, revoked.Out, json.Out })
        {
            Assert.DoesNotContain(output, c => c is '\u001b' or '\u0007' or '\u202e' or '\u2066' or '\u2069');
        }

        Assert.Equal("\u001b]0;pwned\u0007\u2066x\u2069", JsonDocument.Parse(json.Out).RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_key_from_the_environment_or_a_key_file_gives_no_warning()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("zpctl-").FullName, "admin-key");
        await File.WriteAllTextAsync(path, Key + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var fromEnvironment = await fixture.RunAsync(Key, "tokens", "list", "--org", "acme");
        var fromFile = await fixture.RunAsync(null, "--key-file", path, "tokens", "list", "--org", "acme");

        Assert.Equal((0, ""), (fromEnvironment.Exit, fromEnvironment.Err));
        Assert.Equal((0, ""), (fromFile.Exit, fromFile.Err));
        File.Delete(path);
    }

    [Fact]
    public async Task A_key_on_the_command_line_still_works_but_is_warned_about()
    {
        var run = await fixture.RunAsync(null, "--key", Key, "tokens", "list", "--org", "acme");

        Assert.Equal(0, run.Exit);
        Assert.Contains("warning: --key puts the admin key on the command line", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_http_to_another_host_is_warned_about_before_anything_is_sent()
    {
        // No key: zpctl stops before connecting, so nothing leaves this machine.
        var remote = await fixture.RunAsync(null, "--url", "http://admin.example.invalid:8081", "tokens", "list", "--org", "acme");
        var local = await fixture.RunAsync(null, "--url", "http://localhost:1", "tokens", "list", "--org", "acme");

        Assert.Equal(2, remote.Exit);
        Assert.Contains("is plain http:// to another host", remote.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("plain http://", local.Err, StringComparison.Ordinal);
    }
}
