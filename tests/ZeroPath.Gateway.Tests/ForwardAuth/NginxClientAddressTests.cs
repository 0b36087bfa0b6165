using System.Net;
using System.Net.Sockets;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.ForwardAuth;

/// <summary>
/// nginx with the documented configuration in front of a gateway that trusts nginx's address (127.0.0.1) as a proxy:
/// the client address a token's ranges are checked against is the one nginx saw, passed in <c>X-Forwarded-For</c>.
/// </summary>
public sealed class NginxTrustedProxyFixture : NginxFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings =>
        [.. base.GatewaySettings, new("ZeroPath:Gateway:TrustedProxies:0", "127.0.0.1")];

    public async Task<IssuedToken> IssueLimitedAsync(string cidr)
    {
        var org = Silo.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        TokenRules.TryNormalizeCidrs([cidr], out var canonical, out _);
        var result = await org.CreateToken(new CreateTokenCommand("alice", null, 30, AllowedCidrs: canonical));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return result.Token!;
    }

    /// <summary>A client whose connections to nginx come from <paramref name="source"/> (another loopback address than nginx's own).</summary>
    public HttpClient ClientFrom(string source) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = Client.BaseAddress };
}

public class NginxClientAddressTests(NginxTrustedProxyFixture fixture) : IClassFixture<NginxTrustedProxyFixture>
{
    private async Task<HttpStatusCode> SendAsync(IssuedToken token, string from, string? forwardedFor = null)
    {
        using var client = fixture.ClientFrom(from);
        using var request = GatewayFixture.Request(HttpMethod.Get, "/api/v1/scans", token.TokenId, token.Secret);
        if (forwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        using var response = await client.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            // nginx passes the gateway's 403 on; the code is in the gateway's answer, which nginx does not forward.
            Assert.DoesNotContain("upstream", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        return response.StatusCode;
    }

    [Fact]
    public async Task A_token_limited_to_the_clients_address_is_accepted_through_nginx()
    {
        var token = await fixture.IssueLimitedAsync("127.0.0.2/32");

        Assert.Equal(HttpStatusCode.OK, await SendAsync(token, "127.0.0.2"));
    }

    [Fact]
    public async Task The_address_checked_is_the_clients_not_nginxs()
    {
        // nginx itself connects from 127.0.0.1; the client is 127.0.0.3.
        var token = await fixture.IssueLimitedAsync("127.0.0.1/32");

        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(token, "127.0.0.3"));
    }

    [Fact]
    public async Task A_client_cannot_claim_an_allowed_address_in_its_own_x_forwarded_for()
    {
        // nginx appends the address it saw (127.0.0.4, not a trusted proxy), so the client's claim behind it is not believed.
        var token = await fixture.IssueLimitedAsync("198.51.100.0/24");

        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(token, "127.0.0.4", forwardedFor: "198.51.100.7"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(token, "127.0.0.4"));
    }
}
