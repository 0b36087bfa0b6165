using ZeroPath.Gateway.Events;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Push;

public class TokenEventSequenceTests
{
    private readonly Guid stream = Guid.NewGuid();

    private TokenEventPosition At(long sequence) => new(stream, sequence);

    private TokenEventSequence Following(long from = 0)
    {
        var events = new TokenEventSequence();
        events.Resync(At(from));
        return events;
    }

    [Fact]
    public void A_new_sequence_sees_any_hub_as_a_new_stream_until_it_resyncs()
    {
        var events = new TokenEventSequence();
        Assert.Equal(StreamCheck.NewStream, events.Check(At(0)));

        events.Resync(At(7));

        Assert.Equal(StreamCheck.InSync, events.Check(At(7)));
        Assert.Equal(StreamCheck.Behind, events.Check(At(8)));
    }

    [Fact]
    public void Events_received_in_order_keep_it_in_sync()
    {
        var events = Following();

        for (var i = 1; i <= 5; i++)
        {
            events.Received(At(i));
            Assert.Equal(StreamCheck.InSync, events.Check(At(i)));
        }
    }

    [Fact]
    public void A_missing_event_leaves_it_behind_until_it_arrives()
    {
        var events = Following();
        events.Received(At(1));
        events.Received(At(3));
        events.Received(At(4));

        Assert.Equal(StreamCheck.Behind, events.Check(At(4)));
        events.Received(At(2));
        Assert.Equal(StreamCheck.InSync, events.Check(At(4)));
    }

    [Fact]
    public void Duplicate_and_old_events_change_nothing()
    {
        var events = Following(from: 3);
        events.Received(At(1));
        events.Received(At(3));
        events.Received(At(4));
        events.Received(At(4));

        Assert.Equal(StreamCheck.InSync, events.Check(At(4)));
        Assert.Equal(StreamCheck.Behind, events.Check(At(5)));
    }

    [Fact]
    public void Events_of_a_stream_not_followed_are_ignored()
    {
        var events = Following();
        var other = Guid.NewGuid();

        events.Received(new TokenEventPosition(other, 1));

        Assert.Equal(StreamCheck.Behind, events.Check(At(1)));
        Assert.Equal(StreamCheck.NewStream, events.Check(new TokenEventPosition(other, 1)));
    }

    [Fact]
    public void Resync_gives_up_on_missing_events_but_keeps_those_that_arrived_ahead()
    {
        var events = Following();
        events.Received(At(1));
        events.Received(At(3));
        events.Received(At(5));

        events.Resync(At(2));

        Assert.Equal(StreamCheck.InSync, events.Check(At(3)));
        Assert.Equal(StreamCheck.Behind, events.Check(At(5)));
        events.Received(At(4));
        Assert.Equal(StreamCheck.InSync, events.Check(At(5)));
    }

    [Fact]
    public void Resync_to_a_new_stream_drops_what_arrived_ahead_in_the_old_one()
    {
        var events = Following();
        events.Received(At(2));
        var next = Guid.NewGuid();

        events.Resync(new TokenEventPosition(next, 0));
        events.Received(new TokenEventPosition(next, 1));

        Assert.Equal(StreamCheck.InSync, events.Check(new TokenEventPosition(next, 1)));
        Assert.Equal(StreamCheck.Behind, events.Check(new TokenEventPosition(next, 2)));
    }
}
