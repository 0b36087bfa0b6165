using System.Buffers;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

/// <summary>
/// Reads a JSON request body, turning every way it can be wrong into a 4xx problem instead of an exception: not JSON
/// or not UTF-8 (415), over 64 KiB however it is sent (413, the read stops there), unreadable (400 <c>bad_request</c>),
/// not valid JSON for the request, including a property given twice (400 <c>invalid_json</c>). Unknown properties are
/// ignored.
/// </summary>
internal static class JsonBody
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { AllowDuplicateProperties = false };

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!IsUtf8Json(request))
        {
            return (null, Problems.Result(
                StatusCodes.Status415UnsupportedMediaType, AdminProblems.UnsupportedMediaType, "Send the body as 'Content-Type: application/json' in UTF-8."));
        }

        var (body, problem) = await ReadBytesAsync(request, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(body!.WrittenSpan, Options);
            return value is null
                ? (null, Problems.BadRequest(AdminProblems.InvalidJson, "The body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException exception)
        {
            var where = string.IsNullOrEmpty(exception.Path) ? "" : $" at '{exception.Path}'";
            return (null, Problems.BadRequest(AdminProblems.InvalidJson, $"The body is not valid JSON for this request{where}."));
        }
    }

    /// <summary>The raw body, at most 64 KiB however it is sent (413 past that; the read stops there), or 400 <c>bad_request</c> when unreadable.</summary>
    public static async Task<(ArrayBufferWriter<byte>? Body, IResult? Problem)> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(body.GetMemory(4096), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                body.Advance(read);
                if (body.WrittenCount > AdminApiOptions.MaxRequestBodyBytes)
                {
                    return (null, AdminProblems.BodyTooLarge());
                }
            }
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, AdminProblems.BodyTooLarge());
        }
        catch (BadHttpRequestException)
        {
            return (null, Problems.BadRequest(AdminProblems.BadRequestCode, "The request body could not be read."));
        }

        return (body, null);
    }

    private static bool IsUtf8Json(HttpRequest request)
    {
        if (!request.HasJsonContentType() || !MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
        {
            return false;
        }

        var charset = mediaType.Charset;
        return !charset.HasValue
            || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }
}
