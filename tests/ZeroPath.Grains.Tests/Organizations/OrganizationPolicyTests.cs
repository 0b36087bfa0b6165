using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>An organization's token policy: checked at creation, forbidden permissions taken out of every token.</summary>
public class OrganizationPolicyTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private async Task<IOrganizationGrain> OrgWithAliceAsync(params string[] permissions)
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", [.. permissions]);
        return org;
    }

    private static Task<CreateTokenResult> CreateAsync(
        IOrganizationGrain org, int days = 30, string[]? permissions = null, string[]? cidrs = null, bool defaultLifetime = false) =>
        org.CreateToken(new CreateTokenCommand(
            "alice", null, days, permissions is null ? null : [.. permissions], cidrs is null ? null : [.. cidrs], DefaultLifetime: defaultLifetime));

    private async Task<string[]> PermissionsOf(IssuedToken token)
    {
        var validation = await fixture.ValidateAsync(token.TokenId, token.Secret);
        Assert.True(validation.IsValid);
        return [.. validation.Permissions];
    }

    private static async Task WaitForPolicyAsync(IOrganizationGrain org)
    {
        await Poll.UntilAsync(async () => (await org.PendingWork()).PolicyChanges == 0, TimeSpan.FromSeconds(30), "the policy to reach every token");
    }

    [Fact]
    public async Task Without_a_policy_the_defaults_apply_and_nothing_is_refused()
    {
        var org = await OrgWithAliceAsync("scans:read");

        Assert.True(OrganizationPolicy.Default.SameAs(await org.GetPolicy()));
        Assert.Equal(CreateTokenStatus.Created, (await CreateAsync(org, days: 365)).Status);
    }

    [Fact]
    public async Task A_longer_lifetime_than_the_policy_allows_is_refused_and_a_default_one_is_shortened()
    {
        var org = await OrgWithAliceAsync("scans:read");
        await org.SetPolicy(new OrganizationPolicy(7, [], false));

        Assert.Equal(CreateTokenStatus.LifetimeExceedsPolicy, (await CreateAsync(org, days: 8)).Status);
        var exact = await CreateAsync(org, days: 7);
        Assert.Equal(CreateTokenStatus.Created, exact.Status);
        Assert.Equal(TimeSpan.FromDays(7), exact.Token!.ExpiresAt - exact.Token.CreatedAt);

        var defaulted = await CreateAsync(org, days: TokenRules.DefaultExpiresInDays, defaultLifetime: true);
        Assert.Equal(CreateTokenStatus.Created, defaulted.Status);
        Assert.Equal(TimeSpan.FromDays(7), defaulted.Token!.ExpiresAt - defaulted.Token.CreatedAt);
        Assert.Equal(2, (await org.ListTokens(null, 10)).Items.Length);
    }

    [Fact]
    public async Task Asking_for_a_forbidden_permission_is_refused_and_a_default_token_goes_without_it()
    {
        var org = await OrgWithAliceAsync("admin:all", "scans:read");
        await org.SetPolicy(new OrganizationPolicy(365, ["admin:all"], false));

        Assert.Equal(CreateTokenStatus.PermissionForbidden, (await CreateAsync(org, permissions: ["admin:all", "scans:read"])).Status);
        var all = await CreateAsync(org);
        Assert.Equal(["scans:read"], all.Token!.Permissions.ToArray());
        Assert.Equal(["scans:read"], await PermissionsOf(all.Token));
    }

    [Fact]
    public async Task Address_ranges_can_be_required()
    {
        var org = await OrgWithAliceAsync("scans:read");
        await org.SetPolicy(new OrganizationPolicy(365, [], true));

        Assert.Equal(CreateTokenStatus.AllowedCidrsRequired, (await CreateAsync(org)).Status);
        Assert.Equal(CreateTokenStatus.Created, (await CreateAsync(org, cidrs: ["10.0.0.0/8"])).Status);
    }

    [Fact]
    public async Task Forbidding_a_permission_takes_it_from_existing_tokens_and_from_later_member_changes()
    {
        var org = await OrgWithAliceAsync("admin:all", "scans:read");
        var all = (await CreateAsync(org)).Token!;
        var narrowed = (await CreateAsync(org, permissions: ["admin:all"])).Token!;
        Assert.Equal(["admin:all", "scans:read"], await PermissionsOf(all));

        await org.SetPolicy(new OrganizationPolicy(365, ["admin:all"], false));
        await WaitForPolicyAsync(org);

        Assert.Equal(["scans:read"], await PermissionsOf(all));
        Assert.Empty(await PermissionsOf(narrowed));

        // A permission change of the member does not bring it back.
        await org.SetMember("alice", ["admin:all", "scans:read", "vulns:write"]);
        Assert.Equal(["scans:read", "vulns:write"], await PermissionsOf(all));

        // Allowed again: tokens follow their owner again.
        await org.SetPolicy(new OrganizationPolicy(365, [], false));
        await WaitForPolicyAsync(org);
        Assert.Equal(["admin:all", "scans:read", "vulns:write"], await PermissionsOf(all));
        Assert.Equal(["admin:all"], await PermissionsOf(narrowed));
    }

    [Fact]
    public async Task A_policy_change_is_stored_normalized_and_audited_once()
    {
        var org = await OrgWithAliceAsync("scans:read");
        AuditActor.Set("ops:carol");
        var stored = await org.SetPolicy(new OrganizationPolicy(90, ["b", "a", "a"], true));
        await org.SetPolicy(new OrganizationPolicy(90, ["a", "b"], true));
        Orleans.Runtime.RequestContext.Clear();

        Assert.Equal(["a", "b"], stored.ForbiddenPermissions.ToArray());
        Assert.True(stored.SameAs(await org.GetPolicy()));
        var trail = (await fixture.Grains.GetGrain<IAuditLogGrain>(org.GetPrimaryKeyString()).GetPage(null, 10)).Events;
        var changed = Assert.Single(trail, e => e.Action == AuditAction.PolicyChanged);
        Assert.Equal("ops:carol", changed.Actor);
        Assert.Equal(Guid.Empty, changed.TokenId);
        Assert.Equal("maxTokenLifetimeDays=90; forbiddenPermissions=[a, b]; requireAllowedCidrs=true", changed.Reason);
    }

    [Fact]
    public async Task The_policy_survives_reactivation()
    {
        var org = await OrgWithAliceAsync("scans:read");
        await org.SetPolicy(new OrganizationPolicy(3, ["x"], false));

        var state = await fixture.ReadStoredAsync<ZeroPath.Grains.Organizations.OrganizationState>("organization", org);
        Assert.Equal(3, state.State!.Policy!.MaxTokenLifetimeDays);
        Assert.Equal(["x"], state.State.Policy.ForbiddenPermissions.ToArray());
    }
}
