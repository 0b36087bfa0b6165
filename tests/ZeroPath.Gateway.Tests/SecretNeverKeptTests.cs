using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Tests.Authentication;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests;

public class SecretSearchTests
{
    private sealed record Holder(string Name, object? Inner);

    [Fact]
    public void The_graph_walk_finds_a_secret_wherever_an_object_holds_it()
    {
        var secret = TestSecrets.WrongSecret(Guid.NewGuid());
        var needles = SecretSearch.Needles([secret]);
        var lru = new BoundedLru<Guid, Holder>(4);
        lru.Set(Guid.NewGuid(), new Holder("x", new Holder("y", "prefix " + secret)));
        var cyclic = new List<object>();
        cyclic.Add(cyclic);
        cyclic.Add(new Dictionary<int, char[]> { [1] = secret.ToCharArray() });

        var holders = new object[]
        {
            lru,
            cyclic,
            new LinkedList<byte[]>([Encoding.ASCII.GetBytes(secret)]),
            new[] { new KeyValuePair<int, (int, string)>(1, (2, secret[TokenSecretFormat.RandomStart..TokenSecretFormat.TagStart])) },
            new Holder("utf-16", Encoding.Unicode.GetBytes(secret)),
        };

        Assert.All(holders, holder => Assert.NotEmpty(SecretSearch.FindInGraph(holder, needles)));
        Assert.Empty(SecretSearch.FindInGraph(new Holder("other", new[] { TestSecrets.WrongSecret(Guid.NewGuid()) }), needles));
    }
}

public class SecretNeverCachedTests(EdgeFixture fixture) : IClassFixture<EdgeFixture>
{
    [Fact]
    public async Task No_cache_or_refusal_holds_a_secret_after_validations_refusals_and_locks()
    {
        using var probe = new AuthProbe(fixture.Gateway);
        var secrets = new List<string>();
        var tokens = new List<(Guid Id, string Secret)>();
        for (var i = 0; i < 4; i++)
        {
            var (_, issued) = await fixture.IssueAsync();
            tokens.Add((issued.TokenId, issued.Secret));
        }

        var legacy = await fixture.CreateLegacyTokenAsync();
        tokens.Add((legacy.TokenId, legacy.Secret));
        foreach (var (id, secret) in tokens)
        {
            secrets.Add(secret);
            await probe.ExpectAsync("/auth/check", id, secret, HttpStatusCode.OK, "ok", "cluster");
            await probe.ExpectAsync("/api/v1/x", id, secret, HttpStatusCode.OK, "ok", "cache");
        }

        // Refusals of every kind: an unknown id, a locked token, an ended one; and wrong secrets along the way.
        var unknown = Guid.NewGuid();
        secrets.Add(TestSecrets.WrongSecret(unknown));
        await probe.ExpectAsync("/auth/check", unknown, secrets[^1], HttpStatusCode.Unauthorized, "invalid_token", "cluster");
        for (var i = 0; i < FailureLimitFixture.MaxFailures; i++)
        {
            secrets.Add(TestSecrets.WrongSecret(tokens[0].Id));
            await probe.ExpectAsync("/auth/check", tokens[0].Id, secrets[^1], HttpStatusCode.Unauthorized, "invalid_token", "cluster");
        }

        secrets.Add(TestSecrets.WrongSecret(tokens[0].Id));
        await probe.ExpectAsync("/auth/check", tokens[0].Id, secrets[^1], HttpStatusCode.Unauthorized, "too_many_failures", "cluster");

        await probe.ExpectAsync("/auth/check", tokens[0].Id, TestSecrets.WrongSecret(tokens[0].Id), HttpStatusCode.Unauthorized, "too_many_failures", "refusals");
        var ended = EdgeFixture.EndedPush(fixture.Gateway, tokens[1].Id);
        await fixture.Silo.Grains.RevokeTokenAsync(tokens[1].Id, "test");
        await ended.WaitAsync(TimeSpan.FromSeconds(5));

        var cache = fixture.Gateway.Services.GetRequiredService<ValidationCache>();
        var refusals = fixture.Gateway.Services.GetRequiredService<RefusalCache>();
        Assert.True(cache.Count >= tokens.Count - 1, $"only {cache.Count} validations cached");
        Assert.True(refusals.Count >= 3, $"only {refusals.Count} refusals kept");

        var needles = SecretSearch.Needles(secrets);
        Assert.Empty(SecretSearch.FindInGraph(cache, needles));
        Assert.Empty(SecretSearch.FindInGraph(refusals, needles));
    }
}

/// <summary>
/// One gateway logging everything at Trace to a capturing provider, with its meters listened to, taken through every flow:
/// valid (cluster and cache), legacy, wrong secrets, a lock, malformed and badly tagged secrets, then the cluster gone.
/// </summary>
public sealed class LoggedFlowsFixture : EdgeFixture
{
    public CapturingLoggerProvider Logs { get; } = new();
    public GatewayMeasurements Measurements { get; private set; } = null!;
    public List<string> Secrets { get; } = [];

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings =>
    [
        GatewayFactory.Setting("ZeroPath:Cluster:ResponseTimeout", TimeSpan.FromSeconds(2)),
    ];

    protected override WebApplicationFactory<Program> Customize(GatewayFactory gateway) =>
        gateway.WithWebHostBuilder(host => host.ConfigureLogging(logging =>
        {
            logging.AddProvider(Logs);
            // A rule for this provider wins over the categories appsettings.json raises to Warning.
            logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
            logging.SetMinimumLevel(LogLevel.Trace);
        }));

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Measurements = new GatewayMeasurements(Gateway.Services);
        using var probe = new AuthProbe(Gateway);

        var (_, valid) = await IssueAsync();
        var (_, locked) = await IssueAsync();
        var (_, unvalidated) = await IssueAsync();
        var legacy = await CreateLegacyTokenAsync();
        Secrets.AddRange([valid.Secret, locked.Secret, unvalidated.Secret, legacy.Secret]);

        await probe.ExpectAsync("/auth/check", valid.TokenId, valid.Secret, HttpStatusCode.OK, "ok", "cluster");
        await probe.ExpectAsync("/api/v1/x", valid.TokenId, valid.Secret, HttpStatusCode.OK, "ok", "cache");
        await probe.ExpectAsync("/auth/check", legacy.TokenId, legacy.Secret, HttpStatusCode.OK, "ok", "cluster");
        await probe.ExpectAsync("/api/v2/x", legacy.TokenId, legacy.Secret, HttpStatusCode.OK, "ok", "cache");
        var randomLegacy = TestSettings.LegacySecret();
        Secrets.Add(randomLegacy);
        await probe.ExpectAsync("/auth/check", Guid.NewGuid(), randomLegacy, HttpStatusCode.Unauthorized, "invalid_token", "cluster");

        for (var i = 0; i < FailureLimitFixture.MaxFailures; i++)
        {
            Secrets.Add(TestSecrets.WrongSecret(locked.TokenId));
            await probe.ExpectAsync(i % 2 == 0 ? "/auth/check" : "/api/v1/x", locked.TokenId, Secrets[^1], HttpStatusCode.Unauthorized, "invalid_token", "cluster");
        }

        Secrets.Add(TestSecrets.WrongSecret(locked.TokenId));
        await probe.ExpectAsync("/api/v1/x", locked.TokenId, Secrets[^1], HttpStatusCode.TooManyRequests, "too_many_failures", "cluster");
        await probe.ExpectAsync("/auth/check", locked.TokenId, locked.Secret, HttpStatusCode.Unauthorized, "too_many_failures", "refusals");

        var mangled = TestSecrets.OneCharacterChanged(valid.Secret);
        var unknownKey = TestSecrets.UnderKeyId("zz");
        Secrets.AddRange([mangled, unknownKey]);
        await probe.ExpectAsync("/auth/check", valid.TokenId, mangled, HttpStatusCode.Unauthorized, "malformed_credentials", "headers");
        await probe.ExpectAsync("/api/v1/x", valid.TokenId, valid.Secret + "x", HttpStatusCode.Unauthorized, "malformed_credentials", "headers");
        await probe.ExpectAsync("/auth/check", valid.TokenId, locked.Secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
        await probe.ExpectAsync("/auth/check", valid.TokenId, unknownKey, HttpStatusCode.Unauthorized, "invalid_token", "format");

        await StopSiloAsync();
        await probe.ExpectAsync("/auth/check", unvalidated.TokenId, unvalidated.Secret, HttpStatusCode.ServiceUnavailable, "cluster_unavailable", "cluster");
        await probe.ExpectAsync("/api/v1/x", unvalidated.TokenId, unvalidated.Secret, HttpStatusCode.ServiceUnavailable, "cluster_unavailable", "cluster");
        using var notReady = await probe.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
    }

    public override async Task DisposeAsync()
    {
        Measurements.Dispose();
        await base.DisposeAsync();
        Logs.Dispose();
    }
}

public class SecretNeverLoggedOrMeasuredTests(LoggedFlowsFixture fixture) : IClassFixture<LoggedFlowsFixture>
{
    [Fact]
    public void No_log_message_state_value_or_exception_holds_a_secret()
    {
        var logs = fixture.Logs.Logs;
        // The capture is real: Trace and Debug entries arrived, and the cluster failures were logged with their exceptions.
        Assert.Contains(logs, l => l.Level is LogLevel.Trace or LogLevel.Debug);
        Assert.Contains(logs, l => l.Category.EndsWith(".TokenAuthenticator", StringComparison.Ordinal) && l.Level == LogLevel.Warning && l.Exception is not null);

        var needles = SecretSearch.Needles(fixture.Secrets);
        var leaks = logs
            .SelectMany(l => new[] { ("message", l.Message), ("exception", l.Exception) }.Concat(l.Values.Select(v => ("state", (string?)v)))
                .Where(part => SecretSearch.FoundIn(part.Item2, needles) is not null)
                .Select(part => $"{l} ({part.Item1})"))
            .Distinct()
            .ToList();

        Assert.True(leaks.Count == 0, $"{leaks.Count} log entries hold a secret:\n{string.Join('\n', leaks)}");
    }

    [Fact]
    public void No_metric_tag_holds_a_secret()
    {
        var measured = fixture.Measurements.All;
        // Every flow was measured: the decisions, and the HTTP server's own instruments.
        Assert.Superset(
            new HashSet<AuthDecisionTags>
            {
                new("ok", "cluster"), new("ok", "cache"), new("invalid_token", "cluster"), new("too_many_failures", "cluster"),
                new("too_many_failures", "refusals"), new("malformed_credentials", "headers"), new("invalid_token", "format"),
                new("cluster_unavailable", "cluster"),
            },
            fixture.Measurements.Decisions.ToHashSet());
        Assert.Contains(measured, m => m.Instrument != GatewayMeasurements.Authentications && m.Tags.Count > 0);

        var needles = SecretSearch.Needles(fixture.Secrets);
        var leaks = measured
            .SelectMany(m => m.Tags.Select(t => (m.Instrument, t.Key, Value: t.Value switch
            {
                null => "",
                string text => text,
                System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>()),
                var other => other.ToString(),
            })))
            .Where(t => SecretSearch.FoundIn(t.Value, needles) is not null)
            .Select(t => $"{t.Instrument} {t.Key}")
            .Distinct()
            .ToList();

        Assert.True(leaks.Count == 0, $"metric tags hold a secret: {string.Join(", ", leaks)}");
    }
}
