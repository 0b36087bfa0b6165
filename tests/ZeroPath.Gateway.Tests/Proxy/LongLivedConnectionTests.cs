using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Xunit.Abstractions;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Proxy;

/// <summary>A WebSocket or a streaming response through the gateway does not outlive its token.</summary>
public class LongLivedConnectionTests(KestrelGatewayFixture fixture, ITestOutputHelper output) : IClassFixture<KestrelGatewayFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_websocket_is_closed_when_its_token_is_revoked_and_another_tokens_stays_open()
    {
        var (_, token) = await fixture.IssueAsync();
        var (_, other) = await fixture.IssueAsync();
        using var socket = await ConnectAsync(token);
        using var bystander = await ConnectAsync(other);
        Assert.Equal("hello", await EchoAsync(socket, "hello"));

        var revoked = Stopwatch.StartNew();
        await fixture.Silo.Grains.RevokeTokenAsync(token.TokenId, "long-lived connection test");
        await AssertClosedAsync(socket, revoked);

        Assert.Equal("still here", await EchoAsync(bystander, "still here"));
    }

    [Fact]
    public async Task A_websocket_is_closed_when_its_owners_permissions_change()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var socket = await ConnectAsync(token);
        Assert.Equal("hello", await EchoAsync(socket, "hello"));

        var changed = Stopwatch.StartNew();
        await org.SetMember("alice", ["scans:read", "scans:write"]);

        await AssertClosedAsync(socket, changed);
    }

    [Fact]
    public async Task A_streaming_response_is_aborted_when_its_token_is_revoked()
    {
        var (_, token) = await fixture.IssueAsync();
        using var client = new HttpClient { BaseAddress = fixture.Address };
        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v1/events/stream", token.TokenId, token.Secret), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("tick 0", await reader.ReadLineAsync());

        var revoked = Stopwatch.StartNew();
        await fixture.Silo.Grains.RevokeTokenAsync(token.TokenId, "long-lived connection test");

        await AssertAbortedAsync(reader, revoked);
    }

    [Fact]
    public async Task A_streaming_response_is_aborted_at_its_tokens_expiry()
    {
        var (_, token) = await fixture.IssueAsync(days: 1);
        using var client = new HttpClient { BaseAddress = fixture.Address };
        using var response = await client.SendAsync(GatewayFixture.Request(HttpMethod.Get, "/api/v2/stream", token.TokenId, token.Secret), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("tick 0", await reader.ReadLineAsync());
        Assert.Equal("tick 1", await reader.ReadLineAsync());

        // No push says it (the silo's expiry reminders do not follow the fake clock): the gateway's sweep does.
        var expired = Stopwatch.StartNew();
        fixture.Silo.Clock.Advance(token.ExpiresAt - fixture.Silo.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        await AssertAbortedAsync(reader, expired, Bound + InFlightSweep);
    }

    private static TimeSpan InFlightSweep => Gateway.Proxy.InFlightRequests.SweepEvery;

    private async Task<ClientWebSocket> ConnectAsync(IssuedToken token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader(TokenHeaders.TokenId, token.TokenId.ToString());
        socket.Options.SetRequestHeader(TokenHeaders.TokenSecret, token.Secret);
        await socket.ConnectAsync(new Uri($"ws://{fixture.Address.Authority}/api/v1/ws"), CancellationToken.None);
        return socket;
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    private async Task AssertClosedAsync(ClientWebSocket socket, Stopwatch since)
    {
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        }
        catch (WebSocketException)
        {
            // The connection was aborted under it: what the gateway does.
        }

        Assert.False(timeout.IsCancellationRequested, "the WebSocket stayed open");
        output.WriteLine($"closed {since.Elapsed.TotalMilliseconds:F0} ms after the change was made");
        Assert.True(since.Elapsed < Bound, $"closed after {since.Elapsed}");
    }

    private async Task AssertAbortedAsync(StreamReader reader, Stopwatch since, TimeSpan? bound = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var ticks = 0;
        var exception = await Record.ExceptionAsync(async () =>
        {
            while (await reader.ReadLineAsync(timeout.Token) is not null)
            {
                ticks++;
            }
        });

        Assert.False(timeout.IsCancellationRequested, $"the response kept streaming ({ticks} more lines)");
        Assert.True(exception is IOException or HttpRequestException, $"the response ended without an abort ({exception?.GetType().Name ?? "a normal end"}, {ticks} more lines)");
        output.WriteLine($"aborted {since.Elapsed.TotalMilliseconds:F0} ms after the change ({ticks} more lines)");
        Assert.True(since.Elapsed < (bound ?? Bound), $"aborted after {since.Elapsed}");
    }
}
