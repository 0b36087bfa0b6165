using StackExchange.Redis;
using ZeroPath.Bench.RedisEdge;

// The usual alternative design, as the comparison target of the edge benchmark: every /auth/check hashes the secret
// with SHA-256 and looks the token up in Redis (one HMGET), nothing cached in process.
var builder = WebApplication.CreateSlimBuilder(args);
var redis = builder.Configuration["Redis"]
    ?? throw new InvalidOperationException("Redis (a StackExchange.Redis connection string) is required, e.g. --Redis=127.0.0.1:6379.");
builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
builder.Services.AddSingleton<RedisTokenCheck>();

var app = builder.Build();
// Connect before the first request, so a wrong address fails the start and not the benchmark.
app.Services.GetRequiredService<IConnectionMultiplexer>();
app.MapGet("/healthz", () => Results.Ok());
app.Map("/auth/check", (HttpContext context, RedisTokenCheck check) => check.HandleAsync(context));
app.Run();
