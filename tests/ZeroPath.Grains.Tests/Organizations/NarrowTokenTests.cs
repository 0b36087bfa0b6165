using System.Collections.Concurrent;
using System.Collections.Immutable;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>Tokens created with a subset of their owner's permissions, or limited to address ranges.</summary>
public class NarrowTokenTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private async Task<IOrganizationGrain> OrgWithAliceAsync(params string[] permissions)
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", [.. permissions]);
        return org;
    }

    private static async Task<IssuedToken> CreateAsync(IOrganizationGrain org, string[]? permissions = null, string[]? cidrs = null)
    {
        var result = await org.CreateToken(new CreateTokenCommand(
            "alice", null, 30, permissions is null ? null : [.. permissions], cidrs is null ? null : [.. cidrs]));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return result.Token!;
    }

    private async Task<string[]> PermissionsOf(IssuedToken token)
    {
        var validation = await fixture.ValidateAsync(token.TokenId, token.Secret);
        Assert.True(validation.IsValid);
        return [.. validation.Permissions];
    }

    [Fact]
    public async Task A_subset_is_what_the_token_carries_and_stores()
    {
        var org = await OrgWithAliceAsync("admin:all", "scans:read", "vulns:write");

        var token = await CreateAsync(org, ["vulns:write", "scans:read", "scans:read"]);

        Assert.Equal(["scans:read", "vulns:write"], token.Permissions.ToArray());
        Assert.Equal(["scans:read", "vulns:write"], await PermissionsOf(token));
        var stored = await fixture.ReadStoredTokenAsync(token.TokenId);
        Assert.Equal(["scans:read", "vulns:write"], stored!.RequestedPermissions!.Value.ToArray());
        Assert.Null(stored.AllowedCidrs);
        var details = await fixture.Grains.GetGrain<ITokenGrain>(token.TokenId).Describe();
        Assert.Equal(["scans:read", "vulns:write"], details!.RequestedPermissions!.Value.ToArray());
        Assert.Equal(["scans:read", "vulns:write"], details.Permissions!.Value.ToArray());
        var listed = Assert.Single((await org.ListTokens(null, 10)).Items);
        Assert.Equal(TokenRestrictions.Permissions, listed.Restrictions);
    }

    [Fact]
    public async Task An_empty_subset_is_a_token_without_permissions()
    {
        var org = await OrgWithAliceAsync("scans:read");

        var token = await CreateAsync(org, []);

        Assert.Empty(await PermissionsOf(token));
        await org.SetMember("alice", ["scans:read", "vulns:write"]);
        Assert.Empty(await PermissionsOf(token));
    }

    [Fact]
    public async Task Without_a_subset_the_token_keeps_all_its_owners_permissions_and_lists_no_restriction()
    {
        var org = await OrgWithAliceAsync("scans:read");
        var token = await CreateAsync(org);

        await org.SetMember("alice", ["admin:all", "scans:read"]);

        Assert.Equal(["admin:all", "scans:read"], await PermissionsOf(token));
        var stored = await fixture.ReadStoredTokenAsync(token.TokenId);
        Assert.Null(stored!.RequestedPermissions);
        Assert.Equal(TokenRestrictions.None, Assert.Single((await org.ListTokens(null, 10)).Items).Restrictions);
    }

    [Fact]
    public async Task A_permission_the_owner_loses_leaves_the_narrowed_token_and_a_gained_one_is_not_added()
    {
        var org = await OrgWithAliceAsync("scans:read", "vulns:write");
        var token = await CreateAsync(org, ["scans:read", "vulns:write"]);

        await org.SetMember("alice", ["scans:read"]);
        Assert.Equal(["scans:read"], await PermissionsOf(token));

        // Gained back, and one more it never asked for: the intersection with what it was created with.
        await org.SetMember("alice", ["admin:all", "scans:read", "vulns:write"]);
        Assert.Equal(["scans:read", "vulns:write"], await PermissionsOf(token));

        await org.SetMember("alice", ["admin:all"]);
        Assert.Empty(await PermissionsOf(token));

        // From storage too, in a fresh activation.
        await fixture.Cluster.Cluster.DeactivateAsync(fixture.Grains.GetGrain<ITokenGrain>(token.TokenId));
        Assert.Empty(await PermissionsOf(token));
        var stored = await fixture.ReadStoredTokenAsync(token.TokenId);
        Assert.Equal(["scans:read", "vulns:write"], stored!.RequestedPermissions!.Value.ToArray());
    }

    [Fact]
    public async Task A_permission_the_creator_does_not_hold_is_refused_and_nothing_is_stored()
    {
        var org = await OrgWithAliceAsync("scans:read");

        var result = await org.CreateToken(new CreateTokenCommand("alice", null, 30, ["scans:read", "admin:all"]));

        Assert.Equal(CreateTokenStatus.PermissionNotHeld, result.Status);
        Assert.Null(result.Token);
        Assert.Empty((await org.ListTokens(null, 10)).Items);

        // Checked again in the organization's turn, where the owner's permissions cannot change meanwhile.
        var added = await org.AddToken(new NewToken(Guid.NewGuid(), "alice", null, 30, "$argon2id$unused", ["admin:all"]));
        Assert.Equal(CreateTokenStatus.PermissionNotHeld, added.Status);
        Assert.Empty((await org.ListTokens(null, 10)).Items);
    }

    [Fact]
    public async Task Invalid_options_are_a_programming_error()
    {
        var org = await OrgWithAliceAsync("scans:read");

        await Assert.ThrowsAsync<ArgumentException>(() => org.CreateToken(new CreateTokenCommand("alice", null, 30, ["a,b"])));
        // Not canonical: the API normalizes before it calls.
        await Assert.ThrowsAsync<ArgumentException>(() => org.CreateToken(new CreateTokenCommand("alice", null, 30, AllowedCidrs: ["10.0.0.1"])));
        await Assert.ThrowsAsync<ArgumentException>(() => org.CreateToken(new CreateTokenCommand("alice", null, 30, AllowedCidrs: [])));
    }

    [Fact]
    public async Task Address_ranges_are_stored_and_given_with_every_valid_answer()
    {
        var org = await OrgWithAliceAsync("scans:read");

        var token = await CreateAsync(org, cidrs: ["10.0.0.0/8", "2001:db8::/32"]);

        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], token.AllowedCidrs!.Value.ToArray());
        var validation = await fixture.ValidateAsync(token.TokenId, token.Secret);
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], validation.AllowedCidrs!.Value.ToArray());
        await fixture.Cluster.Cluster.DeactivateAsync(fixture.Grains.GetGrain<ITokenGrain>(token.TokenId));
        validation = await fixture.ValidateAsync(token.TokenId, token.Secret);
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], validation.AllowedCidrs!.Value.ToArray());
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], (await fixture.Grains.GetGrain<ITokenGrain>(token.TokenId).Describe())!.AllowedCidrs!.Value.ToArray());
        Assert.Equal(TokenRestrictions.Addresses, Assert.Single((await org.ListTokens(null, 10)).Items).Restrictions);

        var open = await CreateAsync(org);
        Assert.Null((await fixture.ValidateAsync(open.TokenId, open.Secret)).AllowedCidrs);
    }

    [Fact]
    public async Task A_rate_limit_is_stored_given_with_every_valid_answer_and_shown()
    {
        var org = await OrgWithAliceAsync("scans:read");
        var limit = new TokenRateLimit(2.5, 7);

        var result = await org.CreateToken(new CreateTokenCommand("alice", null, 30, RateLimit: limit));

        var token = result.Token!;
        Assert.Equal(limit, token.RateLimit);
        Assert.Equal(limit, (await fixture.ReadStoredTokenAsync(token.TokenId))!.RateLimit);
        Assert.Equal(limit, (await fixture.ValidateAsync(token.TokenId, token.Secret)).RateLimit);
        await fixture.Cluster.Cluster.DeactivateAsync(fixture.Grains.GetGrain<ITokenGrain>(token.TokenId));
        Assert.Equal(limit, (await fixture.ValidateAsync(token.TokenId, token.Secret)).RateLimit);
        Assert.Equal(limit, (await fixture.Grains.GetGrain<ITokenGrain>(token.TokenId).Describe())!.RateLimit);
        Assert.Equal(TokenRestrictions.RateLimit, Assert.Single((await org.ListTokens(null, 10)).Items).Restrictions);

        var open = await CreateAsync(org);
        Assert.Null((await fixture.ValidateAsync(open.TokenId, open.Secret)).RateLimit);
        Assert.Null((await fixture.Grains.GetGrain<ITokenGrain>(open.TokenId).Describe())!.RateLimit);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.001, 1)]
    [InlineData(100_001, 1)]
    [InlineData(double.NaN, 1)]
    [InlineData(double.PositiveInfinity, 1)]
    [InlineData(10, 0)]
    [InlineData(10, 1_000_001)]
    public async Task A_rate_limit_out_of_range_is_a_programming_error(double rate, int burst)
    {
        var org = await OrgWithAliceAsync("scans:read");

        await Assert.ThrowsAsync<ArgumentException>(() => org.CreateToken(new CreateTokenCommand("alice", null, 30, RateLimit: new TokenRateLimit(rate, burst))));
        Assert.Empty((await org.ListTokens(null, 10)).Items);
    }

    [Fact]
    public async Task The_event_hub_counts_the_gateways_that_renewed_lately()
    {
        var hub = fixture.Grains.GetGrain<ITokenEventHubGrain>(0);
        var first = fixture.Cluster.Cluster.Client.CreateObjectReference<ITokenEventObserver>(new Recorder());
        var second = fixture.Cluster.Cluster.Client.CreateObjectReference<ITokenEventObserver>(new Recorder());
        try
        {
            // Other tests of this cluster may hold subscriptions of their own: counted relative to what one renewal sees.
            var alone = (await hub.Subscribe(first)).Gateways;
            Assert.True(alone >= 1);
            Assert.Equal(alone, (await hub.Subscribe(first)).Gateways);
            Assert.Equal(alone + 1, (await hub.Subscribe(second)).Gateways);
            await hub.Unsubscribe(second);
            Assert.Equal(alone, (await hub.Subscribe(first)).Gateways);
        }
        finally
        {
            await hub.Unsubscribe(first);
            await hub.Unsubscribe(second);
        }
    }

    [Fact]
    public async Task Gateways_are_told_each_tokens_own_permissions()
    {
        var org = await OrgWithAliceAsync("scans:read", "vulns:write");
        var full = await CreateAsync(org);
        var narrowed = await CreateAsync(org, ["scans:read"]);
        var none = await CreateAsync(org, ["vulns:write"]);
        var observer = new Recorder();
        var reference = fixture.Cluster.Cluster.Client.CreateObjectReference<ITokenEventObserver>(observer);
        var hub = fixture.Grains.GetGrain<ITokenEventHubGrain>(0);
        await hub.Subscribe(reference);
        try
        {
            await org.SetMember("alice", ["admin:all", "scans:read"]);
        }
        finally
        {
            await hub.Unsubscribe(reference);
        }

        Assert.Equal("admin:all,scans:read", observer.Told[full.TokenId]);
        Assert.Equal("scans:read", observer.Told[narrowed.TokenId]);
        Assert.Equal("", observer.Told[none.TokenId]);
    }

    private sealed class Recorder : ITokenEventObserver
    {
        public ConcurrentDictionary<Guid, string> Told { get; } = new();

        public Task TokensEnded(TokenEventPosition position, ImmutableArray<Guid> tokenIds) => Task.CompletedTask;

        public Task PermissionsChanged(TokenEventPosition position, ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions)
        {
            foreach (var id in tokenIds)
            {
                Told[id] = string.Join(',', permissions);
            }

            return Task.CompletedTask;
        }
    }
}
