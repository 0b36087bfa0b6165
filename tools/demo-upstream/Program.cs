using ZeroPath.Gateway.Signing;

// A stand-in for the V1/V2 API services: answers every request with what it received, so the identity the gateway
// forwards (and the secret it does not) can be seen. With the gateway's signing keys configured (the same
// ZeroPath:Gateway:IdentitySigning:Keys:<id> settings), it also says whether X-ZeroPath-Identity-Signature verifies.
var builder = WebApplication.CreateSlimBuilder(args);
var keys = builder.Configuration.GetSection("ZeroPath:Gateway:IdentitySigning:Keys").GetChildren()
    .Where(key => !string.IsNullOrWhiteSpace(key.Value))
    .ToDictionary(key => key.Key, key => Convert.FromBase64String(key.Value!.Trim()), StringComparer.Ordinal);
var verifier = keys.Count > 0 ? new IdentitySignatureVerifier(keys) : null;

var app = builder.Build();
app.MapFallback((HttpRequest request) =>
{
    var check = verifier?.Verify(request);
    return Results.Json(new Dictionary<string, object?>
    {
        ["method"] = request.Method,
        ["path"] = request.Path.Value,
        ["query"] = request.QueryString.Value,
        ["headers"] = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
        ["signature-valid"] = check == IdentitySignatureCheck.Valid,
        ["signature-check"] = check?.ToString() ?? "no signing keys configured",
    });
});
app.Run();
