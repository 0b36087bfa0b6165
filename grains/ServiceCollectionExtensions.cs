using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using ZeroPath.Grains.Revocations;
using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Security;
using ZeroPath.Grains.Tokens;
using ZeroPath.Grains.Webhooks;
using ZeroPath.Tokens;

namespace ZeroPath.Grains;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// The services the grains need: the bounded Argon2 hasher (options from <c>ZeroPath:Argon2</c>), a clock, and the
    /// per-silo copy of revocation marks with the grain service that delivers them.
    /// </summary>
    public static IServiceCollection AddZeroPathGrains(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TokenHashingOptions>()
            .Bind(configuration.GetSection(TokenHashingOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenHashingOptions>, TokenHashingOptionsValidator>();
        services.AddOptions<SecretFailureLimitOptions>()
            .Bind(configuration.GetSection(SecretFailureLimitOptions.SectionName))
            .Validate(o => o.Validate() is null, "Invalid ZeroPath:FailureLimit settings.")
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<TokenMetrics>();
        services.TryAddSingleton<TokenSecretHasher>();
        // Silos issue secrets, so the format needs a current key; missing keys stop the silo at start-up.
        services.TryAddSingleton(_ =>
        {
            var format = configuration.GetSection(SecretFormatOptions.SectionName).Get<SecretFormatOptions>() ?? new SecretFormatOptions();
            var problems = format.Problems(issuing: true).Select(p => $"{SecretFormatOptions.SectionName}:{p.Key} {p.Problem}").ToList();
            return problems.Count == 0
                ? format.ToKeyRing(issuing: true)
                : throw InvalidConfiguration(problems);
        });
        // Least privilege on the cluster plane: calls to the cluster's grains need a proof made with the call key.
        services.AddClusterCallProof(configuration);
        services.AddSingleton<IIncomingGrainCallFilter, ClusterCallGate>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RevocationMarksCache>();
        AddWebhooks(services, configuration);
        services.AddGrainService<RevocationMarksService>();
        services.TryAddSingleton<IRevocationMarksServiceClient, RevocationMarksServiceClient>();
        return services;
    }

    /// <summary>
    /// Signs this process's calls to the cluster's grains with the call key (<c>ZeroPath:Cluster:CallKey</c>). Silos get
    /// it with <see cref="AddZeroPathGrains"/>; a trusted tool or test client may add it; an edge gateway never has it.
    /// </summary>
    public static IServiceCollection AddClusterCallProof(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(ClusterCallOptions.SectionName).Get<ClusterCallOptions>() ?? new ClusterCallOptions();
        var problems = options.Problems().Select(p => $"{ClusterCallOptions.SectionName}:{p.Key} {p.Problem}").ToList();
        if (problems.Count > 0)
        {
            throw InvalidConfiguration(problems);
        }

        services.TryAddSingleton(options.ToProof());
        services.AddSingleton<IOutgoingGrainCallFilter, ClusterCallStamp>();
        return services;
    }

    /// <summary>Webhook settings (<c>ZeroPath:Webhooks</c>), the signer and the HTTP client deliveries go out with: no redirects, bounded time.</summary>
    private static void AddWebhooks(IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(WebhookOptions.SectionName).Get<WebhookOptions>() ?? new WebhookOptions();
        var problems = options.Problems().Select(p => $"{WebhookOptions.SectionName}:{p.Key} {p.Problem}").ToList();
        if (problems.Count > 0)
        {
            throw InvalidConfiguration(problems);
        }

        services.TryAddSingleton(options);
        services.TryAddSingleton<WebhookSigner>();
        services.AddHttpClient(WebhookGrain.HttpClientName, client =>
            {
                client.Timeout = options.Timeout;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("ZeroPath-Webhooks/1");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new System.Net.Http.SocketsHttpHandler
            {
                // A redirect would send a signed event somewhere the URL check never saw.
                AllowAutoRedirect = false,
                ConnectTimeout = options.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                UseCookies = false,
            });
    }

    private static InvalidOperationException InvalidConfiguration(List<string> problems) =>
        new("Invalid configuration:" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", problems));

    private sealed class TokenHashingOptionsValidator : IValidateOptions<TokenHashingOptions>
    {
        public ValidateOptionsResult Validate(string? name, TokenHashingOptions options) =>
            options.Validate() is { } error
                ? ValidateOptionsResult.Fail(error)
                : ValidateOptionsResult.Success;
    }
}
