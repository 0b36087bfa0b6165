using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Envoy.Config.Core.V3;
using Envoy.Service.Auth.V3;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Tests.ForwardAuth;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Addresses;

/// <summary>A gateway (in process, each request's connection address set by the test) trusting proxies in 10.9.0.0/16 and 2001:db8:9::/48.</summary>
public class AllowedCidrsFixture : EdgeFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings =>
    [
        new("ZeroPath:Gateway:TrustedProxies:0", "10.9.0.0/16"),
        new("ZeroPath:Gateway:TrustedProxies:1", "2001:db8:9::/48"),
    ];

    public async Task<IssuedToken> IssueLimitedAsync(params string[] cidrs)
    {
        var org = Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        TokenRules.TryNormalizeCidrs(cidrs, out var canonical, out _);
        var result = await org.CreateToken(new CreateTokenCommand("alice", null, 30, AllowedCidrs: canonical));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return result.Token!;
    }

    /// <summary>Sends a request as if its connection came from <paramref name="from"/> (null: no address known).</summary>
    public async Task<(int Status, string? Code)> SendAsync(string path, IssuedToken token, string? from, string? forwardedFor = null)
    {
        var context = await Gateway.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = path;
            c.Request.Headers[TokenHeaders.TokenId] = token.TokenId.ToString();
            c.Request.Headers[TokenHeaders.TokenSecret] = token.Secret;
            if (forwardedFor is not null)
            {
                c.Request.Headers["X-Forwarded-For"] = forwardedFor;
            }

            c.Connection.RemoteIpAddress = from is null ? null : IPAddress.Parse(from);
        });
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        string? code = null;
        if (context.Response.ContentType?.StartsWith("application/problem+json", StringComparison.Ordinal) == true)
        {
            code = JsonDocument.Parse(body).RootElement.GetProperty("code").GetString();
        }

        return (context.Response.StatusCode, code);
    }
}

public class AllowedCidrsTests(AllowedCidrsFixture fixture) : IClassFixture<AllowedCidrsFixture>
{
    private const string Proxied = "/api/v1/x";

    [Theory]
    [InlineData("203.0.113.9")]
    [InlineData("::ffff:203.0.113.9")]
    [InlineData("2001:db8::5")]
    [InlineData("198.51.100.7")]
    public async Task Inside_a_range_is_200_for_ipv4_and_ipv6(string from)
    {
        var token = await fixture.IssueLimitedAsync("203.0.113.0/24", "2001:db8::/64", "198.51.100.7");

        Assert.Equal((200, null), await fixture.SendAsync(Proxied, token, from));
        Assert.Equal((200, null), await fixture.SendAsync("/auth/check", token, from));
    }

    [Theory]
    [InlineData("203.0.114.9")]
    [InlineData("2001:db8:0:1::5")]
    [InlineData("198.51.100.8")]
    [InlineData(null)]
    public async Task Outside_every_range_is_403_address_not_allowed(string? from)
    {
        var token = await fixture.IssueLimitedAsync("203.0.113.0/24", "2001:db8::/64", "198.51.100.7");

        Assert.Equal((403, "address_not_allowed"), await fixture.SendAsync(Proxied, token, from));
        Assert.Equal((403, "address_not_allowed"), await fixture.SendAsync("/auth/check", token, from));
    }

    [Fact]
    public async Task A_token_without_ranges_is_accepted_from_anywhere()
    {
        var (_, token) = await fixture.IssueAsync();

        Assert.Equal((200, null), await fixture.SendAsync(Proxied, token, "192.0.2.1"));
        Assert.Equal((200, null), await fixture.SendAsync(Proxied, token, "2001:db8:ffff::1"));
        Assert.Equal((200, null), await fixture.SendAsync(Proxied, token, null));
    }

    [Fact]
    public async Task A_cached_validation_still_enforces_the_ranges()
    {
        var token = await fixture.IssueLimitedAsync("203.0.113.0/24");
        Assert.Equal((200, null), await fixture.SendAsync(Proxied, token, "203.0.113.9"));
        var cache = fixture.Gateway.Services.GetRequiredService<ValidationCache>();
        Assert.Equal(CacheLookup.Hit, cache.Lookup(token.TokenId, token.Secret, out _));

        Assert.Equal((403, "address_not_allowed"), await fixture.SendAsync(Proxied, token, "192.0.2.1"));
        Assert.Equal((403, "address_not_allowed"), await fixture.SendAsync("/auth/check", token, "192.0.2.1"));

        // Still cached, still good from inside: the refusal is about the request, not the token.
        Assert.Equal(CacheLookup.Hit, cache.Lookup(token.TokenId, token.Secret, out _));
        Assert.Equal((200, null), await fixture.SendAsync(Proxied, token, "203.0.113.10"));
    }

    [Theory]
    [InlineData("10.9.0.1", "203.0.113.9", 200)]
    [InlineData("2001:db8:9::1", "203.0.113.9", 200)]
    [InlineData("10.9.0.1", "192.0.2.1", 403)]
    // A client cannot slip an address in front of the one the trusted proxy appended.
    [InlineData("10.9.0.1", "203.0.113.9, 192.0.2.1", 403)]
    // Through two trusted proxies: the first address that is not one of them is the client.
    [InlineData("10.9.0.1", "203.0.113.9, 10.9.0.2", 200)]
    // Not from a trusted proxy: X-Forwarded-For is the client's own claim, ignored.
    [InlineData("192.0.2.1", "203.0.113.9", 403)]
    [InlineData("203.0.113.9", "192.0.2.1", 200)]
    public async Task X_forwarded_for_is_the_client_address_only_from_a_trusted_proxy(string connection, string forwardedFor, int status)
    {
        var token = await fixture.IssueLimitedAsync("203.0.113.0/24");

        Assert.Equal(status, (await fixture.SendAsync(Proxied, token, connection, forwardedFor)).Status);
        Assert.Equal(status, (await fixture.SendAsync("/auth/check", token, connection, forwardedFor)).Status);
    }
}

/// <summary>The gRPC ext_authz gateway on real Kestrel, trusting 127.0.0.1 (as if Envoy ran there) and nothing else.</summary>
public class ExtAuthzAddressFixture : ExtAuthzGrpcFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings =>
        [.. base.GatewaySettings, new("ZeroPath:Gateway:TrustedProxies:0", "127.0.0.1")];

    /// <summary>A gRPC client whose connections come from 127.0.0.2: on loopback, but not a trusted proxy.</summary>
    public Envoy.Service.Auth.V3.Authorization.AuthorizationClient UntrustedClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var channel = GrpcChannel.ForAddress(
            $"http://127.0.0.1:{GrpcPort.ToString(CultureInfo.InvariantCulture)}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return new Envoy.Service.Auth.V3.Authorization.AuthorizationClient(channel);
    }

    public static CheckRequest From(IssuedToken token, string? source)
    {
        var request = Request(token.TokenId, token.Secret);
        if (source is not null)
        {
            request.Attributes.Source = new AttributeContext.Types.Peer
            {
                Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = source } },
            };
        }

        return request;
    }
}

public class ExtAuthzAllowedCidrsTests(ExtAuthzAddressFixture fixture) : IClassFixture<ExtAuthzAddressFixture>
{
    private const int PermissionDenied = 7;

    private async Task<IssuedToken> IssueLimitedAsync(params string[] cidrs)
    {
        var org = fixture.Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        TokenRules.TryNormalizeCidrs(cidrs, out var canonical, out _);
        var result = await org.CreateToken(new CreateTokenCommand("alice", null, 30, AllowedCidrs: canonical));
        return result.Token!;
    }

    [Fact]
    public async Task From_a_trusted_envoy_the_reported_source_address_decides()
    {
        var token = await IssueLimitedAsync("203.0.113.0/24", "2001:db8::/64");

        Assert.Equal(0, (await fixture.Client.CheckAsync(ExtAuthzAddressFixture.From(token, "203.0.113.9"))).Status.Code);
        Assert.Equal(0, (await fixture.Client.CheckAsync(ExtAuthzAddressFixture.From(token, "2001:db8::9"))).Status.Code);

        var refused = await fixture.Client.CheckAsync(ExtAuthzAddressFixture.From(token, "192.0.2.1"));
        Assert.Equal(PermissionDenied, refused.Status.Code);
        Assert.Equal("address_not_allowed", refused.Status.Message);
        Assert.Equal(Envoy.Type.V3.StatusCode.Forbidden, refused.DeniedResponse.Status.Code);
        Assert.Equal("address_not_allowed", JsonDocument.Parse(refused.DeniedResponse.Body).RootElement.GetProperty("code").GetString());

        // No source reported: Envoy's own address (127.0.0.1) is the client, outside the ranges.
        Assert.Equal(PermissionDenied, (await fixture.Client.CheckAsync(ExtAuthzAddressFixture.From(token, null))).Status.Code);
    }

    [Fact]
    public async Task From_an_untrusted_caller_the_reported_source_is_ignored()
    {
        var outside = await IssueLimitedAsync("203.0.113.0/24");
        var caller = await IssueLimitedAsync("127.0.0.2");
        var untrusted = fixture.UntrustedClient();

        Assert.Equal(PermissionDenied, (await untrusted.CheckAsync(ExtAuthzAddressFixture.From(outside, "203.0.113.9"))).Status.Code);
        Assert.Equal(0, (await untrusted.CheckAsync(ExtAuthzAddressFixture.From(caller, "203.0.113.9"))).Status.Code);
    }
}
