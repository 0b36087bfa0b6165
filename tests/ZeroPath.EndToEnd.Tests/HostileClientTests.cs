using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Xunit.Abstractions;
using ZeroPath.ServiceDefaults.ClusterSecurity;
using ZeroPath.Testing;

namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// Least privilege on the cluster plane, with real processes: an Orleans client holding a valid gateway certificate
/// (a compromised gateway pod) but not the call key tries every grain method a gateway may not call.
/// </summary>
public class HostileClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_client_with_a_gateway_certificate_can_only_validate_and_every_other_call_is_refused_and_changes_nothing()
    {
        var system = (await LocalSystem.CreateAsync()).WithCheapArgon2();
        await using var silo = system.StartSilo();
        await silo.WaitUntilOkAsync("/readyz");
        await using var gateway = system.StartGateway();
        await gateway.WaitUntilOkAsync("/readyz");
        using var admin = TokenApi.Admin(silo);
        using var edge = new HttpClient { BaseAddress = gateway.BaseAddress };
        var org = TestSettings.UniqueId("victim");
        await admin.AddMemberAsync(org, "alice", "scans:read");
        var token = await admin.CreateTokenAsync(org, "alice");
        var before = await SnapshotAsync(admin, org, token.TokenId);

        var lines = await RunHostileClientAsync(system, org, token.TokenId);

        foreach (var line in lines)
        {
            output.WriteLine(line);
        }

        var outcomes = lines.Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("succeeded", outcomes["ITokenGrain.Validate (edge)"]);
        Assert.Equal("succeeded", outcomes["ITokenUsageShardGrain.Record (edge)"]);
        var attempted = outcomes.Where(o => !o.Key.EndsWith("(edge)", StringComparison.Ordinal)).ToList();
        Assert.All(attempted, o => Assert.True(o.Value == "refused", $"{o.Key}: {o.Value}"));
        // Every mutating method of every grain, by name, so a new method cannot slip past unnoticed.
        foreach (var name in new[]
        {
            "IOrganizationGrain.SetMember", "IOrganizationGrain.CreateToken", "IOrganizationGrain.RevokeAll", "IOrganizationGrain.RemoveMember",
            "IOrganizationGrain.RevokeMemberTokens", "IOrganizationGrain.DeleteToken", "IOrganizationGrain.RevokeToken", "IOrganizationGrain.ListTokens",
            "IOrganizationGrain.AddToken", "IOrganizationGrain.RunFanOuts", "IOrganizationGrain.PendingWork",
            "IOrganizationGrain.RotateToken", "IOrganizationGrain.AddSuccessor", "IOrganizationGrain.SetPolicy", "IOrganizationGrain.GetPolicy",
            "IOrganizationGrain.ListTokensWithUse", "ITokenUsageShardGrain.Uses",
            "IMemberGrain.SetPermissions", "IMemberGrain.GetPermissions", "IMemberGrain.Remove",
            "ITokenIndexShardGrain.Add", "ITokenIndexShardGrain.Remove", "ITokenIndexShardGrain.Find", "ITokenIndexShardGrain.Page", "ITokenIndexShardGrain.Summary",
            "ITokenGrain.Initialize", "ITokenGrain.Terminate", "ITokenGrain.UpdatePermissions", "ITokenGrain.FollowOwnerPermissions", "ITokenGrain.Describe",
            "IRevocationMarksGrain.Publish", "ITokenEventHubGrain.PublishEnded", "ITokenEventHubGrain.PublishPermissions",
            "IAuditLogGrain.Record", "IAuditSegmentGrain.Write", "ITokenGrain.Initialize (forged proof)",
        })
        {
            Assert.True(outcomes.ContainsKey(name), $"{name} was not tried");
        }

        output.WriteLine($"{attempted.Count} calls from the hostile client, all refused");

        // Nothing changed: same members, tokens and audit trail; the victim's token still validates at the edge.
        Assert.Equal(before, await SnapshotAsync(admin, org, token.TokenId));
        using var asMallory = await admin.PostAsJsonAsync(new Uri($"/admin/v1/orgs/{org}/tokens", UriKind.Relative), new { userId = "mallory" });
        Assert.False(asMallory.IsSuccessStatusCode, "mallory became a member");
        Assert.Equal(HttpStatusCode.OK, await edge.CheckAsync(token.TokenId, token.Secret));
        Assert.DoesNotContain(token.Secret, silo.Output, StringComparison.Ordinal);
    }

    private static async Task<string> SnapshotAsync(HttpClient admin, string org, string tokenId)
    {
        var tokens = await admin.GetStringAsync(new Uri($"/admin/v1/orgs/{org}/tokens", UriKind.Relative));
        var token = await admin.GetStringAsync(new Uri($"/admin/v1/tokens/{tokenId}", UriKind.Relative));
        var audit = await admin.GetStringAsync(new Uri($"/admin/v1/orgs/{org}/audit", UriKind.Relative));
        var policy = await admin.GetStringAsync(new Uri($"/admin/v1/orgs/{org}/policy", UriKind.Relative));
        return $"{tokens}\n{token}\n{audit}\n{policy}";
    }

    private static async Task<string[]> RunHostileClientAsync(LocalSystem system, string org, string tokenId)
    {
        var folder = Path.Combine(Repository.Root, "tests", "ZeroPath.HostileClient", "bin", Repository.Configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(folder, "ZeroPath.HostileClient.dll"));
        foreach (var (key, value) in TestCertificates.Settings(ClusterRole.Gateway).Append(new("ZeroPath:Cluster:ClusterId", system.ClusterId))
            .Append(new("ZeroPath:Cluster:Redis", system.Redis)).Append(new("Victim:Org", org)).Append(new("Victim:Token", tokenId)))
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"hostile client exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
