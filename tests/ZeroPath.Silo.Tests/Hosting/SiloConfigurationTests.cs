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
            NextSequence = 513,
            Shards = [0, 2],
            Epoch = 3,
            Marks = RevocationMarks.None.RevokeOrganization(1).RevokeMember("alice", 2),
            FanOuts = [new FanOut { Kind = FanOutKind.Revocation, Reason = TokenEndReason.MemberRemoved, Actor = "oncall", Member = "alice", Before = 500, NextShard = 1 }],
            PermissionSyncs = ["bob"],
            AuditNext = 8,
            AuditOutbox = [new AuditEntry(token.CreatedAt, AuditAction.TokenRevoked, "oncall", tokenId, "alice", "incident").Numbered(7)],
            ExpiryDue = token.ExpiresAt,
        };
        var shard = new TokenIndexShardState();
        shard.Add(512, new TokenSummary(tokenId, "CI ✓", "alice", token.CreatedAt, token.ExpiresAt));
        var member = new MemberState { Permissions = ["scans:read", "vulns:write"] };
        var marks = new RevocationMarksState { Marks = organization.Marks };

        var tokenJson = serializer.Serialize(token);
        var organizationJson = serializer.Serialize(organization);
        var tokenBack = serializer.Deserialize<TokenState>(tokenJson)!;
        var organizationBack = serializer.Deserialize<OrganizationState>(organizationJson)!;
        var shardBack = serializer.Deserialize<TokenIndexShardState>(serializer.Serialize(shard))!;
        var memberBack = serializer.Deserialize<MemberState>(serializer.Serialize(member))!;
        var marksBack = serializer.Deserialize<RevocationMarksState>(serializer.Serialize(marks))!;

        Assert.True(token.SameAs(tokenBack));
        Assert.Equal((513L, 3L, 8L, token.ExpiresAt), (organizationBack.NextSequence, organizationBack.Epoch, organizationBack.AuditNext!.Value, organizationBack.ExpiryDue!.Value));
        Assert.Equal([0L, 2L], organizationBack.Shards);
        var fanOut = Assert.Single(organizationBack.FanOuts);
        Assert.Equal((FanOutKind.Revocation, TokenEndReason.MemberRemoved, "oncall", "alice", 500L, 1L), (fanOut.Kind, fanOut.Reason, fanOut.Actor, fanOut.Member!, fanOut.Before, fanOut.NextShard));
        Assert.Equal(["bob"], organizationBack.PermissionSyncs);
        Assert.Equal(organization.AuditOutbox, organizationBack.AuditOutbox);
        Assert.True(organizationBack.Marks.Covers(organization.Marks) && organization.Marks.Covers(organizationBack.Marks));
        Assert.Equal(shard.Entries, shardBack.Entries);
        Assert.Equal(["scans:read", "vulns:write"], memberBack.Permissions.ToArray());
        Assert.True(marksBack.Marks.Revokes("alice", 2) && !marksBack.Marks.Revokes("bob", 2) && marksBack.Marks.Revokes("bob", 1));
        // No .NET type names in storage: renaming a state class cannot orphan what is stored.
        Assert.DoesNotContain("ZeroPath.", tokenJson.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("$type", organizationJson.ToString(), StringComparison.Ordinal);
    }
}
