using Microsoft.AspNetCore.Mvc.Testing;
using ZeroPath.Gateway.Tests.ForwardAuth;

namespace ZeroPath.Gateway.Tests;

/// <summary>The edge with its gateway on a real Kestrel loopback port (for raw sockets, WebSockets, other processes).</summary>
public sealed class KestrelGatewayFixture : EdgeFixture
{
    public Uri Address { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Address = NginxServer.Address(Gateway);
    }

    protected override WebApplicationFactory<Program> Customize(GatewayFactory gateway)
    {
        NginxServer.ListenOnLoopback(gateway);
        return gateway;
    }
}
