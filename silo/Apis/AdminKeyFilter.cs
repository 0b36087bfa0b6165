using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

/// <summary>Requires <c>Authorization: Bearer &lt;admin key&gt;</c> on every admin route, compared in constant time.</summary>
internal sealed class AdminKeyFilter(IOptions<AdminApiOptions> options) : IEndpointFilter
{
    private readonly byte[] expectedDigest = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Key));

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (IsAuthorized(http.Request.Headers.Authorization.ToString()))
        {
            return next(context);
        }

        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"zeropath-admin\"";
        return ValueTask.FromResult<object?>(Problems.Result(
            StatusCodes.Status401Unauthorized, "unauthorized", "Send the admin key as 'Authorization: Bearer <key>'."));
    }

    private bool IsAuthorized(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Comparing fixed-size digests keeps the comparison's time independent of the key's length and content.
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), presented);
        return CryptographicOperations.FixedTimeEquals(presented, expectedDigest);
    }
}
