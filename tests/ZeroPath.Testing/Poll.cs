using Xunit;

namespace ZeroPath.Testing;

/// <summary>
/// Waits for an effect that has no event to await (an export, a push, a background write): the condition is checked
/// every <c>every</c> until it holds, and the test fails naming <c>what</c> once <c>limit</c> has passed.
/// </summary>
public static class Poll
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan limit, string what, TimeSpan? every = null) =>
        UntilAsync(() => Task.FromResult(condition()), limit, what, every);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {limit.TotalSeconds:0.#} s for {what}");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(20));
        }
    }
}
