using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>One API token, keyed by its Token ID. Holds the secret's hash, expiry, owner and permission snapshot.</summary>
[Alias("zp.token")]
public interface ITokenGrain : IGrainWithGuidKey
{
    /// <summary>Checks a presented secret. Read-only, so warm validations never queue behind a cold Argon2 verify.</summary>
    [ReadOnly]
    [Alias("validate")]
    Task<TokenValidation> Validate(string secret);

    /// <summary>True while the token is stored and has not ended (expired tokens included).</summary>
    [ReadOnly]
    [Alias("is-live")]
    Task<bool> IsLive();

    /// <summary>Stores a newly issued token. Called once, by its organization; a second, different record is refused.</summary>
    [Alias("initialize")]
    Task Initialize(TokenRecord record);

    /// <summary>Ends the token for good: the hash is dropped and every later validation fails.</summary>
    [Alias("terminate")]
    Task Terminate(TokenEndReason reason);
}
