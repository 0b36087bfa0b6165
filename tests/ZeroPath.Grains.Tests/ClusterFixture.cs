using System.Collections.Immutable;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests;

/// <summary>One cluster per test class; tests stay independent by using fresh organization ids.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TokenTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Grains;

    public async Task InitializeAsync() => Cluster = await TokenTestCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A new organization with one member, and a token issued to them.</summary>
    public async Task<(IOrganizationGrain Org, IssuedToken Token)> IssueAsync(
        string[]? permissions = null, int days = 30, string userId = "alice", string? name = "CI")
    {
        var org = Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember(userId, [.. permissions ?? ["scans:read"]]);
        var result = await org.CreateToken(new CreateTokenCommand(userId, name, days));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return (org, result.Token!);
    }

    public Task<TokenValidation> ValidateAsync(Guid tokenId, string secret) =>
        Grains.GetGrain<ITokenGrain>(tokenId).Validate(secret);

    public static ImmutableArray<string> Permissions(params string[] values) => [.. values];
}
