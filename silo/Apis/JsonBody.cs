using System.Text.Json;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

/// <summary>Reads a JSON request body, turning every way it can be wrong into a 4xx problem instead of an exception.</summary>
internal static class JsonBody
{
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.Result(
                StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Send the body as 'Content-Type: application/json'."));
        }

        try
        {
            var value = await request.ReadFromJsonAsync<T>(cancellationToken);
            return value is null
                ? (null, Problems.BadRequest("invalid_json", "The body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException exception)
        {
            var where = string.IsNullOrEmpty(exception.Path) ? "" : $" at '{exception.Path}'";
            return (null, Problems.BadRequest("invalid_json", $"The body is not valid JSON for this request{where}."));
        }
    }
}
