using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Xunit.Abstractions;

namespace ZeroPath.Silo.Tests.Fuzzing;

/// <summary>A silo on real Kestrel whose failed-authentication limit does not get in the way of thousands of requests from one address.</summary>
public sealed class ConformanceSilo : IDisposable
{
    // Webhooks on (registration answers 2xx only with a signing key); generated webhook URLs are all on loopback.
    public KestrelSilo Silo { get; } = KestrelSilo.Start(settings: new Dictionary<string, string?>(ZeroPath.Testing.TestSettings.Webhooks)
    {
        ["ZeroPath:Admin:FailedAuthentication:MaxFailures"] = "1000000",
    });

    public void Dispose() => Silo.Dispose();
}

/// <summary>
/// An OpenAPI-conformance fuzzer in the manner of schemathesis (which cannot be installed here): it reads
/// <c>/admin/v1/openapi.json</c> from a live silo over HTTP and knows nothing else about the routes. For every operation
/// in the document it generates requests from the document (path and query parameters and bodies from their schemas,
/// ids reused across operations and taken from earlier answers, so that later calls reach what earlier ones made) and
/// negative variants (no or a wrong key, parameters and bodies that break their schemas, missing required properties,
/// wrong types, undeclared content types). Checks: every status is declared for the operation; a problem answer is
/// application/problem+json, valid against its declared schema, with a code from its declared x-problem-codes; a 2xx
/// body is valid against its declared schema (JsonSchema.Net, formats checked); a response declared without content
/// has none; a request the document says is invalid is never answered 2xx.
/// </summary>
public class OpenApiConformanceTests(ConformanceSilo fixture, ITestOutputHelper output) : IClassFixture<ConformanceSilo>
{
    private const int CasesPerOperation = 250;
    private const string AdminKey = SiloFactory.AdminKey;

    [Fact]
    public async Task Every_answer_to_requests_generated_from_the_document_is_declared_there_and_matches_its_schema()
    {
        using var http = new HttpClient { BaseAddress = fixture.Silo.Address, Timeout = TimeSpan.FromSeconds(30) };
        var document = JsonNode.Parse(await http.GetStringAsync("/admin/v1/openapi.json"))!.AsObject();
        var api = new OpenApiModel(document);
        var seed = Environment.GetEnvironmentVariable("ZP_FUZZ_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var generator = new SchemaDrivenGenerator(new Random(seed), api);
        var failures = new List<string>();
        var statuses = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var cases = 0;
        var negatives = 0;
        var followUps = 0;
        var clock = Stopwatch.StartNew();

        var plan = new Queue<(Operation Operation, IReadOnlyDictionary<string, string>? Values)>(
            api.Operations.SelectMany(o => Enumerable.Repeat(o, CasesPerOperation)).OrderBy(_ => generator.Random.Next()).Select(o => (o, (IReadOnlyDictionary<string, string>?)null)));
        var extraRounds = 0;
        while (plan.TryDequeue(out var next) || TopUp(out next))
        {
            var (operation, values) = next;
            var generated = generator.Request(operation, values);
            cases++;
            negatives += generated.Negative is null ? 0 : 1;
            using var request = generated.ToMessage();
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            var key = $"{operation.Id} {status}";
            statuses[key] = statuses.GetValueOrDefault(key) + 1;
            var problem = Check(api, operation, generated, response, status, body);
            if (problem is not null)
            {
                failures.Add($"{operation.Method} {operation.Path} -> {status}: {problem}\n    request: {generated}\n    body: {Truncate(body)}");
            }
            else if (status[0] == '2')
            {
                generator.Harvest(body);
                // Like schemathesis' stateful links: half the time, go on at once with an operation whose path the
                // request and its answer fill (a token just created is read, revoked or deleted in its organization).
                if (values is null && generator.FollowUp(operation, generated, body) is { } followUp)
                {
                    plan = new Queue<(Operation, IReadOnlyDictionary<string, string>?)>([followUp, .. plan]);
                    followUps++;
                }
            }
        }

        // Operations not yet answered with success get more cases, up to two more rounds: with shared organizations a
        // random policy (say, address ranges required) can refuse most creates, leaving few tokens to rotate or delete.
        bool TopUp(out (Operation Operation, IReadOnlyDictionary<string, string>? Values) first)
        {
            var uncovered = api.Operations.Where(o => !statuses.Keys.Any(k => k.StartsWith(o.Id + " 2", StringComparison.Ordinal))).ToList();
            first = default;
            if (uncovered.Count == 0 || extraRounds++ == 2)
            {
                return false;
            }

            output.WriteLine($"openapi conformance: round {extraRounds + 1} for {string.Join(", ", uncovered.Select(o => o.Id))}");
            // Their organizations and tokens come from what creates answer, so creates go with them.
            var more = uncovered.Concat(api.Operations.Where(o => o.Id is "SetMember" or "CreateToken"))
                .SelectMany(o => Enumerable.Repeat(o, CasesPerOperation)).OrderBy(_ => generator.Random.Next());
            plan = new Queue<(Operation, IReadOnlyDictionary<string, string>?)>(more.Select(o => (o, (IReadOnlyDictionary<string, string>?)null)));
            return plan.TryDequeue(out first);
        }

        output.WriteLine($"openapi conformance: {cases} cases ({negatives} negative, {followUps} follow-ups), {api.Operations.Count} operations from the document, {failures.Count} failures (seed {seed}, {clock.Elapsed.TotalSeconds:0.0} s)");
        output.WriteLine("openapi conformance: answers: " + string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        foreach (var failure in failures.Take(20))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} answers do not conform (seed {seed}); first: {failures.FirstOrDefault()}");
        Assert.Equal(17, api.Operations.Count);
        // Every operation was answered with success at least once: the generator reaches past validation everywhere.
        Assert.All(api.Operations, o => Assert.Contains(statuses.Keys, k => k.StartsWith(o.Id + " 2", StringComparison.Ordinal)));
    }

    private static string? Check(OpenApiModel api, Operation operation, GeneratedRequest generated, HttpResponseMessage response, string status, string body)
    {
        if (!operation.Responses.TryGetValue(status, out var declared))
        {
            return $"status {status} is not declared (declared: {string.Join(", ", operation.Responses.Keys)})";
        }

        if (generated.Negative is { } negative && status[0] == '2')
        {
            return $"an invalid request ({negative}) was accepted";
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (declared.Content.Count == 0)
        {
            return body.Length == 0 ? null : "a body where the document declares none";
        }

        if (mediaType is null || !declared.Content.TryGetValue(mediaType, out var schema))
        {
            return $"content type {mediaType ?? "(none)"} is not declared ({string.Join(", ", declared.Content.Keys)})";
        }

        JsonElement instance;
        try
        {
            instance = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
            return "the body is not JSON";
        }

        var result = api.Validator(schema).Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (!result.IsValid)
        {
            var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
            return "the body does not match its declared schema: " + string.Join("; ", errors.Take(5));
        }

        if (declared.ProblemCodes is { } codes && (!instance.TryGetProperty("code", out var code) || !codes.Contains(code.GetString()!)))
        {
            return $"problem code not among the declared x-problem-codes ({string.Join(", ", codes)})";
        }

        return null;
    }

    /// <summary>A body for a failure message: shortened, and never with a token secret in it.</summary>
    private static string Truncate(string text)
    {
        text = Regex.Replace(text, "\"tokenSecret\"\\s*:\\s*\"[^\"]*\"", "\"tokenSecret\":\"(redacted)\"", RegexOptions.None, TimeSpan.FromSeconds(1));
        return text.Length > 400 ? text[..400] + "..." : text;
    }

    /// <summary>The parts of an OpenAPI 3.1 document the fuzzer uses, read from the JSON.</summary>
    public sealed class OpenApiModel
    {
        private readonly JsonObject document;
        private readonly Dictionary<JsonNode, JsonSchema> validators = new(ReferenceEqualityComparer.Instance);
        private int schemaNumber;

        public OpenApiModel(JsonObject document)
        {
            this.document = document;
            var secured = document["security"] is JsonArray { Count: > 0 };
            foreach (var (path, item) in document["paths"]!.AsObject())
            {
                foreach (var (method, node) in item!.AsObject())
                {
                    var operation = node!.AsObject();
                    var parameters = (operation["parameters"] as JsonArray ?? []).Select(p => p!.AsObject())
                        .Select(p => new Parameter(p["name"]!.GetValue<string>(), p["in"]!.GetValue<string>(), p["required"]?.GetValue<bool>() ?? false, Resolve(p["schema"]!)))
                        .ToArray();
                    RequestBody? body = null;
                    if (operation["requestBody"] is JsonObject requestBody)
                    {
                        var content = requestBody["content"]!.AsObject();
                        body = new RequestBody(requestBody["required"]?.GetValue<bool>() ?? false, [.. content.Select(c => c.Key)], Resolve(content.First().Value!["schema"]!));
                    }

                    var responses = operation["responses"]!.AsObject().ToDictionary(
                        r => r.Key,
                        r => new Response(
                            (r.Value!["content"] as JsonObject ?? []).ToDictionary(c => c.Key, c => c.Value!["schema"]!),
                            (r.Value["x-problem-codes"] as JsonArray)?.Select(c => c!.GetValue<string>()).ToHashSet(StringComparer.Ordinal)),
                        StringComparer.Ordinal);
                    Operations.Add(new Operation(
                        operation["operationId"]?.GetValue<string>() ?? $"{method} {path}", method.ToUpperInvariant(), path, parameters, body, responses,
                        secured || operation["security"] is JsonArray { Count: > 0 }));
                }
            }
        }

        public List<Operation> Operations { get; } = [];

        /// <summary>Follows <c>$ref</c> to <c>#/components/schemas/...</c>.</summary>
        public JsonObject Resolve(JsonNode schema)
        {
            while (schema["$ref"] is { } reference)
            {
                schema = document["components"]!["schemas"]![reference.GetValue<string>()["#/components/schemas/".Length..]]!;
            }

            return schema.AsObject();
        }

        /// <summary>
        /// A JSON Schema 2020-12 validator for a schema of the document: the document's component schemas become
        /// <c>$defs</c> (references rewritten), and only the formats JSON Schema defines are kept (OpenAPI's int32 and
        /// int64 are annotations there).
        /// </summary>
        public JsonSchema Validator(JsonNode schema)
        {
            lock (validators)
            {
                if (!validators.TryGetValue(schema, out var validator))
                {
                    var root = Rewrite(schema.DeepClone())!.AsObject();
                    root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
                    root["$defs"] = Rewrite(document["components"]!["schemas"]!.DeepClone());
                    validator = JsonSchema.FromText(root.ToJsonString(), new BuildOptions(), new Uri($"https://zeropath.test/schemas/{++schemaNumber}"));
                    validators[schema] = validator;
                }

                return validator;
            }
        }

        private static JsonNode? Rewrite(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    if (o["$ref"] is JsonValue reference)
                    {
                        o["$ref"] = reference.GetValue<string>().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
                    }

                    if (o["format"] is JsonValue format && format.GetValueKind() == JsonValueKind.String
                        && format.GetValue<string>() is not ("date-time" or "uuid" or "email" or "uri"))
                    {
                        o.Remove("format");
                    }

                    foreach (var (_, value) in o.ToArray())
                    {
                        Rewrite(value);
                    }

                    break;
                case JsonArray a:
                    foreach (var item in a)
                    {
                        Rewrite(item);
                    }

                    break;
            }

            return node;
        }
    }

    public sealed record Parameter(string Name, string In, bool Required, JsonObject Schema);

    public sealed record RequestBody(bool Required, IReadOnlyList<string> ContentTypes, JsonObject Schema);

    public sealed record Response(IReadOnlyDictionary<string, JsonNode> Content, IReadOnlySet<string>? ProblemCodes);

    public sealed record Operation(string Id, string Method, string Path, IReadOnlyList<Parameter> Parameters, RequestBody? Body, IReadOnlyDictionary<string, Response> Responses, bool Secured);

    public sealed record GeneratedRequest(string Method, string PathAndQuery, string? Authorization, string? ContentType, string? Body, string? Negative, IReadOnlyDictionary<string, string> PathValues)
    {
        public HttpRequestMessage ToMessage()
        {
            var message = new HttpRequestMessage(new HttpMethod(Method), PathAndQuery);
            if (Authorization is not null)
            {
                message.Headers.Authorization = AuthenticationHeaderValue.Parse(Authorization);
            }

            if (Body is not null)
            {
                message.Content = new StringContent(Body, Encoding.UTF8);
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType!);
            }

            return message;
        }

        public override string ToString() =>
            $"{Method} {PathAndQuery} auth={(Authorization is null ? "none" : Authorization == "Bearer " + AdminKey ? "key" : "wrong")} " +
            $"{ContentType} {(Body is { Length: > 300 } b ? b[..300] + "..." : Body)} negative={Negative ?? "no"}";
    }

    /// <summary>Values from schemas: valid ones (reusing a few per name, so operations meet each other's data) and invalid ones.</summary>
    public sealed class SchemaDrivenGenerator(Random random, OpenApiModel api)
    {
        private const int PoolSize = 2;
        private readonly Dictionary<string, List<JsonNode>> pools = new(StringComparer.Ordinal);
        private readonly HashSet<string> parameterNames = [.. api.Operations.SelectMany(o => o.Parameters).Select(p => p.Name)];

        public Random Random => random;

        public GeneratedRequest Request(Operation operation, IReadOnlyDictionary<string, string>? given = null)
        {
            var pathValues = new Dictionary<string, string>(StringComparer.Ordinal);
            // Six in ten requests are valid for the document (every follow-up is); the rest break it in one way.
            var negative = given is null && random.Next(10) < 4 ? NegativeKinds(operation)[random.Next(NegativeKinds(operation).Count)] : null;
            var path = operation.Path;
            var query = new List<string>();
            foreach (var parameter in operation.Parameters)
            {
                var breakIt = negative == $"param:{parameter.Name}";
                if (parameter.In == "query" && !parameter.Required && !breakIt && random.Next(2) == 0)
                {
                    continue;
                }

                var raw = breakIt ? InvalidParameter(parameter.Schema, parameter.Name)
                    : given?.GetValueOrDefault(parameter.Name) ?? ParameterText(Valid(parameter.Schema, parameter.Name, 0));
                var text = Uri.EscapeDataString(raw);
                if (parameter.In == "path")
                {
                    pathValues[parameter.Name] = raw;
                    path = path.Replace("{" + parameter.Name + "}", text, StringComparison.Ordinal);
                }
                else if (parameter.In == "query")
                {
                    query.Add($"{Uri.EscapeDataString(parameter.Name)}={text}");
                }
            }

            string? contentType = null;
            string? body = null;
            if (operation.Body is { } requestBody && (requestBody.Required || random.Next(2) == 0 || negative?.StartsWith("body", StringComparison.Ordinal) == true))
            {
                contentType = negative == "content-type" ? "text/plain" : requestBody.ContentTypes[random.Next(requestBody.ContentTypes.Count)];
                var value = negative switch
                {
                    "body:not-object" => JsonValue.Create("not an object"),
                    "body:missing-required" => WithoutRequired(Valid(requestBody.Schema, null, 0)!.AsObject(), requestBody.Schema),
                    { } n when n.StartsWith("body:property:", StringComparison.Ordinal) => WithInvalidProperty(requestBody.Schema, n["body:property:".Length..]),
                    _ => Valid(requestBody.Schema, null, 0),
                };
                body = value?.ToJsonString() ?? "null";
            }

            var authorization = negative switch
            {
                "auth:none" => null,
                "auth:wrong" => "Bearer not-the-admin-key-" + random.Next(),
                _ => operation.Secured ? "Bearer " + AdminKey : null,
            };
            return new GeneratedRequest(operation.Method, path + (query.Count > 0 ? "?" + string.Join('&', query) : ""), authorization, contentType, body, negative, pathValues);
        }

        private static string ParameterText(JsonNode? value) =>
            value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "";

        /// <summary>
        /// A parameter value that breaks its schema as the server reads it (text, or a number where the schema is an
        /// integer): candidates are checked with the schema's validator, since a path turns every value into text.
        /// </summary>
        private string InvalidParameter(JsonObject schema, string name)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var text = ParameterText(InvalidCandidate(schema));
                JsonNode instance = Types(api.Resolve(schema)).Contains("integer") && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : JsonValue.Create(text);
                if (text.Length > 0 && !api.Validator(schema).Evaluate(JsonSerializer.SerializeToElement(instance), new EvaluationOptions { RequireFormatValidation = true }).IsValid)
                {
                    return text;
                }
            }

            throw new InvalidOperationException($"Cannot make a value that breaks the schema of parameter {name}.");
        }

        /// <summary>
        /// Half the time, another operation whose path parameters are all filled by the values of this request's path and
        /// the string properties of its answer, with those values.
        /// </summary>
        public (Operation, IReadOnlyDictionary<string, string>?)? FollowUp(Operation done, GeneratedRequest request, string body)
        {
            if (random.Next(2) == 0 || request.Negative is not null)
            {
                return null;
            }

            var values = new Dictionary<string, string>(request.PathValues, StringComparer.Ordinal);
            var answered = new HashSet<string>(StringComparer.Ordinal);
            if (body.Length > 0 && JsonNode.Parse(body) is JsonObject answer)
            {
                foreach (var (name, value) in answer)
                {
                    if (parameterNames.Contains(name) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        answered.Add(name);
                        values[name] = v.GetValue<string>();
                    }
                }
            }

            var candidates = api.Operations
                .Where(o => o != done && o.Parameters.Any(p => p.In == "path") && o.Parameters.Where(p => p.In == "path").All(p => values.ContainsKey(p.Name)))
                .ToArray();
            // Operations that use what the answer brought (a new token's id) first.
            var linked = candidates.Where(o => o.Parameters.Any(p => p.In == "path" && answered.Contains(p.Name) && !request.PathValues.ContainsKey(p.Name))).ToArray();
            candidates = linked.Length > 0 ? linked : candidates;
            return candidates.Length == 0 ? null : (candidates[random.Next(candidates.Length)], values);
        }

        /// <summary>Takes the ids in a successful answer for later requests (any string property named like a parameter).</summary>
        public void Harvest(string body)
        {
            if (body.Length == 0)
            {
                return;
            }

            Walk(JsonNode.Parse(body));

            void Walk(JsonNode? node)
            {
                switch (node)
                {
                    case JsonObject o:
                        foreach (var (name, value) in o)
                        {
                            if (parameterNames.Contains(name) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                            {
                                var pool = Pool(name);
                                if (!pool.Any(p => p.GetValue<string>() == v.GetValue<string>()))
                                {
                                    pool.Add(JsonValue.Create(v.GetValue<string>()));
                                    if (pool.Count > 20)
                                    {
                                        pool.RemoveAt(0);
                                    }
                                }
                            }

                            Walk(value);
                        }

                        break;
                    case JsonArray a:
                        foreach (var item in a)
                        {
                            Walk(item);
                        }

                        break;
                }
            }
        }

        private static List<string> NegativeKinds(Operation operation)
        {
            var kinds = new List<string>();
            if (operation.Secured)
            {
                kinds.Add("auth:none");
                kinds.Add("auth:wrong");
            }

            kinds.AddRange(operation.Parameters.Where(p => CanBreak(p.Schema)).Select(p => $"param:{p.Name}"));
            if (operation.Body is { } body)
            {
                kinds.Add("content-type");
                kinds.Add("body:not-object");
                if (body.Schema["required"] is JsonArray { Count: > 0 })
                {
                    kinds.Add("body:missing-required");
                }

                kinds.AddRange((body.Schema["properties"] as JsonObject ?? []).Select(p => $"body:property:{p.Key}"));
            }

            return kinds;
        }

        private static bool CanBreak(JsonObject schema) =>
            schema["pattern"] is not null || schema["format"] is not null || schema["maxLength"] is not null || schema["maximum"] is not null || Types(schema).Contains("integer");

        private List<JsonNode> Pool(string name)
        {
            if (!pools.TryGetValue(name, out var pool))
            {
                pools[name] = pool = [];
            }

            return pool;
        }

        private static string[] Types(JsonObject schema) => schema["type"] switch
        {
            JsonArray a => [.. a.Select(t => t!.GetValue<string>())],
            JsonValue v => [v.GetValue<string>()],
            _ => schema["properties"] is not null ? ["object"] : ["string"],
        };

        public JsonNode? Valid(JsonObject schema, string? name, int depth)
        {
            schema = api.Resolve(schema);
            var types = Types(schema);
            if (types.Contains("null") && (types.Length == 1 || random.Next(8) == 0))
            {
                return null;
            }

            if (schema["enum"] is JsonArray choices)
            {
                return choices[random.Next(choices.Count)]?.DeepClone();
            }

            var type = types.Where(t => t != "null").ToArray()[random.Next(types.Count(t => t != "null"))];
            var pooled = name is not null && type is "string" or "integer";
            if (pooled)
            {
                var pool = Pool(name!);
                // Few distinct values per name, and those seen in answers, so calls meet each other's data.
                if (pool.Count >= PoolSize || (pool.Count > 0 && random.Next(3) > 0))
                {
                    // Half the time the newest value (the id an earlier answer just returned), which is the likeliest to still exist.
                    return pool[random.Next(2) == 0 ? pool.Count - 1 : random.Next(pool.Count)].DeepClone();
                }
            }

            JsonNode? value = type switch
            {
                "string" => JsonValue.Create(ValidString(schema)),
                "integer" => JsonValue.Create(random.NextInt64(Bound(schema, "minimum", 0), Bound(schema, "maximum", 1000) + 1)),
                "number" => JsonValue.Create(random.NextDouble() * 100),
                "boolean" => JsonValue.Create(random.Next(2) == 0),
                "array" => new JsonArray([.. Enumerable.Range(0, random.Next(0, (int)Math.Min(Bound(schema, "maxItems", 5), 5) + 1))
                    .Select(_ => Valid(schema["items"]?.AsObject() ?? [], null, depth + 1))]),
                _ => ValidObject(schema, depth),
            };
            if (pooled && schema["format"]?.GetValue<string>() != "uuid")
            {
                Pool(name!).Add(value!.DeepClone());
            }

            return value;
        }

        private JsonObject ValidObject(JsonObject schema, int depth)
        {
            var required = (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            var result = new JsonObject();
            foreach (var (property, propertySchema) in schema["properties"] as JsonObject ?? [])
            {
                if (depth < 4 && (required.Contains(property) || random.Next(2) == 0))
                {
                    result[property] = Valid(propertySchema!.AsObject(), parameterNames.Contains(property) ? property : null, depth + 1);
                }
            }

            return result;
        }

        private string ValidString(JsonObject schema)
        {
            if (schema["format"]?.GetValue<string>() == "uuid")
            {
                return Guid.NewGuid().ToString();
            }

            if (schema["format"]?.GetValue<string>() == "date-time")
            {
                return DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            }

            if (schema["format"]?.GetValue<string>() == "uri")
            {
                // A URL on loopback's discard port: whatever is delivered to it goes nowhere beyond this machine.
                return $"http://127.0.0.1:9/{new string([.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => (char)random.Next('a', 'z' + 1))])}";
            }

            var min = (int)Bound(schema, "minLength", 0);
            var max = (int)Math.Min(Bound(schema, "maxLength", 40), Math.Max(min, 24));
            var text = schema["pattern"] is { } pattern
                ? PatternText.Generate(pattern.GetValue<string>(), random, min, max)
                : new string([.. Enumerable.Range(0, random.Next(Math.Max(min, 1), max + 1)).Select(_ => (char)random.Next('a', 'z' + 1))]);
            return text;
        }

        /// <summary>A value that breaks the schema, checked with the schema's validator.</summary>
        private JsonNode? Invalid(JsonObject schema, string name)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var candidate = InvalidCandidate(schema);
                var instance = candidate is null ? JsonSerializer.SerializeToElement<object?>(null) : JsonSerializer.SerializeToElement(candidate);
                if (!api.Validator(schema).Evaluate(instance, new EvaluationOptions { RequireFormatValidation = true }).IsValid)
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"Cannot make a value that breaks the schema of {name}.");
        }

        /// <summary>A value meant to break the schema: over its maximum length, outside its pattern or format, past its maximum, the wrong type.</summary>
        private JsonNode? InvalidCandidate(JsonObject schema)
        {
            schema = api.Resolve(schema);
            var options = new List<Func<JsonNode?>>();
            if (schema["maxLength"] is { } maxLength)
            {
                options.Add(() => JsonValue.Create(new string('a', maxLength.GetValue<int>() + 1)));
            }

            if (schema["pattern"] is not null || schema["format"]?.GetValue<string>() == "uuid")
            {
                options.Add(() => JsonValue.Create(Pick(["has space", "semi;colon", "d\u00e9j\u00e0", "not-a-uuid", "!"])));
            }

            if (schema["maximum"] is { } maximum)
            {
                options.Add(() => JsonValue.Create(maximum.GetValue<long>() + 1 + random.Next(1000)));
            }

            if (schema["minimum"] is { } minimum)
            {
                options.Add(() => JsonValue.Create(minimum.GetValue<long>() - 1 - random.Next(1000)));
            }

            if (Types(schema).Contains("integer"))
            {
                options.Add(() => JsonValue.Create(Pick(["ten", "1.5", "1e3x", ""])));
            }

            options.Add(() => WrongType(schema));
            return options[random.Next(options.Count)]();
        }

        private JsonNode? WrongType(JsonObject schema)
        {
            var types = Types(schema);
            var candidates = new List<JsonNode?>();
            if (!types.Contains("string"))
            {
                candidates.Add(JsonValue.Create("text"));
            }

            if (!types.Contains("integer") && !types.Contains("number"))
            {
                candidates.Add(JsonValue.Create(12345));
            }

            if (!types.Contains("array"))
            {
                candidates.Add(new JsonArray(JsonValue.Create(1)));
            }

            if (!types.Contains("object"))
            {
                candidates.Add(new JsonObject { ["nested"] = true });
            }

            if (!types.Contains("boolean"))
            {
                candidates.Add(JsonValue.Create(true));
            }

            return candidates[random.Next(candidates.Count)];
        }

        private JsonObject WithoutRequired(JsonObject value, JsonObject schema)
        {
            var required = (api.Resolve(schema)["required"] as JsonArray)!.Select(r => r!.GetValue<string>()).ToArray();
            value.Remove(required[random.Next(required.Length)]);
            return value;
        }

        private JsonObject WithInvalidProperty(JsonObject schema, string property)
        {
            var value = ValidObject(api.Resolve(schema), 0);
            var propertySchema = api.Resolve(api.Resolve(schema)["properties"]![property]!);
            value[property] = propertySchema["items"] is JsonObject items && random.Next(2) == 0
                ? (propertySchema["maxItems"] is { } maxItems && random.Next(2) == 0
                    ? new JsonArray([.. Enumerable.Range(0, maxItems.GetValue<int>() + 1).Select(_ => Valid(items, null, 1))])
                    : new JsonArray(Invalid(items, property)))
                : Invalid(propertySchema, property);
            return value;
        }

        private string Pick(string[] values) => values[random.Next(values.Length)];

        private static long Bound(JsonObject schema, string keyword, long fallback) => schema[keyword] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<long>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => long.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture),
            _ => fallback,
        };
    }

    /// <summary>Strings matching the simple patterns a document states: anchors, literals, character classes with ranges, and {m}, {m,n} quantifiers.</summary>
    public static class PatternText
    {
        public static string Generate(string pattern, Random random, int minLength, int maxLength)
        {
            var atoms = Parse(pattern);
            var regex = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            for (var attempt = 0; attempt < 20; attempt++)
            {
                var text = new StringBuilder();
                foreach (var (chars, min, max) in atoms)
                {
                    var count = min == max ? min : random.Next(min, Math.Min(max, Math.Max(min, maxLength)) + 1);
                    for (var i = 0; i < count; i++)
                    {
                        text.Append(chars[random.Next(chars.Length)]);
                    }
                }

                if (text.Length >= minLength && text.Length <= Math.Max(maxLength, minLength) && regex.IsMatch(text.ToString()))
                {
                    return text.ToString();
                }
            }

            throw new InvalidOperationException($"Cannot generate a value for the pattern {pattern}.");
        }

        private static List<(char[] Chars, int Min, int Max)> Parse(string pattern)
        {
            var atoms = new List<(char[] Chars, int Min, int Max)>();
            var i = pattern.StartsWith('^') ? 1 : 0;
            var end = pattern.EndsWith('$') ? pattern.Length - 1 : pattern.Length;
            while (i < end)
            {
                char[] chars;
                if (pattern[i] == '[')
                {
                    var close = pattern.IndexOf(']', i + 1);
                    chars = Class(pattern[(i + 1)..close]);
                    i = close + 1;
                }
                else
                {
                    chars = [pattern[i] == '\\' ? pattern[++i] : pattern[i]];
                    i++;
                }

                var (min, max) = (1, 1);
                if (i < end && pattern[i] == '{')
                {
                    var close = pattern.IndexOf('}', i);
                    var bounds = pattern[(i + 1)..close].Split(',');
                    min = int.Parse(bounds[0], CultureInfo.InvariantCulture);
                    max = bounds.Length == 1 ? min : int.Parse(bounds[1], CultureInfo.InvariantCulture);
                    i = close + 1;
                }

                atoms.Add((chars, min, max));
            }

            return atoms;
        }

        private static char[] Class(string body)
        {
            var chars = new List<char>();
            for (var i = 0; i < body.Length; i++)
            {
                if (i + 2 < body.Length && body[i + 1] == '-')
                {
                    for (var c = body[i]; c <= body[i + 2]; c++)
                    {
                        chars.Add(c);
                    }

                    i += 2;
                }
                else
                {
                    chars.Add(body[i]);
                }
            }

            return [.. chars];
        }
    }
}
