using System.CommandLine;
using System.Text.Json;
using ZeroPath.Cli;

// zpctl: the operators' tool for the token cluster's admin API. See README "Operators' tool".
var url = new Option<string>("--url")
{
    Description = "Admin API base URL (env ZP_ADMIN_URL)",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ZP_ADMIN_URL") ?? "http://127.0.0.1:8081",
    Recursive = true,
};
// No default value here: help would print it. The environment is read when a command runs.
var key = new Option<string?>("--key")
{
    Description = "Admin key; visible in ps and shell history, so prefer env ZP_ADMIN_KEY or --key-file",
    Recursive = true,
};
var keyFile = new Option<string?>("--key-file") { Description = "File whose first line is the admin key (chmod 600)", Recursive = true };
var actor = new Option<string?>("--actor")
{
    Description = "Your name for the audit trail (env ZP_ACTOR)",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ZP_ACTOR"),
    Recursive = true,
};
var json = new Option<bool>("--json") { Description = "Print the API's JSON instead of a table", Recursive = true };
var org = new Option<string>("--org") { Description = "Organization id", Required = true };
var user = new Option<string>("--user") { Description = "User id", Required = true };
var reason = new Option<string>("--reason") { Description = "Why (recorded in the audit trail)", Required = true };
var tokenId = new Argument<string>("token-id") { Description = "Token ID (UUID)" };

var root = new RootCommand("zpctl: manage ZeroPath API tokens through the admin API") { url, key, keyFile, actor, json };

Command Verb(string name, string description, Func<ParseResult, AdminClient, CancellationToken, Task<int>> run, params Symbol[] symbols)
{
    var command = new Command(name, description);
    foreach (var symbol in symbols)
    {
        switch (symbol)
        {
            case Option option: command.Options.Add(option); break;
            case Argument argument: command.Arguments.Add(argument); break;
        }
    }

    command.SetAction(async (parse, cancellationToken) =>
    {
        if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseAddress))
        {
            await Console.Error.WriteLineAsync("zpctl: --url must be an absolute URL such as http://127.0.0.1:8081");
            return ExitCodes.Usage;
        }

        if (Transport.ClearTextWarning(baseAddress) is { } clearText)
        {
            await Console.Error.WriteLineAsync(clearText);
        }

        var source = KeySource.Resolve(parse.GetValue(key), parse.GetValue(keyFile), Environment.GetEnvironmentVariable(KeySource.EnvironmentVariable));
        foreach (var warning in source.Warnings)
        {
            await Console.Error.WriteLineAsync(warning);
        }

        if (source.Key is not { } keyValue)
        {
            await Console.Error.WriteLineAsync(source.Error);
            return ExitCodes.Usage;
        }

        using var client = new AdminClient(baseAddress, keyValue, parse.GetValue(actor));
        return await run(parse, client, cancellationToken);
    });
    return command;
}

// Runs one call; prints JSON with --json, else the given table columns (or a message).
async Task<int> Call(ParseResult parse, AdminClient client, HttpMethod method, string path, object? body, CancellationToken ct, string[]? columns = null, string? message = null)
{
    var (exit, response) = await client.SendAsync(method, path, body, ct);
    if (exit != ExitCodes.Ok)
    {
        return exit;
    }

    if (parse.GetValue(json))
    {
        Output.Json(response);
    }
    else if (columns is not null)
    {
        Output.Table(response, columns);
    }
    else if (message is not null)
    {
        Console.WriteLine(message);
    }

    return ExitCodes.Ok;
}

// One page of a list paged by a number: the JSON as it came, or a table of its items and how to ask for older ones.
async Task<int> Page(ParseResult parse, AdminClient client, string path, string items, string[] columns, string next, string nextOption, string what, CancellationToken ct)
{
    var (exit, response) = await client.SendAsync(HttpMethod.Get, path, null, ct);
    if (exit != ExitCodes.Ok)
    {
        return exit;
    }

    if (parse.GetValue(json))
    {
        Output.Json(response);
    }
    else
    {
        Output.Table(response!.Value.GetProperty(items), columns);
        if (response.Value.GetProperty(next) is { ValueKind: JsonValueKind.Number } older)
        {
            Console.WriteLine($"(older {what}: {nextOption} {older})");
        }
    }

    return ExitCodes.Ok;
}

// An answer that carries a secret shown once: the JSON as it came, or a table and the secret on a line of its own.
int PrintOnce(ParseResult parse, int exit, JsonElement? body, string secret, string label, params string[] columns)
{
    if (exit != ExitCodes.Ok)
    {
        return exit;
    }

    if (parse.GetValue(json))
    {
        Output.Json(body);
    }
    else
    {
        Output.Table(body, columns);
        Console.WriteLine();
        Console.WriteLine($"{label} (shown once, store it now): {TerminalText.Escape(body!.Value.GetProperty(secret).GetString())}");
    }

    return exit;
}

string Org(ParseResult p) => Uri.EscapeDataString(p.GetValue(org)!);
string User(ParseResult p) => Uri.EscapeDataString(p.GetValue(user)!);
string Token(ParseResult p) => Uri.EscapeDataString(p.GetValue(tokenId)!);

var name = new Option<string?>("--name") { Description = "Token name (optional)" };
var days = new Option<int?>("--days") { Description = "Expiry in days, 1-365 (default 30)" };
var permission = new Option<string[]>("--permission") { Description = "A permission (repeat for several)", AllowMultipleArgumentsPerToken = true };
var tokenPermission = new Option<string[]>("--permission")
{
    Description = "Limit the token to this permission of the member's (repeat for several; default: all of the member's)",
    AllowMultipleArgumentsPerToken = true,
};
var allowCidr = new Option<string[]>("--allow-cidr")
{
    Description = "Accept the token only from this client address range, IPv4 or IPv6 (repeat for several; default: any address)",
    AllowMultipleArgumentsPerToken = true,
};
var graceHours = new Option<int?>("--grace-hours") { Description = "Hours the rotated token keeps validating, 0-168 (default 24; 0 ends it at once)" };
var maxLifetime = new Option<int?>("--max-lifetime-days") { Description = "Longest lifetime a new token may have, 1-365 (default 365)" };
var forbid = new Option<string[]>("--forbid")
{
    Description = "A permission no token may carry (repeat for several); existing tokens lose it too",
    AllowMultipleArgumentsPerToken = true,
};
var requireCidrs = new Option<bool>("--require-cidrs") { Description = "Every new token must be limited to address ranges (--allow-cidr)" };
var rateLimit = new Option<double?>("--rate-limit")
{
    Description = "Limit the token to this many requests per second across all gateways (0.01-100000; default: no limit)",
};
var burst = new Option<int?>("--burst") { Description = "With --rate-limit: requests allowed at once (default: the rate rounded up)" };
var limit = TokenList.LimitOption("Events per page (1-500, default 50)");
var tokenLimit = TokenList.LimitOption("Print one page of this many tokens (1-500); the next page's --cursor goes to stderr");
var cursor = TokenList.CursorOption();
var unusedFor = TokenList.UnusedForOption();
var before = new Option<long?>("--before") { Description = "nextBefore from the previous page" };

var tokens = new Command("tokens", "List, create, rotate, show and delete tokens")
{
    Verb(
        "list",
        "Active tokens of an organization, newest first. Prints every token: follows the API's pages to the last one " +
        "(--json: one array of them all). With --limit or --cursor, prints one page (--json: the API's page object). " +
        "With --unused-for, only stale tokens; a page may then hold fewer than --limit tokens.",
        (p, c, ct) => TokenList.RunAsync(c, p.GetValue(org)!, p.GetValue(tokenLimit), p.GetValue(cursor), p.GetValue(json), ct, p.GetValue(unusedFor)),
        org,
        tokenLimit,
        cursor,
        unusedFor),
    Verb("create", "Create a token for a member; prints the secret once", async (p, c, ct) =>
    {
        var (exit, body) = await c.SendAsync(HttpMethod.Post, $"/admin/v1/orgs/{Org(p)}/tokens", new
        {
            userId = p.GetValue(user),
            name = p.GetValue(name),
            expiresInDays = p.GetValue(days),
            // Absent options stay null: the API's defaults (all the member's permissions, any address).
            permissions = p.GetResult(tokenPermission) is null ? null : p.GetValue(tokenPermission) ?? [],
            allowedCidrs = p.GetResult(allowCidr) is null ? null : p.GetValue(allowCidr) ?? [],
            // --burst alone is sent as it is, and the API refuses it (a burst needs a rate).
            rateLimit = p.GetValue(rateLimit) is null && p.GetValue(burst) is null
                ? null
                : new { requestsPerSecond = p.GetValue(rateLimit), burst = p.GetValue(burst) },
        }, ct);
        return PrintOnce(p, exit, body, "tokenSecret", "Token Secret", "tokenId", "name", "expiresAt", "permissions", "allowedCidrs", "rateLimit");
    }, org, user, name, days, tokenPermission, allowCidr, rateLimit, burst),
    Verb(
        "rotate",
        "Issue a token's successor (same owner, name and options; prints its secret once) and end the token after a grace period",
        async (p, c, ct) =>
        {
            var (exit, body) = await c.SendAsync(HttpMethod.Post, $"/admin/v1/orgs/{Org(p)}/tokens/{Token(p)}/rotate", new { gracePeriodHours = p.GetValue(graceHours) }, ct);
            return PrintOnce(p, exit, body, "tokenSecret", "Token Secret", "tokenId", "name", "expiresAt", "rotatedTokenId", "rotatedTokenEndsAt");
        },
        org,
        tokenId,
        graceHours),
    Verb("show", "A token's metadata and status", (p, c, ct) =>
        Call(p, c, HttpMethod.Get, $"/admin/v1/tokens/{Token(p)}", null, ct, ["tokenId", "orgId", "userId", "name", "status", "expiresAt", "revokedAt", "reason", "permissions", "requestedPermissions", "allowedCidrs", "rateLimit", "lastUsedAt", "lastUsedFrom"]), tokenId),
    Verb("delete", "Delete a token of an organization", (p, c, ct) =>
        Call(p, c, HttpMethod.Delete, $"/admin/v1/orgs/{Org(p)}/tokens/{Token(p)}", null, ct, message: "deleted"), org, tokenId),
};

var revoke = new Command("revoke", "Revoke tokens (operators)")
{
    Verb("token", "Revoke one token by id", (p, c, ct) =>
        Call(p, c, HttpMethod.Post, $"/admin/v1/tokens/{Token(p)}/revoke", new { reason = p.GetValue(reason) }, ct, ["tokenId", "orgId", "status", "revokedAt", "reason"]), tokenId, reason),
    Verb("member", "Revoke every token of a member", (p, c, ct) =>
        Call(p, c, HttpMethod.Post, $"/admin/v1/orgs/{Org(p)}/members/{User(p)}/revoke-tokens", new { reason = p.GetValue(reason) }, ct, ["orgId", "userId", "revoked", "reason"]), org, user, reason),
    Verb("org", "Revoke every token of an organization", (p, c, ct) =>
        Call(p, c, HttpMethod.Post, $"/admin/v1/orgs/{Org(p)}/revoke", new { reason = p.GetValue(reason) }, ct, ["orgId", "revoked", "reason"]), org, reason),
};

var members = new Command("members", "Set and remove organization members")
{
    Verb("set", "Add a member or change their permissions", (p, c, ct) =>
        Call(p, c, HttpMethod.Put, $"/admin/v1/orgs/{Org(p)}/members/{User(p)}", new { permissions = p.GetValue(permission) ?? [] }, ct, ["orgId", "userId", "permissions"]), org, user, permission),
    Verb("remove", "Remove a member; their tokens are revoked", (p, c, ct) =>
        Call(p, c, HttpMethod.Delete, $"/admin/v1/orgs/{Org(p)}/members/{User(p)}", null, ct, message: "removed"), org, user),
};

var audit = Verb("audit", "An organization's audit trail, newest first", (p, c, ct) => Page(
    p,
    c,
    $"/admin/v1/orgs/{Org(p)}/audit?limit={p.GetValue(limit) ?? 50}" + (p.GetValue(before) is { } b ? $"&before={b}" : ""),
    "events",
    ["sequence", "at", "action", "actor", "tokenId", "userId", "reason"],
    "nextBefore",
    "--before",
    "events",
    ct), org, limit, before);

var webhookUrl = new Option<string>("--webhook-url") { Description = "Absolute http(s) URL the events are POSTed to", Required = true };
var webhookEvents = new Option<string[]>("--event")
{
    Description = "An event type (repeat for several): token.created, token.expiring, token.expired, token.revoked, token.deleted, token.rotated",
    AllowMultipleArgumentsPerToken = true,
    Required = true,
};
var webhookId = new Argument<string>("webhook-id") { Description = "Webhook ID (UUID)" };
var deliveryCursor = new Option<long?>("--cursor") { Description = "nextCursor from the previous page" };
var deliveryLimit = TokenList.LimitOption("Deliveries per page (1-500, default 50)");
string Webhook(ParseResult p) => Uri.EscapeDataString(p.GetValue(webhookId)!);

var webhooks = new Command("webhooks", "Register, list and remove an organization's webhooks, and see their deliveries")
{
    Verb("add", "Register a webhook; prints its signing secret once", async (p, c, ct) =>
    {
        var (exit, body) = await c.SendAsync(HttpMethod.Post, $"/admin/v1/orgs/{Org(p)}/webhooks", new { url = p.GetValue(webhookUrl), events = p.GetValue(webhookEvents) }, ct);
        return PrintOnce(p, exit, body, "signingSecret", "Signing secret", "webhookId", "url", "events");
    }, org, webhookUrl, webhookEvents),
    Verb("list", "An organization's webhooks", async (p, c, ct) =>
    {
        var (exit, body) = await c.SendAsync(HttpMethod.Get, $"/admin/v1/orgs/{Org(p)}/webhooks", null, ct);
        if (exit == ExitCodes.Ok)
        {
            if (p.GetValue(json))
            {
                Output.Json(body);
            }
            else
            {
                Output.Table(body!.Value.GetProperty("webhooks"), "webhookId", "url", "events", "createdAt");
            }
        }

        return exit;
    }, org),
    Verb("remove", "Remove a webhook", (p, c, ct) =>
        Call(p, c, HttpMethod.Delete, $"/admin/v1/orgs/{Org(p)}/webhooks/{Webhook(p)}", null, ct, message: "removed"), org, webhookId),
    Verb("deliveries", "A webhook's deliveries, newest first, with their status", (p, c, ct) => Page(
        p,
        c,
        $"/admin/v1/orgs/{Org(p)}/webhooks/{Webhook(p)}/deliveries?limit={p.GetValue(deliveryLimit) ?? 50}" + (p.GetValue(deliveryCursor) is { } next ? $"&cursor={next}" : ""),
        "deliveries",
        ["deliveryId", "eventId", "eventType", "status", "attempts", "lastStatusCode", "nextAttemptAt"],
        "nextCursor",
        "--cursor",
        "deliveries",
        ct), org, webhookId, deliveryLimit, deliveryCursor),
};

string[] policyColumns = ["orgId", "maxTokenLifetimeDays", "forbiddenPermissions", "requireAllowedCidrs"];
var policy = new Command("policy", "An organization's token policy: longest lifetime, forbidden permissions, address ranges required")
{
    Verb("show", "The organization's token policy", (p, c, ct) =>
        Call(p, c, HttpMethod.Get, $"/admin/v1/orgs/{Org(p)}/policy", null, ct, policyColumns), org),
    Verb("set", "Set the whole policy (options left out take their defaults); recorded in the audit trail", (p, c, ct) =>
        Call(p, c, HttpMethod.Put, $"/admin/v1/orgs/{Org(p)}/policy", new
        {
            maxTokenLifetimeDays = p.GetValue(maxLifetime),
            forbiddenPermissions = p.GetValue(forbid) ?? [],
            requireAllowedCidrs = p.GetValue(requireCidrs),
        }, ct, policyColumns), org, maxLifetime, forbid, requireCidrs),
};

root.Subcommands.Add(tokens);
root.Subcommands.Add(revoke);
root.Subcommands.Add(members);
root.Subcommands.Add(audit);
root.Subcommands.Add(webhooks);
root.Subcommands.Add(policy);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"zpctl: {TerminalText.Escape(error.Message)}");
    }

    await Console.Error.WriteLineAsync("Run 'zpctl --help' for usage.");
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync();
