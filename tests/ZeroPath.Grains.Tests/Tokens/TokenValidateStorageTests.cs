using ZeroPath.Grains.Tokens;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

public sealed class CountingStorageClusterFixture : IAsyncLifetime
{
    public TokenTestCluster Cluster { get; private set; } = null!;
    public CountingGrainStorage Storage { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TokenTestCluster.StartAsync(configure: silo =>
        CountingGrainStorage.Decorate(silo.Services, GrainStorageNames.Tokens, storage => Storage = storage));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public IGrainFactory Grains => Cluster.Grains;

    /// <summary>A new organization with one member, and a token issued to them.</summary>
    public async Task<(IOrganizationGrain Org, IssuedToken Token)> IssueAsync(int days = 30)
    {
        var org = Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var result = await org.CreateToken(new CreateTokenCommand("alice", null, days));
        Assert.Equal(CreateTokenStatus.Created, result.Status);
        return (org, result.Token!);
    }

    /// <summary>What storage holds for a token (read past the counting and failing layer); null when nothing was stored.</summary>
    public async Task<TokenState?> ReadStoredTokenAsync(Guid tokenId)
    {
        var stored = new GrainState<TokenState>();
        await Storage.ReadStateAsync("token", Grains.GetGrain<ITokenGrain>(tokenId).GetGrainId(), stored);
        return stored.RecordExists ? stored.State : null;
    }
}

public class TokenValidateStorageTests(CountingStorageClusterFixture fixture) : IClassFixture<CountingStorageClusterFixture>
{
    [Fact]
    public async Task Validating_an_active_token_reads_and_writes_nothing()
    {
        var org = fixture.Cluster.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var token = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var grain = fixture.Cluster.Grains.GetGrain<ITokenGrain>(token.TokenId);
        Assert.True((await grain.Validate(token.Secret)).IsValid);
        var before = fixture.Storage.OperationsOn(grain.GetGrainId());

        for (var i = 0; i < 100; i++)
        {
            Assert.True((await grain.Validate(token.Secret)).IsValid);
            await grain.Validate(TestSettings.FormatKeys.NewSecret(token.TokenId));
        }

        Assert.True(before > 0, "the token's creation went through the counting storage");
        Assert.Equal(before, fixture.Storage.OperationsOn(grain.GetGrainId()));
    }
}
