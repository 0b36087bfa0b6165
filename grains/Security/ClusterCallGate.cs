using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Security;

/// <summary>
/// Who called the grain method running now, as proven by the cluster call key; null when the call carried no valid
/// proof (an edge gateway calling an <see cref="EdgeCallableAttribute"/> method).
/// </summary>
public static class ClusterCallOrigin
{
    private static readonly AsyncLocal<string?> Verified = new();
    private static readonly AsyncLocal<string?> Acting = new();

    /// <summary>The caller's grain id, as its proof names it.</summary>
    public static string? VerifiedCaller => Verified.Value;

    /// <summary>The caller the next calls made from this flow will name instead of the current grain (see <see cref="ActAs"/>).</summary>
    internal static string? ActingAs => Acting.Value;

    internal static void SetVerified(string? caller) => Verified.Value = caller;

    /// <summary>
    /// Makes calls from this flow name <paramref name="caller"/> as their origin. Only code that holds the call key (a silo,
    /// or a trusted tool or test with the key) can make such calls at all, and it could sign any caller anyway.
    /// </summary>
    public static IDisposable ActAs(GrainId caller)
    {
        var previous = Acting.Value;
        Acting.Value = caller.ToString();
        return new Restore(previous);
    }

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => Acting.Value = previous;
    }
}

internal enum CallPolicy
{
    /// <summary>Not the cluster's own interface (Orleans' runtime): passed through.</summary>
    Open,

    /// <summary>May be called by an edge gateway without a proof.</summary>
    Edge,

    /// <summary>Needs a valid proof.</summary>
    Proven,
}

/// <summary>
/// Silo side of the cluster plane's least privilege. A silo cannot tell from a message where it came from: a client
/// connection sets the message's sending grain itself, and a silo's gateway forwards it as its own. So every call to the
/// cluster's grains must carry a proof made with the call key, which only silos hold; an edge gateway has none and may
/// call only methods marked <see cref="EdgeCallableAttribute"/>. Everything else from it is refused before the grain runs.
/// </summary>
internal sealed partial class ClusterCallGate(ClusterCallProof proofs, ILogger<ClusterCallGate> logger) : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<MethodInfo, CallPolicy> Policies = new();

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var policy = PolicyOf(context.InterfaceMethod);
        if (policy == CallPolicy.Open)
        {
            await context.Invoke();
            return;
        }

        var caller = RequestContext.Get(ClusterCallProof.RequestContextKey) is string proof
            ? proofs.Verify(proof, context.TargetId.ToString(), context.InterfaceName, context.MethodName, DateTimeOffset.UtcNow)
            : null;
        if (caller is null && policy != CallPolicy.Edge)
        {
            LogRefused(logger, context.InterfaceName, context.MethodName, context.TargetId.ToString());
            throw new UnauthorizedAccessException($"{context.InterfaceName}.{context.MethodName} may not be called from outside the cluster.");
        }

        ClusterCallOrigin.SetVerified(caller);
        await context.Invoke();
    }

    internal static CallPolicy PolicyOf(MethodInfo method) => Policies.GetOrAdd(method, static m =>
    {
        var declaring = m.DeclaringType;
        var ours = declaring?.Namespace?.StartsWith("ZeroPath.", StringComparison.Ordinal) == true || declaring == typeof(IRemindable);
        return !ours ? CallPolicy.Open
            : m.IsDefined(typeof(EdgeCallableAttribute), inherit: false) ? CallPolicy.Edge
            : CallPolicy.Proven;
    });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Interface}.{Method} on {Target}: the call carried no valid cluster call proof (a client may call only edge methods)")]
    private static partial void LogRefused(ILogger logger, string @interface, string method, string target);
}

/// <summary>Signs every call this process makes to the cluster's grains with the call key (silos and trusted tools only).</summary>
internal sealed class ClusterCallStamp(ClusterCallProof proofs) : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (ClusterCallGate.PolicyOf(context.InterfaceMethod) != CallPolicy.Open)
        {
            var caller = ClusterCallOrigin.ActingAs ?? context.SourceId?.ToString() ?? "";
            RequestContext.Set(ClusterCallProof.RequestContextKey,
                proofs.Create(caller, context.TargetId.ToString(), context.InterfaceName, context.MethodName, DateTimeOffset.UtcNow));
        }

        await context.Invoke();
    }
}
