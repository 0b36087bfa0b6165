using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Model;

namespace ZeroPath.Gateway.Authentication;

public static class TokenAuthenticationExtensions
{
    public static WebApplicationBuilder AddTokenAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TokenAuthenticator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Events.TokenEventFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Events.TokenEventFeed>());
        return builder;
    }

    /// <summary>
    /// <c>/auth/check</c>, any method: 200 with the identity headers or the same 401 the proxy gives. For nginx
    /// <c>auth_request</c>, Envoy <c>ext_authz</c> (HTTP) and Traefik <c>ForwardAuth</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapAuthCheck(this IEndpointRouteBuilder endpoints) =>
        endpoints.Map("/auth/check", async (HttpContext context, TokenAuthenticator authenticator) =>
        {
            var decision = await authenticator.AuthenticateAsync(context.Request);
            if (!decision.Succeeded)
            {
                await AuthResponses.WriteFailureAsync(context, decision.Failure);
                return;
            }

            context.Response.Headers.CacheControl = "no-store";
            AuthResponses.SetIdentity(context.Response.Headers, decision);
            context.Response.StatusCode = StatusCodes.Status200OK;
        });

    /// <summary>Every proxied request is authenticated first; only an authenticated one reaches the upstream.</summary>
    public static IReverseProxyApplicationBuilder UseTokenAuthentication(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(async (context, next) =>
        {
            var authenticator = context.RequestServices.GetRequiredService<TokenAuthenticator>();
            var decision = await authenticator.AuthenticateAsync(context.Request);
            if (!decision.Succeeded)
            {
                await AuthResponses.WriteFailureAsync(context, decision.Failure);
                return;
            }

            AuthResponses.RemoveUntrusted(context.Request.Headers);
            AuthResponses.SetIdentity(context.Request.Headers, decision);
            await next();
        });
        return proxy;
    }
}
