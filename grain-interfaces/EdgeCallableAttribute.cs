namespace ZeroPath.Tokens;

/// <summary>
/// A grain method an edge gateway (an Orleans client without the cluster call key) may call. Every other method of the
/// cluster's grains is refused unless the call carries a proof made with the call key, which only silos hold.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class EdgeCallableAttribute : Attribute;
