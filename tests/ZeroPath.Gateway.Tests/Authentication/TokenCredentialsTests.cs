using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using ZeroPath.Gateway.Authentication;

namespace ZeroPath.Gateway.Tests.Authentication;

public class TokenCredentialsTests
{
    private const string Id = "3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d";
    private const string Secret = "Y7qGza93uwoZhojhRf2URrNkbEoxxVBxLbJ_W1TRMxc";

    private static AuthFailure Parse(StringValues id, StringValues secret, out TokenCredentials credentials)
    {
        var headers = new HeaderDictionary();
        if (id.Count > 0)
        {
            headers[TokenHeaders.TokenId] = id;
        }

        if (secret.Count > 0)
        {
            headers[TokenHeaders.TokenSecret] = secret;
        }

        return TokenCredentials.TryParse(headers, out credentials);
    }

    [Fact]
    public void Well_formed_headers_parse()
    {
        Assert.Equal(AuthFailure.None, Parse(Id, Secret, out var credentials));
        Assert.Equal(Guid.Parse(Id), credentials.TokenId);
        Assert.Equal(Secret, credentials.Secret);
    }

    [Fact]
    public void Upper_case_uuid_is_accepted()
    {
        Assert.Equal(AuthFailure.None, Parse(Id.ToUpperInvariant(), Secret, out var credentials));
        Assert.Equal(Guid.Parse(Id), credentials.TokenId);
    }

    [Fact]
    public void Missing_beats_malformed()
    {
        Assert.Equal(AuthFailure.MissingCredentials, Parse("garbage", StringValues.Empty, out _));
        Assert.Equal(AuthFailure.MissingCredentials, Parse(new StringValues([Id, Id]), StringValues.Empty, out _));
    }

    [Fact]
    public void Two_values_of_one_header_are_malformed()
    {
        Assert.Equal(AuthFailure.MalformedCredentials, Parse(new StringValues([Id, Id]), Secret, out _));
        Assert.Equal(AuthFailure.MalformedCredentials, Parse(Id, new StringValues([Secret, Secret]), out _));
    }

    [Theory]
    [InlineData(" " + Id)]
    [InlineData(Id + ",x")]
    [InlineData("(" + Id + ")")]
    public void Near_miss_ids_are_malformed(string id) => Assert.Equal(AuthFailure.MalformedCredentials, Parse(id, Secret, out _));

    [Fact]
    public void ToString_never_shows_the_secret()
    {
        Parse(Id, Secret, out var credentials);

        Assert.DoesNotContain(Secret, credentials.ToString(), StringComparison.Ordinal);
    }
}
