using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Events;

/// <summary>How what a gateway received compares with what the hub says it published.</summary>
public enum StreamCheck
{
    /// <summary>Every event the hub published has arrived.</summary>
    InSync = 0,

    /// <summary>Some published events have not arrived (yet, or ever).</summary>
    Behind = 1,

    /// <summary>The hub is a different activation: events it published before this gateway subscribed were not sent here.</summary>
    NewStream = 2,
}

/// <summary>
/// Which events of the hub's numbered stream have arrived: the highest number received with none missing below it,
/// and any that arrived ahead of a missing one. Thread-safe.
/// </summary>
public sealed class TokenEventSequence
{
    private readonly Lock gate = new();
    private readonly SortedSet<long> ahead = [];
    private Guid stream;
    private long received;

    public void Received(TokenEventPosition position)
    {
        lock (gate)
        {
            // From a stream not yet followed: the next check reports NewStream.
            if (position.Stream == stream && position.Sequence > received)
            {
                ahead.Add(position.Sequence);
                Advance();
            }
        }
    }

    public StreamCheck Check(TokenEventPosition hub)
    {
        lock (gate)
        {
            return hub.Stream != stream ? StreamCheck.NewStream
                : received < hub.Sequence ? StreamCheck.Behind
                : StreamCheck.InSync;
        }
    }

    /// <summary>Starts following <paramref name="hub"/> from its position: whatever came before is given up on.</summary>
    public void Resync(TokenEventPosition hub)
    {
        lock (gate)
        {
            if (hub.Stream != stream)
            {
                ahead.Clear();
            }

            stream = hub.Stream;
            received = Math.Max(received, hub.Sequence);
            ahead.RemoveWhere(sequence => sequence <= received);
            Advance();
        }
    }

    private void Advance()
    {
        while (ahead.Count > 0 && ahead.Min == received + 1)
        {
            received++;
            ahead.Remove(received);
        }
    }
}
