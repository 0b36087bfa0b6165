using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Tests.Apis;

public class ProblemsTests
{
    [Theory]
    [InlineData(503, "1")]
    [InlineData(404, null)]
    [InlineData(400, null)]
    public async Task Every_503_problem_says_when_to_retry_and_no_other_does(int status, string? retryAfter)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();

        await Problems.Result(status, "some_code", "Some detail.").ExecuteAsync(context);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(Problems.ContentType, context.Response.ContentType);
        Assert.Equal(retryAfter, context.Response.Headers.RetryAfter.FirstOrDefault());
    }
}
