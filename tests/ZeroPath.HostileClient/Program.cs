using System.Collections.Immutable;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using ZeroPath.ServiceDefaults;
using ZeroPath.ServiceDefaults.ClusterSecurity;
using ZeroPath.Tokens;

// Connects like a gateway (ZeroPath:Cluster settings, a gateway certificate) and calls every method of every grain
// interface that is not [EdgeCallable], against a victim organization and token. One line per call on stdout:
//   <Interface>.<Method>\t<refused|succeeded|failed:<exception type>>
// Settings: the gateway's ZeroPath:Cluster and ZeroPath:Cluster:Tls ones, plus Victim:Org and Victim:Token.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders();
var settings = new StartupSettings(builder.Configuration);
var cluster = settings.Bind<ClusterConnectionOptions>(ClusterConnectionOptions.SectionName);
var tls = settings.Bind<ClusterTlsOptions>(ClusterTlsOptions.SectionName).Load(settings, ClusterRole.Gateway);
settings.ThrowIfInvalid();
var victimOrg = builder.Configuration["Victim:Org"] ?? throw new InvalidOperationException("Victim:Org is required.");
var victimToken = Guid.Parse(builder.Configuration["Victim:Token"] ?? throw new InvalidOperationException("Victim:Token is required."));

builder.UseOrleansClient(client =>
{
    client.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = cluster.ClusterId;
        o.ServiceId = cluster.ServiceId;
    });
    client.UseRedisClustering(o => o.ConfigurationOptions = cluster.RedisConfiguration());
    client.Configure<ClientConnectionOptions>(tls!.ApplyTo);
    client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
});
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IClusterClient>();
var now = DateTimeOffset.UtcNow;

// The attack that was reported: become a member with every permission, then mint a token.
await Try("IOrganizationGrain.SetMember (reported attack)", () => grains.GetGrain<IOrganizationGrain>(victimOrg).SetMember("mallory", ["*"]));
await Try("IOrganizationGrain.CreateToken (reported attack)", () => grains.GetGrain<IOrganizationGrain>(victimOrg).CreateToken(new CreateTokenCommand("mallory", "x", 365)));

// A made-up proof in the request context, claiming to be the organization grain.
var organizationId = grains.GetGrain<IOrganizationGrain>(victimOrg).GetGrainId();
RequestContext.Set("zp.call", $"{now.ToUnixTimeSeconds() / 60}:AAAAAAAAAAAAAAAAAAAAAA:{organizationId}");
await Try("ITokenGrain.Initialize (forged proof)", () => grains.GetGrain<ITokenGrain>(Guid.NewGuid()).Initialize(ForgedRecord(Guid.NewGuid())));
RequestContext.Clear();

foreach (var type in typeof(ITokenGrain).Assembly.GetExportedTypes().Where(t => t.IsInterface && typeof(IGrain).IsAssignableFrom(t)).OrderBy(t => t.Name))
{
    var grain = type switch
    {
        _ when typeof(IGrainWithStringKey).IsAssignableFrom(type) => grains.GetGrain(type, victimOrg),
        _ when typeof(IGrainWithGuidKey).IsAssignableFrom(type) => grains.GetGrain(type, victimToken),
        _ when typeof(IGrainWithIntegerKey).IsAssignableFrom(type) => grains.GetGrain(type, 0L),
        _ => null,
    };
    if (grain is null)
    {
        continue; // observers: implemented by gateways, not silos
    }

    foreach (var method in type.GetMethods().Where(m => !m.IsDefined(typeof(EdgeCallableAttribute))).OrderBy(m => m.Name))
    {
        var arguments = method.GetParameters().Select(p => Argument(p.ParameterType)).ToArray();
        await Try($"{type.Name}.{method.Name}", () => (Task)method.Invoke(grain, arguments)!);
    }
}

// The edge methods still work for this client: it is connected, only limited.
await Try("ITokenGrain.Validate (edge)", () => grains.GetGrain<ITokenGrain>(victimToken).Validate("zp_wrong"));
// A gateway records uses, and nothing else: a made-up use for a token that does not exist lands in its usage shard only.
await Try("ITokenUsageShardGrain.Record (edge)", () => grains.GetGrain<ITokenUsageShardGrain>(TokenUsageLayout.ShardKey(victimOrg, 5 * TokenUsageLayout.ShardCapacity))
    .Record([new TokenUse(5 * TokenUsageLayout.ShardCapacity, Guid.NewGuid(), new TokenLastUse(now.AddYears(5), "203.0.113.66"))]));
await host.StopAsync();
return 0;

object? Argument(Type type) => type switch
{
    _ when type == typeof(string) => "mallory",
    _ when type == typeof(Guid) => victimToken,
    _ when type == typeof(int) => 100,
    _ when type == typeof(long) => 1L,
    _ when type == typeof(long?) => null,
    _ when type == typeof(TimeSpan?) => TimeSpan.FromDays(1),
    _ when type == typeof(ImmutableArray<TokenUse>) => ImmutableArray.Create(new TokenUse(0, victimToken, new TokenLastUse(now, "203.0.113.66"))),
    _ when type == typeof(bool) => true,
    _ when type == typeof(ImmutableArray<string>) => ImmutableArray.Create("*"),
    _ when type == typeof(ImmutableArray<Guid>) => ImmutableArray.Create(victimToken),
    _ when type == typeof(ImmutableArray<AuditEvent>) => ImmutableArray.Create(new AuditEvent(1, now, AuditAction.TokenDeleted, "mallory", victimToken, "alice", "forged")),
    _ when type == typeof(TokenRecord) => ForgedRecord(victimToken),
    _ when type == typeof(CreateTokenCommand) => new CreateTokenCommand("mallory", "x", 365),
    _ when type == typeof(NewToken) => new NewToken(victimToken, "mallory", "x", 365, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"),
    _ when type == typeof(TokenSummary) => new TokenSummary(victimToken, "x", "mallory", now, now.AddDays(365)),
    _ when type == typeof(TokenSelection) => new TokenSelection(),
    _ when type == typeof(ImmutableArray<long>) => ImmutableArray.Create(0L),
    _ when type == typeof(DateTimeOffset) => now,
    _ when type == typeof(TimeSpan) => TimeSpan.Zero,
    _ when type == typeof(RotateTokenCommand) => new RotateTokenCommand(victimToken, TimeSpan.Zero),
    _ when type == typeof(OrganizationPolicy) => new OrganizationPolicy(1, ["scans:read"], true),
    _ when type == typeof(RevocationMarks) => RevocationMarks.None.RevokeOrganization(long.MaxValue - 1),
    _ when type.IsEnum => Enum.GetValues(type).GetValue(0),
    _ when type == typeof(CancellationToken) => CancellationToken.None,
    _ => throw new InvalidOperationException($"No hostile argument for {type}: add one, so every method is tried."),
};

TokenRecord ForgedRecord(Guid tokenId) =>
    new(tokenId, victimOrg, "mallory", "x", now, now.AddDays(365), "$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", ["*"], 0, true);

static async Task Try(string name, Func<Task> call)
{
    string outcome;
    try
    {
        await call();
        outcome = "succeeded";
    }
    catch (UnauthorizedAccessException)
    {
        outcome = "refused";
    }
    catch (Exception exception)
    {
        outcome = $"failed:{exception.GetType().Name}:{exception.Message.ReplaceLineEndings(" ")}";
    }

    Console.WriteLine($"{name}\t{outcome}");
}
