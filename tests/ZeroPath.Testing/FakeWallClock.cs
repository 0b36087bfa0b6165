using Microsoft.Extensions.Time.Testing;

namespace ZeroPath.Testing;

/// <summary>
/// The fake clock's date and time with real timers and a real monotonic clock: a gateway in a test judges token expiry
/// by the silo's fake clock while its background loops and staleness bounds run in real time.
/// </summary>
public sealed class FakeWallClock(FakeTimeProvider fake) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();
}
