using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.ServiceDefaults;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Hosting;

/// <summary>An extra listener (metrics, gRPC) is added next to the process's own URLs, never instead of them.</summary>
public class AdditionalListenersTests
{
    [Fact]
    public async Task The_extra_listener_serves_http2_beside_the_configured_urls_and_requests_know_which_one_they_came_through()
    {
        var main = FreeTcpPort.Next();
        var extra = FreeTcpPort.Next();
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["urls"] = $"http://127.0.0.1:{main}";
        builder.Configuration["Test:Listen"] = $"http://127.0.0.1:{extra}";
        var settings = new StartupSettings(builder.Configuration);
        var port = builder.AddListener(settings, "Test", "Listen", "Extra", HttpProtocols.Http2);
        settings.ThrowIfInvalid();
        Assert.Equal(extra, port);

        await using var app = builder.Build();
        app.Run(context => context.Response.WriteAsync(context.ArrivedOn(extra) ? "extra" : "main"));
        await app.StartAsync();

        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        Assert.Equal(new[] { $"http://127.0.0.1:{extra}", $"http://127.0.0.1:{main}" }.Order(StringComparer.Ordinal), addresses.Order(StringComparer.Ordinal));

        using var http1 = new HttpClient();
        Assert.Equal("main", await http1.GetStringAsync(new Uri($"http://127.0.0.1:{main}/")));

        // HTTP/2 without TLS (prior knowledge), as Envoy speaks gRPC to a cluster-internal service.
        using var http2 = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await http2.GetAsync(new Uri($"http://127.0.0.1:{extra}/"));
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("extra", await response.Content.ReadAsStringAsync());

        // A Host header naming the other port does not make a request arrive there.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{main}/"));
        spoofed.Headers.Host = $"127.0.0.1:{extra}";
        using var spoofedResponse = await http1.SendAsync(spoofed);
        Assert.Equal("main", await spoofedResponse.Content.ReadAsStringAsync());
        await app.StopAsync();
    }

    [Fact]
    public void Unset_adds_nothing_and_leaves_kestrel_endpoints_alone()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["urls"] = "http://127.0.0.1:5099";
        var settings = new StartupSettings(builder.Configuration);
        Assert.Null(builder.AddListener(settings, "Test", "Listen", "Extra", HttpProtocols.Http2));
        settings.ThrowIfInvalid();
        Assert.Empty(builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren());
    }

    [Theory]
    [InlineData("https://0.0.0.0:9464")]
    [InlineData("http://0.0.0.0")]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://0.0.0.0:70000")]
    [InlineData("http://0.0.0.0:9464/metrics")]
    [InlineData("9464")]
    public void A_url_without_an_explicit_http_port_stops_start_up_naming_the_setting(string url)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Test:Listen"] = url;
        var settings = new StartupSettings(builder.Configuration);
        Assert.Null(builder.AddListener(settings, "Test", "Listen", "Extra", HttpProtocols.Http2));
        var error = Assert.Throws<InvalidOperationException>(settings.ThrowIfInvalid);
        Assert.Contains("Test:Listen (environment variable Test__Listen)", error.Message, StringComparison.Ordinal);
    }
}
