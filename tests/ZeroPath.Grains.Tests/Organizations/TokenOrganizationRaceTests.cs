using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>
/// A token's own revoke calls its organization while the organization may be calling the token (delete, bulk revoke,
/// permission change, listing): none of these pairs may wait on each other. Found by the independent API fuzzer as a
/// 30-second hang of both admin calls.
/// </summary>
public class TokenOrganizationRaceTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private const int Rounds = 15;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static TheoryData<string> OrganizationCalls => ["delete", "revoke all", "revoke member", "set member", "list"];

    [Theory]
    [MemberData(nameof(OrganizationCalls))]
    public async Task A_token_revoking_itself_while_its_organization_calls_it_does_not_deadlock(string call)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var (org, token) = await fixture.IssueAsync();
            Task fromOrganization = call switch
            {
                "delete" => org.DeleteToken(token.TokenId),
                "revoke all" => org.RevokeAll("race"),
                "revoke member" => org.RevokeMemberTokens("alice", "race"),
                "set member" => org.SetMember("alice", ["scans:read", "scans:write"]),
                _ => org.ListAllTokensAsync(),
            };
            var fromToken = fixture.Grains.RevokeTokenAsync(token.TokenId, "race");

            await Task.WhenAll(fromOrganization, fromToken).WaitAsync(Bound);

            Assert.False((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
            Assert.DoesNotContain(await org.ListAllTokensAsync(), t => t.TokenId == token.TokenId);
        }
    }
}
