using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Webhooks;

[GenerateSerializer]
[Alias("zp.webhook-state")]
public sealed class WebhookState
{
    [Id(0)] public List<WebhookInfo> Webhooks { get; set; } = [];

    /// <summary>Audit events with a lower sequence have been taken (queued, or passed over when no webhook wanted them).</summary>
    [Id(1)] public long NextSequence { get; set; }

    /// <summary>Owed deliveries and the most recent finished ones, oldest first.</summary>
    [Id(2)] public List<WebhookDelivery> Deliveries { get; set; } = [];

    [Id(3)] public long NextDeliveryId { get; set; } = 1;

    /// <summary>Expiry warnings sent, by token, until the token expires.</summary>
    [Id(4)] public Dictionary<Guid, ExpiryWarnings> Warnings { get; set; } = [];
}

[GenerateSerializer]
[Alias("zp.webhook-outbox-delivery")]
public sealed class WebhookDelivery
{
    [Id(0)] public long Id { get; set; }
    [Id(1)] public Guid WebhookId { get; set; }
    [Id(2)] public string EventId { get; set; } = "";
    [Id(3)] public string EventType { get; set; } = "";

    /// <summary>The JSON body, fixed when queued so every attempt sends the same bytes (only the signature's time changes).</summary>
    [Id(4)] public string Body { get; set; } = "";
    [Id(5)] public WebhookDeliveryStatus Status { get; set; }
    [Id(6)] public int Attempts { get; set; }
    [Id(7)] public int? LastStatusCode { get; set; }
    [Id(8)] public DateTimeOffset CreatedAt { get; set; }
    [Id(9)] public DateTimeOffset? LastAttemptAt { get; set; }
    [Id(10)] public DateTimeOffset? NextAttemptAt { get; set; }

    public bool IsOwed => Status is WebhookDeliveryStatus.Pending or WebhookDeliveryStatus.FailedRetrying;

    public WebhookDeliveryInfo ToInfo() => new(Id, EventId, EventType, Status, Attempts, LastStatusCode, CreatedAt, LastAttemptAt, NextAttemptAt);
}

[GenerateSerializer]
[Alias("zp.webhook-expiry-warnings")]
public sealed class ExpiryWarnings
{
    [Id(0)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(1)] public bool WeekSent { get; set; }
    [Id(2)] public bool DaySent { get; set; }
}

/// <summary>
/// One organization's webhooks and delivery outbox. Deliveries go out from an interleaving timer, so a slow receiver
/// never holds up the audit trail's hand-over; every state write goes through one lock. A reminder wakes the grain
/// after a restart while deliveries are owed; another sweeps for tokens to warn about while a webhook wants
/// <c>token.expiring</c>.
/// </summary>
public sealed partial class WebhookGrain(
    [PersistentState("webhooks", GrainStorageNames.Tokens)] IPersistentState<WebhookState> state,
    WebhookOptions options,
    WebhookSigner signer,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<WebhookGrain> logger) : Grain, IWebhookGrain, IRemindable
{
    public const string HttpClientName = "zp-webhooks";

    /// <summary>Finished deliveries kept for listing, per organization; older ones are dropped.</summary>
    public const int FinishedKept = 1000;

    /// <summary>At most this many attempts run at once per organization.</summary>
    public const int ParallelAttempts = 16;

    private const string DeliverReminder = "deliver";
    private const string ExpiringReminder = "expiring";

    private static readonly TimeSpan Week = TimeSpan.FromDays(7);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private Task writes = Task.CompletedTask;
    private IGrainTimer? poll;
    private IGrainTimer? sweep;
    private bool delivering;
    private bool sweeping;
    private bool deliverReminderSet;

    private WebhookState Hooks => state.State;

    private string OrganizationId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Most organizations owe nothing (most have no webhook): then activation reads the state and nothing else.
        if (Hooks.Deliveries.Any(d => d.IsOwed))
        {
            deliverReminderSet = await this.GetReminder(DeliverReminder, cancellationToken) is not null;
            StartPolling();
        }
    }

    public async Task<WebhookInfo?> Add(string url, ImmutableArray<string> events)
    {
        if (Hooks.Webhooks.Count >= WebhookRules.MaxWebhooks)
        {
            return null;
        }

        // Events handed over while the organization had no webhook were passed over (Enqueue takes nothing then), so
        // the first webhook gets what is recorded from now on. The trail is not asked for its count: it may be waiting
        // on this grain's Enqueue, and this turn waiting on it would be a cycle.
        var webhook = new WebhookInfo(Guid.NewGuid(), url, [.. events.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], time.GetUtcNow());
        Hooks.Webhooks.Add(webhook);
        await WriteAsync();
        if (webhook.Events.Contains(WebhookRules.TokenExpiring))
        {
            await this.RegisterOrUpdateReminder(ExpiringReminder, TimeSpan.Zero, options.ExpiringSweepPeriod);
        }

        return webhook;
    }

    public Task<ImmutableArray<WebhookInfo>> List() => Task.FromResult(Hooks.Webhooks.ToImmutableArray());

    public async Task<bool> Remove(Guid webhookId)
    {
        if (Hooks.Webhooks.RemoveAll(w => w.WebhookId == webhookId) == 0)
        {
            return false;
        }

        Hooks.Deliveries.RemoveAll(d => d.WebhookId == webhookId);
        if (!Wants(WebhookRules.TokenExpiring))
        {
            Hooks.Warnings.Clear();
        }

        await WriteAsync();
        return true;
    }

    public Task<WebhookDeliveryPage?> Deliveries(Guid webhookId, long? before, int limit)
    {
        if (!Hooks.Webhooks.Any(w => w.WebhookId == webhookId))
        {
            return Task.FromResult<WebhookDeliveryPage?>(null);
        }

        limit = Math.Clamp(limit, 1, 500);
        var page = Hooks.Deliveries
            .Where(d => d.WebhookId == webhookId && (before is null || d.Id < before))
            .OrderByDescending(d => d.Id)
            .Take(limit + 1)
            .ToList();
        var more = page.Count > limit;
        return Task.FromResult<WebhookDeliveryPage?>(new WebhookDeliveryPage(
            [.. page.Take(limit).Select(d => d.ToInfo())], more ? page[limit - 1].Id : null));
    }

    public async Task Enqueue(ImmutableArray<AuditEvent> events)
    {
        // Nothing registered: nothing to take, nothing written (the first registration starts from the trail's end).
        if (Hooks.Webhooks.Count == 0)
        {
            return;
        }

        var taken = false;
        foreach (var recorded in events.Where(e => e.Sequence >= Hooks.NextSequence).OrderBy(e => e.Sequence))
        {
            Hooks.NextSequence = recorded.Sequence + 1;
            taken = true;
            if (WebhookRules.EventType(recorded.Action) is not { } type)
            {
                continue;
            }

            var data = new JsonObject
            {
                ["orgId"] = OrganizationId,
                ["tokenId"] = recorded.TokenId.ToString("D"),
                ["userId"] = recorded.UserId,
            };
            if (recorded.Reason is not null)
            {
                data["reason"] = recorded.Reason;
            }

            // A leak reported by a secret-scanning partner names the partner; the reason says where it was found.
            if (recorded.Actor.StartsWith(AuditActor.SecretScanningPrefix, StringComparison.Ordinal))
            {
                data["reportedBy"] = recorded.Actor[AuditActor.SecretScanningPrefix.Length..];
            }

            Queue($"{OrganizationId}/{recorded.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)}", type, recorded.At, data);
        }

        if (taken)
        {
            await WriteAsync();
            await OwedAsync();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ExpiringReminder)
        {
            if (!Wants(WebhookRules.TokenExpiring))
            {
                await UnregisterAsync(ExpiringReminder);
                return;
            }

            // The sweep reads the organization's token list: it runs interleaved, so the trail's hand-over to this
            // grain (which the organization may be waiting on) never waits behind it.
            sweep?.Dispose();
            sweep = this.RegisterGrainTimer(
                _ => SweepExpiringAsync(),
                new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, Interleave = true });
            return;
        }

        if (!Hooks.Deliveries.Any(d => d.IsOwed))
        {
            await UnregisterAsync(DeliverReminder);
            deliverReminderSet = false;
            return;
        }

        StartPolling();
    }

    private bool Wants(string type) => Hooks.Webhooks.Any(w => w.Events.Contains(type));

    private void Queue(string eventId, string type, DateTimeOffset at, JsonObject data)
    {
        var body = new JsonObject
        {
            ["id"] = eventId,
            ["type"] = type,
            ["createdAt"] = at.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["data"] = data,
        }.ToJsonString();
        var now = time.GetUtcNow();
        foreach (var webhook in Hooks.Webhooks.Where(w => w.Events.Contains(type)))
        {
            Hooks.Deliveries.Add(new WebhookDelivery
            {
                Id = Hooks.NextDeliveryId++,
                WebhookId = webhook.WebhookId,
                EventId = eventId,
                EventType = type,
                Body = body,
                Status = WebhookDeliveryStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            });
        }
    }

    /// <summary>Deliveries are owed: the reminder that survives a restart, and the timer that sends them.</summary>
    private async Task OwedAsync()
    {
        if (!Hooks.Deliveries.Any(d => d.IsOwed))
        {
            return;
        }

        if (!deliverReminderSet)
        {
            await this.RegisterOrUpdateReminder(DeliverReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            deliverReminderSet = true;
        }

        StartPolling();
    }

    private void StartPolling()
    {
        if (poll is null && Hooks.Deliveries.Any(d => d.IsOwed))
        {
            poll = this.RegisterGrainTimer(
                _ => DeliverDueAsync(),
                new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = options.PollInterval, Interleave = true });
        }
    }

    /// <summary>Sends what is due, at most <see cref="ParallelAttempts"/> at once, and stores the outcomes.</summary>
    private async Task DeliverDueAsync()
    {
        if (delivering)
        {
            return;
        }

        delivering = true;
        try
        {
            while (true)
            {
                var now = time.GetUtcNow();
                var due = Hooks.Deliveries
                    .Where(d => d.IsOwed && d.NextAttemptAt <= now)
                    .OrderBy(d => d.NextAttemptAt)
                    .Take(ParallelAttempts)
                    .ToList();
                if (due.Count == 0)
                {
                    break;
                }

                var outcomes = await Task.WhenAll(due.Select(d => AttemptAsync(d, now)));
                var finished = time.GetUtcNow();
                for (var i = 0; i < due.Count; i++)
                {
                    Settle(due[i], outcomes[i], finished);
                }

                Prune();
                await WriteAsync();
            }

            if (!Hooks.Deliveries.Any(d => d.IsOwed))
            {
                poll?.Dispose();
                poll = null;
            }
        }
        finally
        {
            delivering = false;
        }
    }

    private void Settle(WebhookDelivery delivery, int? statusCode, DateTimeOffset now)
    {
        delivery.Attempts++;
        delivery.LastAttemptAt = now;
        delivery.LastStatusCode = statusCode;
        if (statusCode is >= 200 and < 300)
        {
            delivery.Status = WebhookDeliveryStatus.Delivered;
            delivery.NextAttemptAt = null;
            return;
        }

        var next = now + options.RetryDelay(delivery.Attempts);
        if (delivery.Attempts >= options.MaxAttempts || next > delivery.CreatedAt + options.GiveUpAfter)
        {
            delivery.Status = WebhookDeliveryStatus.GivenUp;
            delivery.NextAttemptAt = null;
            LogGivenUp(logger, OrganizationId, delivery.WebhookId, delivery.EventId, delivery.Attempts);
            return;
        }

        delivery.Status = WebhookDeliveryStatus.FailedRetrying;
        delivery.NextAttemptAt = next;
    }

    /// <summary>One signed POST; the status code, or null when no answer came (refused, timed out, no signing key).</summary>
    private async Task<int?> AttemptAsync(WebhookDelivery delivery, DateTimeOffset now)
    {
        if (Hooks.Webhooks.FirstOrDefault(w => w.WebhookId == delivery.WebhookId) is not { } webhook || !signer.Enabled)
        {
            return null;
        }

        var body = Encoding.UTF8.GetBytes(delivery.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSigner.EventIdHeader, delivery.EventId);
        request.Headers.TryAddWithoutValidation(
            WebhookSigner.SignatureHeader,
            WebhookSigner.Signature(signer.Secret(OrganizationId, webhook.WebhookId), now.ToUnixTimeSeconds(), body));
        using var timeout = new CancellationTokenSource(options.Timeout);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return (int)response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            LogAttemptFailed(logger, exception, OrganizationId, webhook.WebhookId, delivery.EventId);
            return null;
        }
    }

    /// <summary>Keeps every owed delivery and the newest <see cref="FinishedKept"/> finished ones.</summary>
    private void Prune()
    {
        var finished = Hooks.Deliveries.Count(d => !d.IsOwed);
        if (finished <= FinishedKept)
        {
            return;
        }

        var drop = Hooks.Deliveries.Where(d => !d.IsOwed).OrderBy(d => d.Id).Take(finished - FinishedKept).ToHashSet();
        Hooks.Deliveries.RemoveAll(drop.Contains);
    }

    /// <summary>
    /// Warns once 7 days and once 1 day before a token expires. A token found already within a day of expiry gets only
    /// the 1-day warning; one found within 7 days (but more than 1) gets the 7-day warning, however long it had.
    /// </summary>
    private async Task SweepExpiringAsync()
    {
        if (sweeping || !Wants(WebhookRules.TokenExpiring))
        {
            return;
        }

        sweeping = true;
        try
        {
            var now = time.GetUtcNow();
            var org = GrainFactory.GetGrain<IOrganizationGrain>(OrganizationId);
            var queued = false;
            string? cursor = null;
            do
            {
                var page = await org.ListTokens(cursor, 500);
                foreach (var token in page.Items)
                {
                    var left = token.ExpiresAt - now;
                    if (left <= TimeSpan.Zero || left > Week)
                    {
                        continue;
                    }

                    if (!Hooks.Warnings.TryGetValue(token.TokenId, out var sent))
                    {
                        sent = new ExpiryWarnings { ExpiresAt = token.ExpiresAt };
                        Hooks.Warnings[token.TokenId] = sent;
                    }

                    var window = left <= Day ? "1d" : "7d";
                    if (window == "1d" ? sent.DaySent : sent.WeekSent)
                    {
                        continue;
                    }

                    sent.WeekSent = true;
                    sent.DaySent = window == "1d";
                    var data = new JsonObject
                    {
                        ["orgId"] = OrganizationId,
                        ["tokenId"] = token.TokenId.ToString("D"),
                        ["userId"] = token.UserId,
                        ["expiresAt"] = token.ExpiresAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                        ["reason"] = window == "1d" ? "expires within 1 day" : "expires within 7 days",
                    };
                    if (token.Name is not null)
                    {
                        data["name"] = token.Name;
                    }

                    Queue($"{OrganizationId}/{WebhookRules.TokenExpiring}/{token.TokenId:D}/{window}", WebhookRules.TokenExpiring, now, data);
                    queued = true;
                }

                cursor = page.NextCursor;
            }
            while (cursor is not null);

            foreach (var gone in Hooks.Warnings.Where(w => w.Value.ExpiresAt <= now).Select(w => w.Key).ToList())
            {
                Hooks.Warnings.Remove(gone);
                queued = true;
            }

            if (queued)
            {
                await WriteAsync();
                await OwedAsync();
            }
        }
        finally
        {
            sweeping = false;
        }
    }

    private async Task UnregisterAsync(string name)
    {
        if (await this.GetReminder(name) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>Turns interleave (the delivery timer, the sweep), so writes take turns here: each stores the state as it is then.</summary>
    private Task WriteAsync() => writes = WriteAfterAsync(writes);

    private async Task WriteAfterAsync(Task previous)
    {
        // The previous write's failure is its caller's; this one waits for it only to keep the ETag in order.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        await state.WriteStateAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} of organization {OrganizationId}: attempt for event {EventId} got no answer")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string organizationId, Guid webhookId, string eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} of organization {OrganizationId}: event {EventId} given up after {Attempts} attempts")]
    private static partial void LogGivenUp(ILogger logger, string organizationId, Guid webhookId, string eventId, int attempts);
}
