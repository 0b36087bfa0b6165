using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Model;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Events;
using ZeroPath.Gateway.Proxy;
using ZeroPath.Gateway.Signing;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Authentication;

public static class TokenAuthenticationExtensions
{
    private static readonly string[] SetWithSignature = [.. TokenHeaders.Identity, TokenHeaders.IdentitySignature];

    /// <summary>
    /// The authenticator and what it decides with locally: the secret format keys (<c>ZeroPath:SecretFormat</c>), the
    /// validation cache and refusals (<c>ZeroPath:Gateway:Cache</c>), and the push feed that keeps them exact. Missing or
    /// malformed settings stop the gateway at start-up.
    /// </summary>
    public static WebApplicationBuilder AddTokenAuthentication(this WebApplicationBuilder builder)
    {
        var settings = new StartupSettings(builder.Configuration);
        var format = settings.Bind<SecretFormatOptions>(SecretFormatOptions.SectionName);
        foreach (var (key, problem) in format.Problems(issuing: false))
        {
            settings.Fail(SecretFormatOptions.SectionName, key, problem);
        }

        var cacheOptions = settings.Bind<EdgeCacheOptions>(EdgeCacheOptions.SectionName);
        cacheOptions.Validate(settings);
        var signing = settings.Bind<IdentitySigningOptions>(IdentitySigningOptions.SectionName);
        signing.Validate(settings);
        var lastUse = settings.Bind<Usage.LastUseOptions>(Usage.LastUseOptions.SectionName);
        lastUse.Validate(settings);
        var trustedProxies = settings.Bind<ClientAddressOptions>(ClientAddressOptions.SectionName).Parse(settings);
        settings.ThrowIfInvalid();

        var addresses = new ClientAddresses(trustedProxies);
        builder.Services.AddSingleton(addresses);
        builder.Services.Configure<ForwardedHeadersOptions>(addresses.Configure);
        builder.Services.AddSingleton(format.ToKeyRing(issuing: false));
        builder.Services.AddSingleton(cacheOptions);
        builder.Services.AddSingleton(signing);
        builder.Services.AddSingleton<IdentitySigner>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ValidationCache>();
        builder.Services.AddSingleton<RefusalCache>();
        builder.Services.AddSingleton<LegacyLookupBudget>();
        builder.Services.AddSingleton(lastUse);
        builder.Services.AddSingleton<Usage.TokenUseRecorder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Usage.TokenUseRecorder>());
        builder.Services.AddSingleton(sp => new TokenRateLimiter(sp.GetRequiredService<TimeProvider>(), cacheOptions.MaxRateLimitedTokens));
        builder.Services.AddSingleton<TokenAuthenticator>();
        builder.Services.AddSingleton<InFlightRequests>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InFlightRequests>());
        builder.Services.AddSingleton<TokenEventFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TokenEventFeed>());
        builder.Services.AddHealthChecks().AddCheck<PushChannelHealthCheck>("push-channel", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// With <c>ZeroPath:Gateway:TrustedProxies</c> set, the client address of a request that came through them is taken
    /// from <c>X-Forwarded-For</c> (see <see cref="ClientAddresses"/>); without, nothing runs and the header is ignored.
    /// First in the pipeline, so every route sees the same address.
    /// </summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ClientAddresses>().HasTrustedProxies)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>
    /// <c>/auth/check</c>, any method: 200 with the identity headers or the same 401 the proxy gives (a locked token is
    /// 401 <c>too_many_failures</c> here, 429 on proxied routes). For nginx <c>auth_request</c>, Envoy <c>ext_authz</c>
    /// (HTTP) and Traefik <c>ForwardAuth</c>. Also under <c>/auth/check/{**path}</c>: Envoy's <c>path_prefix</c> appends the
    /// original path. Every answer names, in <see cref="ForwardAuth.HeadersToRemoveHeader"/>, what the proxy must strip.
    /// </summary>
    public static IEndpointConventionBuilder MapAuthCheck(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/auth/check");
        group.Map("/", CheckAsync);
        group.Map("/{**path}", CheckAsync);
        return group;
    }

    private static async Task CheckAsync(HttpContext context, TokenAuthenticator authenticator, IdentitySigner signer, TimeProvider time)
    {
        var decision = await authenticator.AuthenticateAsync(context.Request);
        if (!decision.Succeeded)
        {
            context.Response.Headers[ForwardAuth.HeadersToRemoveHeader] = ForwardAuth.HeadersToRemove(context.Request.Headers, []);
            await AuthResponses.WriteFailureAsync(context, decision, AuthRoute.ForwardAuth, time);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        AuthResponses.SetIdentity(context.Response.Headers, decision);
        signer.SignForwardAuth(context.Request, context.Response.Headers, decision.Identity!);
        context.Response.Headers[ForwardAuth.HeadersToRemoveHeader] = ForwardAuth.HeadersToRemove(
            context.Request.Headers, signer.Enabled ? SetWithSignature : TokenHeaders.Identity);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>Every proxied request is authenticated first; only an authenticated one reaches the upstream.</summary>
    public static IReverseProxyApplicationBuilder UseTokenAuthentication(this IReverseProxyApplicationBuilder proxy)
    {
        var services = proxy.ApplicationServices;
        var authenticator = services.GetRequiredService<TokenAuthenticator>();
        var signer = services.GetRequiredService<IdentitySigner>();
        var inFlight = services.GetRequiredService<InFlightRequests>();
        var refusals = services.GetRequiredService<RefusalCache>();
        var time = services.GetRequiredService<TimeProvider>();
        proxy.Use(async (context, next) =>
        {
            var decision = await authenticator.AuthenticateAsync(context.Request);
            if (!decision.Succeeded)
            {
                await AuthResponses.WriteFailureAsync(context, decision, AuthRoute.Proxy, time);
                return;
            }

            var identity = decision.Identity!;
            AuthResponses.RemoveReserved(context.Request.Headers);
            AuthResponses.SetIdentity(context.Request.Headers, decision);
            signer.SignProxied(context.Request, identity);

            // Tracked until it has finished, so a WebSocket or a long response ends with its token.
            using var tracked = inFlight.Track(context, identity);
            if (refusals.IsGone(Guid.ParseExact(identity.TokenId, "D")))
            {
                // Ended between the decision and the tracking: the push that ended it found nothing to abort.
                await AuthResponses.WriteFailureAsync(context, AuthDecision.Fail(AuthFailure.InvalidToken), AuthRoute.Proxy, time);
                return;
            }

            await next();
        });
        return proxy;
    }
}
