using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>The real zpctl against a fake admin API that answers what a real silo never should.</summary>
public class ZpctlFakeApiTests
{
    [Fact]
    public async Task By_default_every_page_is_followed_with_the_largest_page_size_and_each_cursor_unchanged()
    {
        // Three pages, as a silo answers an organization of more than 1,000 tokens (500 a page), cut down to 2, 2 and 1.
        await using var api = FakeAdminApi.Start(url => url switch
        {
            "/admin/v1/orgs/acme/tokens?limit=500" => Page(["t5", "t4"], "AAAAAAAAAAQ"),
            "/admin/v1/orgs/acme/tokens?limit=500&cursor=AAAAAAAAAAQ" => Page(["t3", "t2"], "AAAAAAAAAAI"),
            "/admin/v1/orgs/acme/tokens?limit=500&cursor=AAAAAAAAAAI" => Page(["t1"], null),
            _ => """{"unexpected":true}""",
        });

        var json = await ZpctlFixture.RunAsync(api.Url, LocalSystem.AdminKey, "tokens", "list", "--org", "acme", "--json");
        var table = await ZpctlFixture.RunAsync(api.Url, LocalSystem.AdminKey, "tokens", "list", "--org", "acme");

        Assert.Equal((0, ""), (json.Exit, json.Err));
        Assert.Equal(["t5", "t4", "t3", "t2", "t1"], JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Select(t => t.GetProperty("tokenId").GetString()));
        Assert.Equal((0, ""), (table.Exit, table.Err));
        Assert.Equal(["TOKENID", "t5", "t4", "t3", "t2", "t1"], table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(row => row.Split(' ', 2)[0]));
        Assert.Equal(6, api.Requests.Length);
    }

    [Fact]
    public async Task Following_pages_stops_with_a_server_error_when_a_cursor_comes_back_instead_of_looping_forever()
    {
        await using var api = FakeAdminApi.Start(_ => Page(["t1"], "AAAAAAAAAAE"));

        var run = await ZpctlFixture.RunAsync(api.Url, LocalSystem.AdminKey, "tokens", "list", "--org", "acme");

        Assert.Equal(5, run.Exit);
        Assert.Equal("", run.Out);
        Assert.Contains("nextCursor AAAAAAAAAAE a second time", run.Err, StringComparison.Ordinal);
        Assert.Equal(["/admin/v1/orgs/acme/tokens?limit=500", "/admin/v1/orgs/acme/tokens?limit=500&cursor=AAAAAAAAAAE"], api.Requests);
    }

    [Theory]
    [InlineData("""[{"tokenId":"t1"}]""")]
    [InlineData("""{"orgId":"acme","items":[]}""")]
    [InlineData("""{"orgId":"acme","items":{},"nextCursor":null}""")]
    public async Task An_answer_that_is_not_a_token_page_is_a_server_error(string answer)
    {
        await using var api = FakeAdminApi.Start(_ => answer);

        var all = await ZpctlFixture.RunAsync(api.Url, LocalSystem.AdminKey, "tokens", "list", "--org", "acme");
        var one = await ZpctlFixture.RunAsync(api.Url, LocalSystem.AdminKey, "tokens", "list", "--org", "acme", "--limit", "5", "--json");

        foreach (var run in new[] { all, one })
        {
            Assert.Equal(5, run.Exit);
            Assert.Equal("", run.Out);
            Assert.Contains("did not answer a token page", run.Err, StringComparison.Ordinal);
        }
    }

    private static string Page(string[] tokenIds, string? nextCursor) =>
        JsonSerializer.Serialize(new { orgId = "acme", items = tokenIds.Select(id => new { tokenId = id }), nextCursor });

    /// <summary>Answers every request 200 with the JSON body its path and query choose, and records each path and query.</summary>
    private sealed class FakeAdminApi : IAsyncDisposable
    {
        private readonly HttpListener listener = new();
        private readonly ConcurrentQueue<string> requests = new();
        private readonly Task serving;

        private FakeAdminApi(Func<string, string> answer)
        {
            var port = FreeTcpPort.Next();
            Url = new Uri($"http://127.0.0.1:{port}/");
            listener.Prefixes.Add(Url.ToString());
            listener.Start();
            serving = ServeAsync(answer);
        }

        public Uri Url { get; }

        public string[] Requests => [.. requests];

        public static FakeAdminApi Start(Func<string, string> answer) => new(answer);

        public async ValueTask DisposeAsync()
        {
            listener.Stop();
            await serving;
            listener.Close();
        }

        private async Task ServeAsync(Func<string, string> answer)
        {
            while (true)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                var url = context.Request.RawUrl ?? "";
                requests.Enqueue(url);
                var body = Encoding.UTF8.GetBytes(answer(url));
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }
    }
}
