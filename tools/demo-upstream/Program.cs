// A stand-in for the V1/V2 API services: answers every request with what it received, so the identity the gateway
// forwards (and the secret it does not) can be seen.
var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();
app.MapFallback((HttpRequest request) => Results.Json(new
{
    method = request.Method,
    path = request.Path.Value,
    query = request.QueryString.Value,
    headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
}));
app.Run();
