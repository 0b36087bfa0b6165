using System.Security.Cryptography;
using ZeroPath.Grains.Security;

namespace ZeroPath.Grains.Tests.Security;

public sealed class ClusterCallProofTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2031, 5, 1, 12, 0, 30, TimeSpan.Zero);
    private readonly ClusterCallProof proofs = new(RandomNumberGenerator.GetBytes(32));

    public void Dispose() => proofs.Dispose();

    [Fact]
    public void A_proof_names_its_caller_for_the_call_it_was_made_for()
    {
        var proof = proofs.Create("org/acme", "token/1", "ITokenGrain", "Initialize", Now);

        Assert.Equal("org/acme", proofs.Verify(proof, "token/1", "ITokenGrain", "Initialize", Now));
        Assert.Equal("org/acme", proofs.Verify(proof, "token/1", "ITokenGrain", "Initialize", Now.AddMinutes(5)));
    }

    [Theory]
    [InlineData("token/2", "ITokenGrain", "Initialize", 0)]
    [InlineData("token/1", "IOrganizationGrain", "Initialize", 0)]
    [InlineData("token/1", "ITokenGrain", "Revoke", 0)]
    [InlineData("token/1", "ITokenGrain", "Initialize", 7)]
    [InlineData("token/1", "ITokenGrain", "Initialize", -7)]
    public void A_proof_does_not_serve_another_target_method_or_time(string target, string @interface, string method, int minutesLater)
    {
        var proof = proofs.Create("org/acme", "token/1", "ITokenGrain", "Initialize", Now);

        Assert.Null(proofs.Verify(proof, target, @interface, method, Now.AddMinutes(minutesLater)));
    }

    [Fact]
    public void Another_caller_or_key_or_a_mangled_proof_is_refused()
    {
        var proof = proofs.Create("org/acme", "token/1", "ITokenGrain", "Initialize", Now);
        var parts = proof.Split(':', 3);

        Assert.Null(proofs.Verify($"{parts[0]}:{parts[1]}:org/victim", "token/1", "ITokenGrain", "Initialize", Now));
        Assert.Null(new ClusterCallProof(RandomNumberGenerator.GetBytes(32)).Verify(proof, "token/1", "ITokenGrain", "Initialize", Now));
        foreach (var mangled in new[] { "", ":", "1:2:3", "x" + proof, proof[..^1], proof.Replace(parts[1], new string('A', parts[1].Length), StringComparison.Ordinal), $"-{proof}" })
        {
            Assert.Null(proofs.Verify(mangled, "token/1", "ITokenGrain", "Initialize", Now));
        }
    }

    [Fact]
    public void During_rotation_the_accepted_key_verifies_too()
    {
        byte[] oldKey = RandomNumberGenerator.GetBytes(32), newKey = RandomNumberGenerator.GetBytes(32);
        var fromOldSilo = new ClusterCallProof(oldKey).Create("org/acme", "token/1", "ITokenGrain", "Initialize", Now);

        Assert.Equal("org/acme", new ClusterCallProof(newKey, acceptedKey: oldKey).Verify(fromOldSilo, "token/1", "ITokenGrain", "Initialize", Now));
        Assert.Null(new ClusterCallProof(newKey).Verify(fromOldSilo, "token/1", "ITokenGrain", "Initialize", Now));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("c2hvcnQ=", "")]
    [InlineData("not base64", "")]
    [InlineData("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "c2hvcnQ=")]
    public void A_missing_or_weak_call_key_is_named(string key, string accepted)
    {
        var problems = new ClusterCallOptions { CallKey = key, AcceptedCallKey = accepted }.Problems().ToList();

        Assert.NotEmpty(problems);
    }
}
