using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using ZeroPath.Grains.Organizations;
using ZeroPath.Grains.Revocations;
using ZeroPath.Grains.Tokens;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Tests.Hosting;

public class SiloConfigurationTests
{
    [Theory]
    [InlineData("ZeroPath:Cluster:Redis", "", "ZeroPath__Cluster__Redis")]
    [InlineData("ZeroPath:Silo:AdvertisedAddress", "somewhere", "ZeroPath__Silo__AdvertisedAddress")]
    [InlineData("ZeroPath:Silo:SiloPort", "0", "ZeroPath__Silo__SiloPort")]
    [InlineData("ZeroPath:Cluster:ClusterId", "", "ZeroPath__Cluster__ClusterId")]
    public void A_missing_or_wrong_setting_stops_start_up_with_a_message_naming_it(string key, string value, string environmentVariable)
    {
        using var factory = new SiloFactory { Overrides = new Dictionary<string, string?> { [key] = value } };

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var configuration = Assert.IsType<InvalidOperationException>(error.GetBaseException());
        Assert.StartsWith("Invalid configuration:", configuration.Message, StringComparison.Ordinal);
        Assert.Contains(key, configuration.Message, StringComparison.Ordinal);
        Assert.Contains(environmentVariable, configuration.Message, StringComparison.Ordinal);
    }
}

public class StoredStateTests(SiloFactory factory) : IClassFixture<SiloFactory>
{
    [Fact]
    public async Task Token_organization_and_revocation_state_round_trip_through_the_configured_serializer_as_plain_json()
    {
        var serializer = factory.Services.GetRequiredService<IGrainStorageSerializer>();
        var token = new TokenState
        {
            OrganizationId = "acme",
            UserId = "alice",
            Name = "CI",
            CreatedAt = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero),
            ExpiresAt = new DateTimeOffset(2030, 2, 1, 3, 4, 5, TimeSpan.Zero),
            SecretHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            Permissions = ["scans:read", "vulns:write"],
            EndedAt = new DateTimeOffset(2030, 1, 3, 0, 0, 0, TimeSpan.Zero),
            EndReason = TokenEndReason.MemberRemoved,
            Epoch = 2,
        };
        var tokenId = Guid.NewGuid();
        var organization = new OrganizationState
        {
            Members = { ["alice"] = ["scans:read"], ["bob"] = [] },
            Tokens = { [tokenId] = new TokenSummary(tokenId, null, "alice", token.CreatedAt, token.ExpiresAt) },
            Epoch = 3,
            Revoked = RevocationEpochs.None.RevokeOrganization(1).RevokeMember("alice", 2),
            AuditNext = 8,
            AuditOutbox = [new AuditEntry(token.CreatedAt, AuditAction.TokenRevoked, "oncall", tokenId, "alice", "incident").Numbered(7)],
        };
        var marks = new RevocationEpochState { Epochs = organization.Revoked };

        var tokenJson = serializer.Serialize(token);
        var organizationJson = serializer.Serialize(organization);
        var tokenBack = serializer.Deserialize<TokenState>(tokenJson)!;
        var organizationBack = serializer.Deserialize<OrganizationState>(organizationJson)!;
        var marksBack = serializer.Deserialize<RevocationEpochState>(serializer.Serialize(marks))!;

        Assert.True(token.SameAs(tokenBack));
        Assert.Equal(["alice", "bob"], organizationBack.Members.Keys.Order());
        Assert.Equal(["scans:read"], organizationBack.Members["alice"].ToArray());
        Assert.Empty(organizationBack.Members["bob"]);
        Assert.Equal(organization.Tokens[tokenId], organizationBack.Tokens[tokenId]);
        Assert.Equal(3, organizationBack.Epoch);
        Assert.Equal(8, organizationBack.AuditNext);
        Assert.Equal(organization.AuditOutbox, organizationBack.AuditOutbox);
        Assert.True(organizationBack.Revoked.Covers(organization.Revoked) && organization.Revoked.Covers(organizationBack.Revoked));
        Assert.True(marksBack.Epochs.Revokes("alice", 2) && !marksBack.Epochs.Revokes("bob", 2) && marksBack.Epochs.Revokes("bob", 1));
        // No .NET type names in storage: renaming a state class cannot orphan what is stored.
        Assert.DoesNotContain("ZeroPath.", tokenJson.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("$type", organizationJson.ToString(), StringComparison.Ordinal);
    }
}
