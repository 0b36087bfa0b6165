using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Hosting;
using ZeroPath.Gateway.Proxy;
using ZeroPath.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTokenClusterClient();
builder.AddTokenAuthentication();
builder.AddExtAuthzGrpc();
builder.AddUpstreamProxy();

var app = builder.Build();
app.UseTrustedProxies();
app.MapDefaultEndpoints();
// Where a request is authenticated: TokenAuthenticator, for /auth/check, Envoy's gRPC ext_authz and every proxied /api/v1|v2 request.
app.MapAuthCheck();
app.MapExtAuthzGrpc();
app.MapReverseProxy(proxy => proxy.UseTokenAuthentication());
app.Run();

/// <summary>The gateway host; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
