using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ZeroPath.Silo.Apis;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

public class FailedAuthenticationTests(FailedAuthenticationTests.LimitedSilo factory) : IClassFixture<FailedAuthenticationTests.LimitedSilo>
{
    public sealed class LimitedSilo : SiloFactoryWith
    {
        public LimitedSilo()
            : this(new FakeTimeProvider(TestSettings.Epoch))
        {
        }

        private LimitedSilo(FakeTimeProvider clock)
            : base(new SiloFactory
            {
                Overrides = new Dictionary<string, string?>
                {
                    ["ZeroPath:Admin:FailedAuthentication:MaxFailures"] = "3",
                    ["ZeroPath:Admin:FailedAuthentication:Window"] = "00:01:00",
                },
                TestServices = services => services.AddKeyedSingleton<TimeProvider>(FailedAuthenticationLimiter.ClockKey, clock),
            }) => Clock = clock;

        public FakeTimeProvider Clock { get; }
    }

    private async Task<HttpResponseMessage> ListTokens(string address, string? key)
    {
        using var client = factory.Silo.CreateClient();
        client.DefaultRequestHeaders.Add(SiloFactory.ClientAddressHeader, address);
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await client.GetAsync($"/admin/v1/orgs/{AdminClient.NewOrg()}/tokens");
    }

    private static string NewAddress() => $"2001:db8:{Random.Shared.Next(0x10000):x}:{Random.Shared.Next(0x10000):x}::1";

    [Fact]
    public async Task After_too_many_failures_an_address_gets_429_with_Retry_After_even_with_the_right_key_until_the_window_ends()
    {
        var attacker = NewAddress();
        for (var i = 0; i < 3; i++)
        {
            using var refused = await ListTokens(attacker, i == 0 ? null : "wrong-key-0123456789");
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "unauthorized");
        }

        factory.Clock.Advance(TimeSpan.FromSeconds(15));
        using (var locked = await ListTokens(attacker, SiloFactory.AdminKey))
        {
            await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests, "too_many_failed_authentications");
            Assert.Equal(TimeSpan.FromSeconds(45), locked.Headers.RetryAfter?.Delta);
        }

        using (var other = await ListTokens(NewAddress(), SiloFactory.AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        factory.Clock.Advance(TimeSpan.FromSeconds(45));
        using var unlocked = await ListTokens(attacker, SiloFactory.AdminKey);
        Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
    }

    [Fact]
    public async Task A_success_does_not_clear_the_failures_before_it()
    {
        var address = NewAddress();
        (await ListTokens(address, "wrong-key-0123456789")).Dispose();
        (await ListTokens(address, "wrong-key-0123456789")).Dispose();
        using (var ok = await ListTokens(address, SiloFactory.AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        (await ListTokens(address, "wrong-key-0123456789")).Dispose();

        using var locked = await ListTokens(address, SiloFactory.AdminKey);
        await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests, "too_many_failed_authentications");
    }

    [Theory]
    [InlineData("MaxFailures", "0")]
    [InlineData("MaxTrackedAddresses", "0")]
    [InlineData("Window", "00:00:00")]
    public void Bad_limits_stop_start_up_naming_the_setting(string key, string value)
    {
        using var silo = new SiloFactory { Overrides = new Dictionary<string, string?> { [$"ZeroPath:Admin:FailedAuthentication:{key}"] = value } };

        var error = Assert.ThrowsAny<Exception>(() => silo.CreateClient()).GetBaseException();

        Assert.Contains($"ZeroPath:Admin:FailedAuthentication:{key}", error.Message, StringComparison.Ordinal);
    }
}
