namespace ZeroPath.EndToEnd.Tests;

/// <summary>
/// Fault tests run one at a time: each starts several real processes and some measure time windows, which sharing two
/// cores with another such test would distort.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultTests
{
    public const string Name = "fault tests";
}
