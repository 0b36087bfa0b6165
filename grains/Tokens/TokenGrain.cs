using Microsoft.Extensions.Logging;
using ZeroPath.Grains.Secrets;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tokens;

public sealed partial class TokenGrain(
    [PersistentState("token", GrainStorageNames.Tokens)] IPersistentState<TokenState> state,
    TokenSecretHasher hasher,
    TimeProvider time,
    ILogger<TokenGrain> logger) : Grain, ITokenGrain
{
    private readonly VerifiedSecretDigest digest = new();
    private TokenValidation? valid;

    public async Task<TokenValidation> Validate(string secret)
    {
        if (!state.RecordExists)
        {
            // An unknown id: don't keep an activation around for it.
            DeactivateOnIdle();
            return TokenValidation.Invalid;
        }

        var token = state.State;
        if (token.SecretHash is null || !TokenSecretFormat.IsWellFormed(secret))
        {
            return TokenValidation.Invalid;
        }

        if (!digest.Matches(secret))
        {
            var check = await hasher.VerifyAsync(token.SecretHash, secret);
            if (check != SecretCheck.Match)
            {
                return check == SecretCheck.Busy ? TokenValidation.Busy : TokenValidation.Invalid;
            }

            // Terminate is not [ReadOnly], so it cannot have run while this verify was awaited.
            digest.Remember(secret);
        }

        // Expiry is judged on every call against the clock, never left to a background job.
        if (time.GetUtcNow() >= token.ExpiresAt)
        {
            return TokenValidation.Expired;
        }

        return valid ??= new TokenValidation(
            TokenValidationOutcome.Valid, token.OrganizationId, token.UserId, token.Permissions, token.ExpiresAt);
    }

    public Task<bool> IsLive() => Task.FromResult(state.RecordExists && !state.State.HasEnded);

    public async Task Initialize(TokenRecord record)
    {
        if (record.TokenId != this.GetPrimaryKey())
        {
            throw new ArgumentException($"Record for token {record.TokenId} sent to token {this.GetPrimaryKey()}.", nameof(record));
        }

        var initial = TokenState.From(record);
        if (state.RecordExists)
        {
            // A retried call with the same record is fine; anything else would edit an immutable token.
            if (!state.State.SameAs(initial))
            {
                LogInitializeRefused(logger, record.TokenId);
                throw new InvalidOperationException($"Token {record.TokenId} already exists and cannot be changed.");
            }

            return;
        }

        state.State = initial;
        await state.WriteStateAsync();
    }

    public async Task Terminate(TokenEndReason reason)
    {
        if (!state.RecordExists || state.State.HasEnded)
        {
            return;
        }

        digest.Forget();
        valid = null;
        var organizationId = state.State.OrganizationId;
        state.State = state.State with { SecretHash = null, EndedAt = time.GetUtcNow(), EndReason = reason };
        await state.WriteStateAsync();
        var tokenId = this.GetPrimaryKey();
        LogTerminated(logger, tokenId, organizationId, reason);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused to re-initialize existing token {TokenId} with a different record")]
    private static partial void LogInitializeRefused(ILogger logger, Guid tokenId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Token {TokenId} of organization {OrganizationId} ended: {Reason}")]
    private static partial void LogTerminated(ILogger logger, Guid tokenId, string organizationId, TokenEndReason reason);
}
