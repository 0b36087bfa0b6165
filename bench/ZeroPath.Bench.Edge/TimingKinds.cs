namespace ZeroPath.Bench.Edge;

/// <summary>Which token id a refused request carries.</summary>
internal enum TimingIds
{
    /// <summary>A random UUID (version 4, as the cluster issues) that no token has.</summary>
    Unknown = 0,

    /// <summary>The id of a token the bench created (its set says in what state).</summary>
    Token = 1,
}

/// <summary>Which secret a refused request carries (a fresh one per request, except the right secret).</summary>
internal enum TimingSecrets
{
    /// <summary>Current format, random body and tag, correct checksum: what anyone without the format key can make.</summary>
    RandomCurrent = 0,

    /// <summary>Current format with a valid tag for the id, made with the format key: never the token's own secret.</summary>
    Tagged = 1,

    /// <summary>43 random base64url characters: the shape of secrets issued before the current format.</summary>
    Legacy = 2,

    /// <summary>The secret the token was issued with.</summary>
    Right = 3,
}

/// <summary>
/// One kind of refused credentials in the refusal-timing scenario. <see cref="Path"/> is what the gateway and the cluster
/// do for it, read from <c>gateway/Authentication/TokenAuthenticator.cs</c> and <c>grains/Tokens/TokenGrain.cs</c>.
/// </summary>
internal sealed record TimingKind(
    string Id,
    string Title,
    string Path,
    TimingIds Ids,
    TimingSecrets Secrets,
    string? TokenSet = null,
    int MaxRepeatsPerId = int.MaxValue,
    TimingBudget Budget = TimingBudget.None)
{
    public bool SpendsLegacyBudget(bool cold) => Budget == TimingBudget.Always || (Budget == TimingBudget.First && cold);
}

/// <summary>
/// Which requests of a kind spend the gateway's legacy lookup budget (50 a second by default; past it the answer is 503
/// <c>validation_busy</c>): 43-character secrets the gateway cannot decide itself.
/// </summary>
internal enum TimingBudget
{
    None = 0,

    /// <summary>The first request of an id only (later ones are refused from the refusal cache).</summary>
    First = 1,

    Always = 2,
}

internal static class TimingKinds
{
    public const string UnknownRandom = "unknown.random";
    public const string UnknownRandomControl = "unknown.random.aa";
    public const string UnknownTagged = "unknown.tagged";
    public const string UnknownLegacy = "unknown.legacy";
    public const string WrongRandom = "wrong.random";
    public const string WrongTagged = "wrong.tagged";
    public const string WrongLegacy = "wrong.legacy";
    public const string InUseRandom = "inuse.random";
    public const string InUseLegacy = "inuse.legacy";
    public const string RevokedPushed = "revoked.pushed";
    public const string RevokedEarlier = "revoked.earlier";

    /// <summary>
    /// Requests per token of <see cref="WrongTagged"/>: each wrong secret costs an Argon2 verify and counts against the
    /// token; the 10th within 5 minutes (the default limit) locks it, and a locked token answers differently. 9 stays below.
    /// </summary>
    public const int TaggedRequestsPerToken = 9;

    /// <summary>Token sets created while the silo hashes cheaply: no request of these kinds runs Argon2.</summary>
    public static readonly string[] CheapSets = [WrongRandom, WrongLegacy, InUseRandom, InUseLegacy, RevokedPushed, RevokedEarlier];

    /// <summary>Token sets created with production Argon2: their wrong secrets are verified at production cost.</summary>
    public static readonly string[] Argon2Sets = [WrongTagged];

    public static readonly TimingKind[] All =
    [
        new(UnknownRandom, "unknown id, random `zp_` secret",
            "the tag check under the format key fails: refused at the gateway, no cluster call", TimingIds.Unknown, TimingSecrets.RandomCurrent),
        new(UnknownRandomControl, "the same again (A/A control)",
            "as above: the two should be indistinguishable", TimingIds.Unknown, TimingSecrets.RandomCurrent),
        new(UnknownTagged, "unknown id, `zp_` secret with a valid tag (format key)",
            "first: one grain call (activation, storage read of a missing record) answers unknown and the gateway remembers the id (5 min); then: refusal cache",
            TimingIds.Unknown, TimingSecrets.Tagged),
        new(UnknownLegacy, "unknown id, 43-character secret",
            "first: the legacy budget, then the same grain call as above, remembered; then: refusal cache",
            TimingIds.Unknown, TimingSecrets.Legacy, Budget: TimingBudget.First),
        new(WrongRandom, "live token, random `zp_` secret",
            "as for an unknown id: the tag fails before anything looks at the token", TimingIds.Token, TimingSecrets.RandomCurrent, WrongRandom),
        new(WrongTagged, "live token, wrong `zp_` secret with a valid tag (format key)",
            "every request: a grain call and an Argon2id verify at production cost (first: also activation and storage read); nothing remembered at the gateway",
            TimingIds.Token, TimingSecrets.Tagged, WrongTagged, TaggedRequestsPerToken),
        new(WrongLegacy, "live token, 43-character secret",
            "first: the legacy budget and a grain call (activation, storage read), which refuses it without Argon2 and says the token's secret is tagged; the gateway remembers that (5 min); then: refusal cache",
            TimingIds.Token, TimingSecrets.Legacy, WrongLegacy, Budget: TimingBudget.Always),
        new(InUseRandom, "token in use here (cached), random `zp_` secret",
            "a cache entry is found and its digest differs (one HMAC), then the tag fails: at the gateway", TimingIds.Token, TimingSecrets.RandomCurrent, InUseRandom),
        new(InUseLegacy, "token in use here (cached), 43-character secret",
            "a cache entry is found and its digest differs; the cached token has a tagged secret, so the gateway refuses it itself", TimingIds.Token, TimingSecrets.Legacy, InUseLegacy),
        new(RevokedPushed, "token revoked while this gateway listened, right secret",
            "the revocation was pushed: refusal cache from the first request", TimingIds.Token, TimingSecrets.Right, RevokedPushed),
        new(RevokedEarlier, "token revoked before this gateway started, right secret",
            "first: one grain call (activation, storage read: the hash is gone) answers unknown, remembered; then: refusal cache",
            TimingIds.Token, TimingSecrets.Right, RevokedEarlier),
    ];

    /// <summary>The comparisons the report shows, each as (A, B, the question it answers); B is compared against A.</summary>
    public static readonly (string A, string B, string Question)[] Comparisons =
    [
        (UnknownRandom, UnknownRandomControl, "noise: the same kind twice"),
        (UnknownRandom, WrongRandom, "random `zp_` secret: does a live id show?"),
        (UnknownRandom, InUseRandom, "random `zp_` secret: does an id in use here show?"),
        (UnknownLegacy, WrongLegacy, "43-character secret: does a live id show?"),
        (UnknownLegacy, InUseLegacy, "43-character secret: does an id in use here show?"),
        (UnknownTagged, WrongTagged, "valid tag (needs the format key): does a live id show?"),
        (UnknownRandom, UnknownTagged, "unknown id: random tag against valid tag"),
        (UnknownRandom, RevokedPushed, "revoked (pushed) against unknown"),
        (UnknownTagged, RevokedEarlier, "revoked (not pushed) against unknown, both with valid tags"),
    ];

    public static TimingKind Get(string id) => All.First(k => k.Id == id);
}
