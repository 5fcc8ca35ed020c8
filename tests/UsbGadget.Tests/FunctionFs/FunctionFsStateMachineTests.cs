using UsbGadget.FunctionFs;
using S = UsbGadget.FunctionFs.FunctionFsState;
using E = UsbGadget.FunctionFs.FunctionFsEventType;

namespace UsbGadget.Tests.FunctionFs;

public class FunctionFsStateMachineTests
{
    [Theory]
    // The usual life: bind, host configures, host deconfigures or resets, configures again, unbind, bind again.
    [InlineData(S.DescriptorsWritten, E.Bind, S.Bound)]
    [InlineData(S.Bound, E.Enable, S.Enabled)]
    [InlineData(S.Enabled, E.Disable, S.Disabled)]
    [InlineData(S.Disabled, E.Enable, S.Enabled)]
    [InlineData(S.Enabled, E.Unbind, S.Unbound)]
    [InlineData(S.Disabled, E.Unbind, S.Unbound)]
    [InlineData(S.Bound, E.Unbind, S.Unbound)]
    [InlineData(S.Unbound, E.Bind, S.Bound)]
    // A repeated ENABLE (SET_CONFIGURATION or SET_INTERFACE again) stays enabled.
    [InlineData(S.Enabled, E.Enable, S.Enabled)]
    // The kernel purges unread BIND/UNBIND when ENABLE/BIND/... arrive, so skipped steps must be accepted.
    [InlineData(S.DescriptorsWritten, E.Enable, S.Enabled)]
    [InlineData(S.Enabled, E.Bind, S.Bound)]
    [InlineData(S.Bound, E.Disable, S.Disabled)]
    [InlineData(S.DescriptorsWritten, E.Disable, S.Disabled)]
    // Events that do not move the lifecycle.
    [InlineData(S.Enabled, E.Setup, S.Enabled)]
    [InlineData(S.Enabled, E.Suspend, S.Enabled)]
    [InlineData(S.Enabled, E.Resume, S.Enabled)]
    [InlineData(S.Enabled, (E)9, S.Enabled)]
    [InlineData(S.Unbound, E.Disable, S.Unbound)]
    [InlineData(S.DescriptorsWritten, E.Unbind, S.DescriptorsWritten)]
    // Nothing happens before the descriptors are written or after disposal.
    [InlineData(S.Created, E.Bind, S.Created)]
    [InlineData(S.Created, E.Enable, S.Created)]
    [InlineData(S.Disposed, E.Enable, S.Disposed)]
    [InlineData(S.Disposed, E.Bind, S.Disposed)]
    public void Next_follows_the_lifecycle(S state, object @event, S expected)
    {
        // The event type is internal: it comes boxed, as the test method is public.
        Assert.Equal(expected, FunctionFsStateMachine.Next(state, (E)@event));
    }

    [Fact]
    public void A_whole_session_walks_through_every_state()
    {
        S state = FunctionFsStateMachine.DescriptorsWritten(S.Created);
        var seen = new List<S> { state };
        foreach (E @event in new[] { E.Bind, E.Enable, E.Suspend, E.Resume, E.Disable, E.Enable, E.Setup, E.Unbind })
        {
            state = FunctionFsStateMachine.Next(state, @event);
            if (seen[^1] != state)
            {
                seen.Add(state);
            }
        }

        Assert.Equal([S.DescriptorsWritten, S.Bound, S.Enabled, S.Disabled, S.Enabled, S.Unbound], seen);
    }

    [Fact]
    public void Descriptors_can_be_written_only_once()
    {
        Assert.Equal(S.DescriptorsWritten, FunctionFsStateMachine.DescriptorsWritten(S.Created));
        Assert.Throws<InvalidOperationException>(() => FunctionFsStateMachine.DescriptorsWritten(S.Bound));
    }

    [Theory]
    [InlineData(E.Enable, true)]
    [InlineData(E.Disable, true)]
    [InlineData(E.Bind, true)]
    [InlineData(E.Unbind, true)]
    [InlineData(E.Setup, false)]
    [InlineData(E.Suspend, false)]
    [InlineData(E.Resume, false)]
    public void Endpoint_queues_restart_on_every_configuration_event(object @event, bool stops)
    {
        Assert.Equal(stops, FunctionFsStateMachine.StopsEndpoints((E)@event));
    }
}
