using ZeroPath.ServiceDefaults;
using ZeroPath.Silo.Apis;
using ZeroPath.Silo.Hosting;
using ZeroPath.Silo.SecretScanning;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTokenSilo();
builder.AddAdminApi();
builder.AddSecretScanningApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAdminApi();
app.MapSecretScanningApi();
app.Run();

/// <summary>The silo host; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
