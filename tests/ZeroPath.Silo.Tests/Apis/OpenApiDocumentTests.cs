using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using ZeroPath.Silo.Apis;

namespace ZeroPath.Silo.Tests.Apis;

public class OpenApiDocumentTests(SiloFactory factory, ITestOutputHelper output) : IClassFixture<SiloFactory>
{
    private const string DocumentPath = "/admin/v1/openapi.json";

    private async Task<JsonElement> Document()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private IReadOnlyList<(string Path, string Method, Endpoint Endpoint)> AdminEndpoints() =>
        [.. factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/admin/v1/", StringComparison.Ordinal) && e.RoutePattern.RawText != DocumentPath)
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => (e.RoutePattern.RawText!, m, (Endpoint)e)))];

    [Fact]
    public async Task The_document_is_served_without_the_key_and_states_every_admin_endpoint_with_its_answers()
    {
        var document = await Document();
        var endpoints = AdminEndpoints();

        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal(17, endpoints.Count);
        Assert.Equal(endpoints.Count, document.GetProperty("paths").EnumerateObject().Sum(p => p.Value.EnumerateObject().Count()));
        foreach (var (path, method, endpoint) in endpoints)
        {
            Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is missing");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is missing");
            Assert.Equal(endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName, operation.GetProperty("operationId").GetString());
            var responses = operation.GetProperty("responses");
            var declared = endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().Select(m => m.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order().ToArray();
            Assert.Equal(declared, responses.EnumerateObject().Select(r => r.Name).Order().ToArray());
            foreach (var status in new[] { "401", "413", "429", "503" })
            {
                Assert.True(responses.TryGetProperty(status, out _), $"{method} {path} does not state {status}");
            }

            foreach (var response in responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                var codes = response.Value.GetProperty("x-problem-codes").EnumerateArray().Select(c => c.GetString()!).ToArray();
                Assert.NotEmpty(codes);
                Assert.All(codes, c => Assert.Contains(c, AdminProblems.AllCodes));
                var schema = response.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
                Assert.Equal(codes, schema.GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(c => c.GetString()!));
            }

            var readsBody = HttpMethods.IsPost(method) || HttpMethods.IsPut(method);
            Assert.Equal(readsBody, operation.TryGetProperty("requestBody", out var body));
            if (readsBody)
            {
                Assert.True(body.GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _));
                Assert.Contains("unsupported_media_type", responses.GetProperty("415").GetProperty("x-problem-codes").EnumerateArray().Select(c => c.GetString()));
            }
        }

        output.WriteLine($"openapi: {endpoints.Count} admin operations stated");
    }

    [Fact]
    public async Task Request_and_response_schemas_state_the_rules()
    {
        var document = await Document();
        var schemas = document.GetProperty("components").GetProperty("schemas");

        var create = schemas.GetProperty("CreateTokenRequest");
        Assert.Equal(["userId"], create.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(365, create.GetProperty("properties").GetProperty("expiresInDays").GetProperty("maximum").GetInt32());
        var created = schemas.GetProperty("CreatedTokenResponse");
        Assert.Contains("tokenSecret", created.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var audit = document.GetProperty("paths").GetProperty("/admin/v1/orgs/{orgId}/audit").GetProperty("get");
        Assert.Equal(["orgId", "limit", "before"], audit.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }
}
