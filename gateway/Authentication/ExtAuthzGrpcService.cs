using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Service.Auth.V3;
using Envoy.Type.V3;
using Grpc.Core;
using ZeroPath.Gateway.Signing;
using HttpStatusCode = Envoy.Type.V3.StatusCode;
using RpcStatus = Google.Rpc.Status;

namespace ZeroPath.Gateway.Authentication;

/// <summary>
/// Envoy's <c>ext_authz</c> over gRPC (<c>envoy.service.auth.v3.Authorization/Check</c>), as Envoy, Istio
/// (<c>envoyExtAuthzGrpc</c>), Envoy Gateway and Contour call it: the same decision as <c>/auth/check</c>, told in
/// Envoy's messages. Every answer is a gRPC OK carrying the decision; a denial is never a gRPC error, so Envoy's
/// <c>failure_mode_allow</c> cannot let a refused request through.
/// <list type="bullet">
/// <item>Allowed: status 0, the identity headers (and signature) overwriting any the client sent, and
/// <c>headers_to_remove</c> naming the secret and every other reserved header the client sent (as
/// <see cref="ForwardAuth.HeadersToRemove"/>).</item>
/// <item>Denied: <c>denied_response</c> with the status, headers and problem+json body <c>/auth/check</c> writes (a
/// locked token 429, as proxied routes answer, since Envoy passes any status on); status 16 UNAUTHENTICATED for a 401
/// (the request carries no valid credentials: PERMISSION_DENIED would say an identity was established and refused),
/// 8 RESOURCE_EXHAUSTED for a 429, 14 UNAVAILABLE for a 503, 7 PERMISSION_DENIED for a 403 (a valid token from an address
/// outside its <c>allowedCidrs</c>; the client address is <c>attributes.source.address</c> when Envoy is a trusted proxy,
/// see <see cref="ClientAddresses"/>).</item>
/// </list>
/// </summary>
public sealed partial class ExtAuthzGrpcService(
    TokenAuthenticator authenticator, IdentitySigner signer, ClientAddresses addresses, TimeProvider time, ILogger<ExtAuthzGrpcService> logger)
    : Authorization.AuthorizationBase
{
    private const int Ok = 0;
    private const int PermissionDenied = 7;
    private const int ResourceExhausted = 8;
    private const int Unavailable = 14;
    private const int Unauthenticated = 16;

    private static readonly string[] SetWithSignature = [.. TokenHeaders.Identity, TokenHeaders.IdentitySignature];

    public override async Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        var http = request.Attributes?.Request?.Http;
        if (http is null)
        {
            // Not an HTTP request's attributes (Envoy's network filter, or a malformed call): nothing to authenticate.
            LogNoHttpAttributes(logger);
        }

        var headers = RequestHeaders(http);
        // The client as Envoy saw it, believed only from a trusted proxy (anyone reaching this port could claim any address).
        var client = addresses.ForExtAuthz(
            context.GetHttpContext().Connection.RemoteIpAddress, request.Attributes?.Source?.Address?.SocketAddress?.Address);
        var decision = await authenticator.AuthenticateAsync(headers, client, context.CancellationToken);
        return decision.Succeeded
            ? Allow(decision, http!, headers)
            : await DenyAsync(decision, context.GetHttpContext());
    }

    /// <summary>The request's headers as Envoy sent them: the lower-cased map, or the raw list (<c>encode_raw_headers</c>).</summary>
    private static HeaderDictionary RequestHeaders(AttributeContext.Types.HttpRequest? http)
    {
        var headers = new HeaderDictionary();
        if (http is null)
        {
            return headers;
        }

        foreach (var (name, value) in http.Headers)
        {
            headers[name] = value;
        }

        if (http.HeaderMap is { } raw)
        {
            foreach (var header in raw.Headers)
            {
                var value = header.RawValue.IsEmpty ? header.Value : header.RawValue.ToStringUtf8();
                headers[header.Key] = Microsoft.Extensions.Primitives.StringValues.Concat(headers[header.Key], value);
            }
        }

        return headers;
    }

    private CheckResponse Allow(in AuthDecision decision, AttributeContext.Types.HttpRequest http, HeaderDictionary request)
    {
        var set = new HeaderDictionary();
        AuthResponses.SetIdentity(set, decision);
        signer.SignForwardAuth(http.Method, IdentitySigner.PathOfTarget(http.Path), set, decision.Identity!);

        var ok = new OkHttpResponse();
        foreach (var (name, value) in set)
        {
            ok.Headers.Add(Overwrite(name, value.ToString()));
        }

        ok.HeadersToRemove.AddRange(ForwardAuth.HeaderNamesToRemove(request, signer.Enabled ? SetWithSignature : TokenHeaders.Identity));
        return new CheckResponse { Status = new RpcStatus { Code = Ok }, OkResponse = ok };
    }

    /// <summary>
    /// Renders the answer <c>/auth/check</c> would write (<see cref="AuthResponses.WriteFailureAsync"/>, through the
    /// host's problem details writer) into a scratch response, and hands Envoy its status, headers and body.
    /// </summary>
    private async Task<CheckResponse> DenyAsync(AuthDecision decision, HttpContext call)
    {
        var scratch = new DefaultHttpContext { RequestServices = call.RequestServices, TraceIdentifier = call.TraceIdentifier };
        using var body = new MemoryStream();
        scratch.Response.Body = body;
        await AuthResponses.WriteFailureAsync(scratch, decision, AuthRoute.ExtAuthzGrpc, time);

        var status = scratch.Response.StatusCode;
        var denied = new DeniedHttpResponse
        {
            Status = new HttpStatus { Code = (HttpStatusCode)status },
            Body = Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length),
        };
        foreach (var (name, value) in scratch.Response.Headers)
        {
            // Envoy frames its local reply itself.
            if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                denied.Headers.Add(Overwrite(name, value.ToString()));
            }
        }

        var code = status switch
        {
            StatusCodes.Status429TooManyRequests => ResourceExhausted,
            StatusCodes.Status503ServiceUnavailable => Unavailable,
            // The token was valid: an identity was established and refused here.
            StatusCodes.Status403Forbidden => PermissionDenied,
            _ => Unauthenticated,
        };
        return new CheckResponse
        {
            Status = new RpcStatus { Code = code, Message = AuthResponses.Code(decision.Failure) },
            DeniedResponse = denied,
        };
    }

    /// <summary>
    /// A header that replaces any the request already has: <c>append = false</c>, which every Envoy reads (and which wins
    /// over <c>append_action</c> where both exist), and <c>OVERWRITE_IF_EXISTS_OR_ADD</c> for readers of the newer field.
    /// </summary>
    private static HeaderValueOption Overwrite(string name, string value) => new()
    {
        Header = new HeaderValue { Key = name.ToLowerInvariant(), Value = value },
        Append = false,
        AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd,
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "ext_authz Check without HTTP request attributes; answered missing_credentials")]
    private static partial void LogNoHttpAttributes(ILogger logger);
}
