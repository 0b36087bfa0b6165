using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.Testing;

namespace ZeroPath.Gateway.Tests.ForwardAuth;

/// <summary>
/// A real nginx (Debian's nginx-light: /usr/sbin/nginx) running <c>deploy/forward-auth/nginx.conf</c>, the file
/// docs/forward-auth.md shows, with only its three example addresses replaced.
/// </summary>
public static class NginxServer
{
    public const string Binary = "/usr/sbin/nginx";
    public const string ConfigPath = "deploy/forward-auth/nginx.conf";

    public const string ExampleGateway = "server 127.0.0.1:8080;";
    public const string ExampleApi = "server 127.0.0.1:9090;";
    public const string ExampleListen = "listen 127.0.0.1:8000;";

    public static async Task<ExternalServer> StartAsync(Uri gateway, Uri api)
    {
        // Never skipped: ./test.sh installs nginx-light (scripts-lib.sh, ensure_servers_installed).
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"nginx is required by the forward-auth tests and was not found at {Binary}: install Debian's nginx-light " +
                "(apt-get install nginx-light; ./test.sh does this through ensure_servers_installed in scripts-lib.sh).");
        }

        var port = FreeTcpPort.Next();
        var config = Replace(await File.ReadAllTextAsync(Path.Combine(TestServers.RepositoryRoot(), ConfigPath)), ExampleGateway, $"server {gateway.Authority};");
        config = Replace(config, ExampleApi, $"server {api.Authority};");
        config = Replace(config, ExampleListen, $"listen 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};");
        var directory = Directory.CreateTempSubdirectory("zeropath-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(directory, "logs"));
        var configFile = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configFile, config);
        return await ExternalServer.StartAsync(
            Binary,
            (_, data) => ["-p", data, "-c", configFile, "-g", $"daemon off; pid {Path.Combine(data, "nginx.pid")}; error_log stderr warn;"],
            port,
            directory);
    }

    /// <summary>The gateway of <paramref name="factory"/> on a real loopback port (nginx cannot reach a TestServer).</summary>
    public static void ListenOnLoopback(WebApplicationFactory<Program> factory) => factory.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));

    public static Uri Address(WebApplicationFactory<Program> factory) =>
        new(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private static string Replace(string config, string example, string actual)
    {
        var count = config.Split(example).Length - 1;
        Assert.True(count == 1, $"{ConfigPath} should contain '{example}' exactly once (found {count}): the test replaces it with a test address.");
        return config.Replace(example, actual, StringComparison.Ordinal);
    }
}
