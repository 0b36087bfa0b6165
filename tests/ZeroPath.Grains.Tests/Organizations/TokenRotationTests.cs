using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>Rotation: a successor at once, the rotated token ended when its grace period passes (on the fake clock).</summary>
public class TokenRotationTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private async Task<(IOrganizationGrain Org, IssuedToken Token)> IssueNarrowAsync(int days = 30)
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read", "vulns:write"]);
        var created = await org.CreateToken(new CreateTokenCommand("alice", "deploy", days, ["scans:read"], ["10.0.0.0/8"], new TokenRateLimit(5, 10)));
        Assert.Equal(CreateTokenStatus.Created, created.Status);
        return (org, created.Token!);
    }

    private async Task<IReadOnlyList<AuditEvent>> TrailAsync(IOrganizationGrain org) =>
        (await fixture.Grains.GetGrain<IAuditLogGrain>(org.GetPrimaryKeyString()).GetPage(null, 50)).Events;

    [Fact]
    public async Task The_successor_has_the_same_owner_name_options_and_lifetime_and_the_old_token_lasts_its_grace_period()
    {
        var (org, old) = await IssueNarrowAsync(days: 30);
        await fixture.AdvanceAsync(TimeSpan.FromDays(10));

        var rotated = await org.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.FromDays(1)));

        Assert.Equal(RotateTokenStatus.Rotated, rotated.Status);
        var successor = rotated.Create!.Token!;
        Assert.NotEqual(old.TokenId, successor.TokenId);
        Assert.StartsWith(TokenSecretFormat.Prefix, successor.Secret, StringComparison.Ordinal);
        Assert.Equal(("deploy", TimeSpan.FromDays(30)), (successor.Name, successor.ExpiresAt - successor.CreatedAt));
        Assert.Equal(successor.CreatedAt + TimeSpan.FromDays(1), rotated.RotatedTokenEndsAt);
        var details = await fixture.Grains.GetGrain<ITokenGrain>(successor.TokenId).Describe();
        Assert.Equal("alice", details!.UserId);
        Assert.Equal(["scans:read"], details.RequestedPermissions!.Value.ToArray());
        Assert.Equal(["10.0.0.0/8"], details.AllowedCidrs!.Value.ToArray());
        Assert.Equal(new TokenRateLimit(5, 10), details.RateLimit);
        Assert.True((await fixture.ValidateAsync(successor.TokenId, successor.Secret)).IsValid);
        // Secret scanning can find the successor by its secret, as any created token.
        Assert.Equal(
            successor.TokenId,
            await fixture.Grains.GetGrain<ISecretFingerprintGrain>(TestSettings.FormatKeys.Fingerprint(successor.Secret)!).TokenId());

        // Both validate during the grace period; the rotated one ends once it has passed.
        await fixture.AdvanceAsync(TimeSpan.FromHours(23));
        Assert.True((await fixture.ValidateAsync(old.TokenId, old.Secret)).IsValid);
        await fixture.AdvanceAsync(TimeSpan.FromHours(1));
        await fixture.EventuallyAsync(
            async () => (await fixture.ValidateAsync(old.TokenId, old.Secret)).Outcome == TokenValidationOutcome.Unknown,
            "the rotated token to end after its grace period");

        Assert.True((await fixture.ValidateAsync(successor.TokenId, successor.Secret)).IsValid);
        var stored = await fixture.ReadStoredTokenAsync(old.TokenId);
        Assert.Equal(TokenEndReason.Revoked, stored!.EndReason);
        Assert.Equal([successor.TokenId], (await org.ListTokens(null, 10)).Items.Select(t => t.TokenId));
        var trail = await TrailAsync(org);
        var rotatedEvent = Assert.Single(trail, e => e.Action == AuditAction.TokenRotated);
        Assert.Equal(old.TokenId, rotatedEvent.TokenId);
        Assert.Contains(successor.TokenId.ToString("D"), rotatedEvent.Reason, StringComparison.Ordinal);
        var revoked = Assert.Single(trail, e => e.Action == AuditAction.TokenRevoked);
        Assert.Equal((old.TokenId, AuditActor.System), (revoked.TokenId, revoked.Actor));
        Assert.Empty((await fixture.ReadStoredAsync<ZeroPath.Grains.Organizations.OrganizationState>("organization", org)).State!.ScheduledEnds);
    }

    [Fact]
    public async Task No_grace_ends_the_old_token_before_the_call_returns()
    {
        var (org, old) = await IssueNarrowAsync();

        var rotated = await org.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.Zero));

        Assert.Equal(RotateTokenStatus.Rotated, rotated.Status);
        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(old.TokenId, old.Secret)).Outcome);
        Assert.Equal([rotated.Create!.Token!.TokenId], (await org.ListTokens(null, 10)).Items.Select(t => t.TokenId));
    }

    [Fact]
    public async Task The_old_tokens_own_expiry_applies_when_sooner_than_the_grace_period()
    {
        var (org, old) = await IssueNarrowAsync(days: 2);
        await fixture.AdvanceAsync(TimeSpan.FromDays(1));

        var rotated = await org.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.FromDays(7)));

        Assert.Equal(old.ExpiresAt, rotated.RotatedTokenEndsAt);
        Assert.Equal(TimeSpan.FromDays(2), rotated.Create!.Token!.ExpiresAt - rotated.Create.Token.CreatedAt);
        await fixture.AdvanceAsync(TimeSpan.FromDays(1));
        await fixture.EventuallyAsync(
            async () => (await fixture.ReadStoredTokenAsync(old.TokenId))?.EndReason == TokenEndReason.Expired,
            "the rotated token to expire as any other");
        Assert.DoesNotContain(await TrailAsync(org), e => e.Action == AuditAction.TokenRevoked);
    }

    [Fact]
    public async Task A_token_is_rotated_once_and_an_ended_or_foreign_one_not_at_all()
    {
        var (org, old) = await IssueNarrowAsync();
        var first = await org.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.FromHours(1)));
        Assert.Equal(RotateTokenStatus.Rotated, first.Status);

        Assert.Equal(RotateTokenStatus.AlreadyRotated, (await org.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.FromHours(1)))).Status);
        // Its successor can be rotated in turn.
        Assert.Equal(RotateTokenStatus.Rotated, (await org.RotateToken(new RotateTokenCommand(first.Create!.Token!.TokenId, TimeSpan.Zero))).Status);

        var (other, _) = await IssueNarrowAsync();
        Assert.Equal(RotateTokenStatus.NotFound, (await other.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.Zero))).Status);
        Assert.Equal(RotateTokenStatus.NotFound, (await org.RotateToken(new RotateTokenCommand(Guid.NewGuid(), TimeSpan.Zero))).Status);

        var (third, deleted) = await IssueNarrowAsync();
        await third.DeleteToken(deleted.TokenId);
        Assert.Equal(RotateTokenStatus.NotActive, (await third.RotateToken(new RotateTokenCommand(deleted.TokenId, TimeSpan.Zero))).Status);
    }

    [Fact]
    public async Task The_policy_applies_to_the_successor()
    {
        var (org, old) = await IssueNarrowAsync(days: 90);
        await org.SetPolicy(new OrganizationPolicy(30, [], false));

        var shortened = await org.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromDays(30), shortened.Create!.Token!.ExpiresAt - shortened.Create.Token.CreatedAt);

        await org.SetPolicy(new OrganizationPolicy(30, ["scans:read"], false));
        var refused = await org.RotateToken(new RotateTokenCommand(shortened.Create.Token.TokenId, TimeSpan.Zero));
        Assert.Equal((RotateTokenStatus.CreateFailed, CreateTokenStatus.PermissionForbidden), (refused.Status, refused.Create!.Status));
        Assert.True((await fixture.ValidateAsync(shortened.Create.Token.TokenId, shortened.Create.Token.Secret)).IsValid);
    }

    [Fact]
    public async Task A_scheduled_end_survives_the_organization_being_deactivated()
    {
        var (org, old) = await IssueNarrowAsync();
        await org.RotateToken(new RotateTokenCommand(old.TokenId, TimeSpan.FromHours(2)));

        var stored = (await fixture.ReadStoredAsync<ZeroPath.Grains.Organizations.OrganizationState>("organization", org)).State!;
        Assert.Equal(old.TokenId, Assert.Single(stored.ScheduledEnds).TokenId);
        // Every idle activation of this class's own cluster goes: the organization comes back from storage.
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        await fixture.AdvanceAsync(TimeSpan.FromHours(2));
        await fixture.EventuallyAsync(
            async () => (await fixture.ValidateAsync(old.TokenId, old.Secret)).Outcome == TokenValidationOutcome.Unknown,
            "the rotated token to end after a reactivation");
    }
}
