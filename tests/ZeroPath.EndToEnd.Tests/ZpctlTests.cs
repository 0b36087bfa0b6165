using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>The real zpctl, as a process, against a real silo.</summary>
public sealed class ZpctlFixture : IAsyncLifetime
{
    public ProductProcess Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        foreach (var (key, value) in TestSettings.Webhooks)
        {
            system.SiloSettings[key] = value!;
        }

        Silo = system.StartSilo();
        await Silo.WaitUntilOkAsync("/readyz");
    }

    public async Task DisposeAsync() => await Silo.DisposeAsync();

    public Task<(int Exit, string Out, string Err)> RunAsync(string? key, params string[] args) => RunAsync(Silo.BaseAddress, key, args);

    /// <summary>zpctl against <paramref name="adminUrl"/> (ZP_ADMIN_URL): its exit code, stdout and stderr.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(Uri adminUrl, string? key, params string[] args)
    {
        var folder = Path.Combine(Repository.Root, "cli", "bin", Repository.Configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(folder, "zpctl.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ZP_ADMIN_URL"] = adminUrl.ToString();
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
    public async Task A_narrower_token_is_created_with_permissions_and_address_ranges_that_show_in_details_and_lists()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        Assert.Equal(0, (await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "alice", "--permission", "scans:read", "--permission", "vulns:write")).Exit);

        var created = await fixture.RunAsync(
            Key, "tokens", "create", "--org", org, "--user", "alice", "--permission", "scans:read", "--allow-cidr", "2001:DB8::/32", "--allow-cidr", "203.0.113.7", "--json");

        Assert.Equal(0, created.Exit);
        var token = JsonDocument.Parse(created.Out).RootElement;
        Assert.Equal(["scans:read"], token.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["2001:db8::/32", "203.0.113.7/32"], token.GetProperty("allowedCidrs").EnumerateArray().Select(p => p.GetString()));
        var id = token.GetProperty("tokenId").GetString()!;
        var shown = await fixture.RunAsync(Key, "tokens", "show", id);
        Assert.Contains("2001:db8::/32,203.0.113.7/32", shown.Out, StringComparison.Ordinal);
        var list = await fixture.RunAsync(Key, "tokens", "list", "--org", org);
        Assert.Contains("permissions,addresses", list.Out, StringComparison.Ordinal);

        // Without the options: all of the member's permissions, any address.
        var open = JsonDocument.Parse((await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--json")).Out).RootElement;
        Assert.Equal(["scans:read", "vulns:write"], open.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(JsonValueKind.Null, open.GetProperty("allowedCidrs").ValueKind);

        var refused = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--permission", "admin:all");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("permission_not_held", refused.Out + refused.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rate_limited_token_is_created_with_rate_and_burst_that_show_in_details_and_lists()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        Assert.Equal(0, (await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "alice", "--permission", "scans:read")).Exit);

        var created = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--rate-limit", "10", "--burst", "20", "--json");

        Assert.Equal(0, created.Exit);
        var token = JsonDocument.Parse(created.Out).RootElement;
        Assert.Equal(10, token.GetProperty("rateLimit").GetProperty("requestsPerSecond").GetDouble());
        Assert.Equal(20, token.GetProperty("rateLimit").GetProperty("burst").GetInt32());
        var shown = await fixture.RunAsync(Key, "tokens", "show", token.GetProperty("tokenId").GetString()!);
        Assert.Contains("requestsPerSecond=10,burst=20", shown.Out, StringComparison.Ordinal);
        var list = await fixture.RunAsync(Key, "tokens", "list", "--org", org);
        Assert.Contains("rateLimit", list.Out, StringComparison.Ordinal);

        // A rate alone: the burst defaults to it rounded up. A burst alone is refused by the API.
        var rateOnly = JsonDocument.Parse((await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--rate-limit", "2.5", "--json")).Out).RootElement;
        Assert.Equal(3, rateOnly.GetProperty("rateLimit").GetProperty("burst").GetInt32());
        var refused = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--burst", "5");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("invalid_rate_limit", refused.Out + refused.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operator_registers_a_webhook_that_a_real_receiver_gets_signed_events_from_and_removes_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = $"cli-{Guid.NewGuid():N}";
        var added = await fixture.RunAsync(Key, "webhooks", "add", "--org", org, "--webhook-url", receiver.Url, "--event", "token.created", "--event", "token.deleted");
        Assert.Equal(0, added.Exit);
        var signingSecret = Regex.Match(added.Out, @"Signing secret \(shown once, store it now\): (whsec_\S+)").Groups[1].Value;
        Assert.NotEmpty(signingSecret);
        var list = await fixture.RunAsync(Key, "webhooks", "list", "--org", org, "--json");
        var webhookId = JsonDocument.Parse(list.Out).RootElement.GetProperty("webhooks")[0].GetProperty("webhookId").GetString()!;
        Assert.DoesNotContain(signingSecret, list.Out, StringComparison.Ordinal);

        Assert.Equal(0, (await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "alice", "--permission", "scans:read")).Exit);
        var created = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--json");
        var tokenSecret = JsonDocument.Parse(created.Out).RootElement.GetProperty("tokenSecret").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (receiver.Requests.IsEmpty)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the delivery");
            await Task.Delay(50);
        }

        var request = Assert.Single(receiver.Requests);
        Assert.True(WebhookReceiver.SignatureValid(request.Headers["ZeroPath-Signature"], request.Body, signingSecret));
        Assert.Equal("token.created", JsonDocument.Parse(request.Body).RootElement.GetProperty("type").GetString());
        Assert.DoesNotContain(tokenSecret, request.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(signingSecret, request.Body, StringComparison.Ordinal);

        var deliveries = await fixture.RunAsync(Key, "webhooks", "deliveries", "--org", org, webhookId);
        Assert.Equal(0, deliveries.Exit);
        Assert.Contains("delivered", deliveries.Out, StringComparison.Ordinal);
        Assert.Contains("token.created", deliveries.Out, StringComparison.Ordinal);
        var removed = await fixture.RunAsync(Key, "webhooks", "remove", "--org", org, webhookId);
        Assert.Equal((0, "removed"), (removed.Exit, removed.Out.Trim()));
        Assert.NotEqual(0, (await fixture.RunAsync(Key, "webhooks", "remove", "--org", org, webhookId)).Exit);
    }

    [Fact]
    public async Task An_operator_sets_a_policy_that_refuses_tokens_outside_it_and_rotates_a_token_within_it()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        await fixture.RunAsync(Key, "members", "set", "--org", org, "--user", "alice", "--permission", "admin:all", "--permission", "scans:read");

        var set = await fixture.RunAsync(Key, "--actor", "oncall", "policy", "set", "--org", org, "--max-lifetime-days", "14", "--forbid", "admin:all");
        Assert.Equal(0, set.Exit);
        Assert.Contains("admin:all", set.Out, StringComparison.Ordinal);
        var shown = JsonDocument.Parse((await fixture.RunAsync(Key, "policy", "show", "--org", org, "--json")).Out).RootElement;
        Assert.Equal((14, false), (shown.GetProperty("maxTokenLifetimeDays").GetInt32(), shown.GetProperty("requireAllowedCidrs").GetBoolean()));

        var refused = await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--days", "30");
        Assert.Equal(6, refused.Exit);
        Assert.Contains("lifetime_exceeds_policy", refused.Err, StringComparison.Ordinal);

        var created = JsonDocument.Parse((await fixture.RunAsync(Key, "tokens", "create", "--org", org, "--user", "alice", "--name", "deploy", "--json")).Out).RootElement;
        Assert.Equal(["scans:read"], created.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        var oldId = created.GetProperty("tokenId").GetString()!;

        var rotated = await fixture.RunAsync(Key, "tokens", "rotate", "--org", org, oldId, "--grace-hours", "0");
        Assert.Equal(0, rotated.Exit);
        Assert.Contains(oldId, rotated.Out, StringComparison.Ordinal);
        var secret = Regex.Match(rotated.Out, @"Token Secret \(shown once, store it now\): (zp_\w+)").Groups[1].Value;
        Assert.True(Tokens.TokenSecretFormat.IsWellFormed(secret));
        Assert.Equal("revoked", JsonDocument.Parse((await fixture.RunAsync(Key, "tokens", "show", oldId, "--json")).Out).RootElement.GetProperty("status").GetString());

        var again = await fixture.RunAsync(Key, "tokens", "rotate", "--org", org, oldId);
        Assert.Equal(6, again.Exit);
        Assert.Contains("token_not_active", again.Err, StringComparison.Ordinal);
        var audit = await fixture.RunAsync(Key, "audit", "--org", org);
        Assert.Contains("organization.policy_changed", audit.Out, StringComparison.Ordinal);
        Assert.Contains("token.rotated", audit.Out, StringComparison.Ordinal);
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
        // The revoked tokens leave the index in the background; until then a bulk revocation would count them again.
        await WaitUntilListedAsync(org, 0);
        var all = await fixture.RunAsync(Key, "revoke", "org", "--org", org, "--reason", "incident", "--json");

        Assert.Equal(2, JsonDocument.Parse(member.Out).RootElement.GetProperty("revoked").GetInt32());
        Assert.Equal(0, JsonDocument.Parse(all.Out).RootElement.GetProperty("revoked").GetInt32());
        Assert.Equal(0, (await fixture.RunAsync(Key, "members", "remove", "--org", org, "--user", "alice")).Exit);
    }

    [Fact]
    public async Task Listing_page_by_page_walks_every_token_once_newest_first_and_a_token_created_meanwhile_moves_no_later_page()
    {
        var org = $"cli-{Guid.NewGuid():N}";
        using var admin = TokenApi.Admin(fixture.Silo);
        await admin.AddMemberAsync(org, "alice");
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await admin.CreateTokenAsync(org, "alice")).TokenId);
        }

        created.Reverse();
        string? late = null;

        // --json: the API's page objects, each cursor passed back as printed.
        var pages = new List<string[]>();
        string? cursor = null;
        do
        {
            var run = await fixture.RunAsync(Key, ListArgs(org, "--limit", "3", "--json", cursor));
            Assert.Equal((0, ""), (run.Exit, run.Err));
            var page = JsonDocument.Parse(run.Out).RootElement;
            Assert.Equal(["orgId", "items", "nextCursor"], page.EnumerateObject().Select(p => p.Name));
            Assert.Equal(org, page.GetProperty("orgId").GetString());
            pages.Add([.. page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("tokenId").GetString()!)]);
            cursor = page.GetProperty("nextCursor").GetString();
            // A token created while the list is read is newer than every page read, so it never reaches a later page.
            late ??= (await admin.CreateTokenAsync(org, "alice")).TokenId;
        }
        while (cursor is not null && pages.Count < 10);

        Assert.Equal([3, 3, 1], pages.Select(p => p.Length));
        Assert.Equal(created, pages.SelectMany(p => p));

        // Text: a table per page; the next page's cursor on stderr, none after the last page.
        string[] everything = [late!, .. created];
        var rows = new List<string>();
        var pageCount = 0;
        do
        {
            var run = await fixture.RunAsync(Key, ListArgs(org, "--limit", "3", null, cursor));
            Assert.Equal(0, run.Exit);
            Assert.StartsWith("TOKENID", run.Out, StringComparison.Ordinal);
            rows.AddRange(TableIds(run.Out));
            var hint = Regex.Match(run.Err, "^zpctl: more tokens follow; next page: --cursor ([A-Za-z0-9_-]{11})\n$");
            cursor = hint.Success ? hint.Groups[1].Value : null;
            Assert.True(hint.Success || run.Err.Length == 0, run.Err);
            pageCount++;
        }
        while (cursor is not null && pageCount < 10);

        Assert.Equal(3, pageCount);
        Assert.Equal(everything, rows);

        // The default follows every page: all of them, once, newest first; --json makes them one array.
        var table = await fixture.RunAsync(Key, "tokens", "list", "--org", org);
        var json = await fixture.RunAsync(Key, "tokens", "list", "--org", org, "--json");
        Assert.Equal((0, ""), (table.Exit, table.Err));
        Assert.Equal(everything, TableIds(table.Out));
        Assert.Equal((0, ""), (json.Exit, json.Err));
        Assert.Equal(everything, JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Select(t => t.GetProperty("tokenId").GetString()));
    }

    [Theory]
    [InlineData("tokens", "--limit", "0")]
    [InlineData("tokens", "--limit", "501")]
    [InlineData("tokens", "--limit", "ten")]
    [InlineData("tokens", "--limit", "-1")]
    [InlineData("tokens", "--cursor", "abc")]
    [InlineData("tokens", "--cursor", "AAAAAAAAAA/")]
    [InlineData("audit", "--limit", "0")]
    public async Task A_bad_limit_or_cursor_is_a_usage_error_before_any_request(string command, string option, string value)
    {
        // Nothing listens on port 1: had zpctl sent a request, it would exit 7 (unreachable), not 2.
        string[] args = command == "tokens" ? ["tokens", "list", "--org", "acme", option, value] : ["audit", "--org", "acme", option, value];
        var run = await ZpctlFixture.RunAsync(new Uri("http://127.0.0.1:1"), Key, args);

        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Out);
        Assert.StartsWith($"zpctl: {option} must be ", run.Err, StringComparison.Ordinal);
        Assert.Contains($"not '{value}'", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_the_api_did_not_make_is_its_400_shown_as_a_problem()
    {
        var run = await fixture.RunAsync(Key, "tokens", "list", "--org", "acme", "--cursor", "AAAAAAAAAAF");

        Assert.Equal(6, run.Exit);
        Assert.Equal("", run.Out);
        Assert.StartsWith("zpctl: 400 invalid_cursor: ", run.Err, StringComparison.Ordinal);
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

    private static string[] ListArgs(string org, string option, string value, string? json, string? cursor) =>
        [.. new[] { "tokens", "list", "--org", org, option, value, json, cursor is null ? null : "--cursor", cursor }.OfType<string>()];

    /// <summary>The first column of a table's rows, the header left out.</summary>
    private static string[] TableIds(string table) =>
        [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(row => row.Split(' ', 2)[0])];

    private async Task WaitUntilListedAsync(string org, int count)
    {
        using var admin = TokenApi.Admin(fixture.Silo);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        int listed;
        while ((listed = (await admin.GetFromJsonAsync<JsonElement>($"/admin/v1/orgs/{org}/tokens?limit=500")).GetProperty("items").GetArrayLength()) != count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(count, listed);
    }
}
