using ZeroPath.ServiceDefaults;
using ZeroPath.Silo.Apis;
using ZeroPath.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTokenSilo();
builder.AddAdminApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAdminApi();
app.Run();

/// <summary>The silo host; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
