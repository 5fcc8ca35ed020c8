using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

public class ControlRequestDispatcherTests
{
    private static readonly ControlRequest s_vendorIn = new(0xc0, 0x01, 0, 0, 64);
    private static readonly ControlRequest s_vendorOutWithData = new(0x40, 0x02, 0, 0, 5);
    private static readonly ControlRequest s_vendorOutNoData = new(0x40, 0x04, 0, 0, 0);

    private static ValueTask<ControlOutcome> Dispatch(FakeEp0 ep0, ControlRequest request, IControlRequestHandler? handler)
        => new ControlRequestDispatcher(ep0, NullLogger.Instance).DispatchAsync(request, handler, CancellationToken.None);

    [Fact]
    public async Task Without_a_handler_an_IN_request_is_stalled_with_a_read()
    {
        var ep0 = new FakeEp0(s_vendorIn);

        Assert.Equal(ControlOutcome.Stalled, await Dispatch(ep0, s_vendorIn, handler: null));
        Assert.Equal(["read(0)"], ep0.Operations);
    }

    [Fact]
    public async Task Without_a_handler_an_OUT_request_is_stalled_with_a_write_and_its_data_is_not_read()
    {
        var ep0 = new FakeEp0(s_vendorOutWithData) { OutData = [1, 2, 3, 4, 5] };

        Assert.Equal(ControlOutcome.Stalled, await Dispatch(ep0, s_vendorOutWithData, handler: null));
        Assert.Equal(["write(0)"], ep0.Operations);
    }

    [Fact]
    public async Task The_default_response_is_a_stall()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        var handler = new TestHandler((_, _) => default);

        Assert.Equal(ControlOutcome.Stalled, await Dispatch(ep0, s_vendorIn, handler));
        Assert.Equal(["read(0)"], ep0.Operations);
        Assert.Equal(ControlResponse.Stall, default(ControlResponse));
    }

    [Fact]
    public async Task IN_data_is_written_and_truncated_to_wLength()
    {
        var request = s_vendorIn with { Length = 4 };
        var ep0 = new FakeEp0(request);
        var handler = new TestHandler((_, _) => ControlResponse.Data(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }));

        Assert.Equal(ControlOutcome.DataSent, await Dispatch(ep0, request, handler));
        Assert.Equal(["write(4)"], ep0.Operations);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, ep0.Written);
    }

    [Fact]
    public async Task IN_data_shorter_than_wLength_is_written_whole()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        var handler = new TestHandler((_, _) => ControlResponse.Data("v1.2"u8.ToArray()));

        Assert.Equal(ControlOutcome.DataSent, await Dispatch(ep0, s_vendorIn, handler));
        Assert.Equal("v1.2"u8.ToArray(), ep0.Written);
    }

    [Fact]
    public async Task Ack_of_a_no_data_request_is_a_zero_length_read()
    {
        var ep0 = new FakeEp0(s_vendorOutNoData);
        var handler = new TestHandler((_, _) => ControlResponse.Ack);

        Assert.Equal(ControlOutcome.Acknowledged, await Dispatch(ep0, s_vendorOutNoData, handler));
        Assert.Equal(["read(0)"], ep0.Operations);
    }

    [Fact]
    public async Task Ack_of_an_IN_request_is_a_zero_length_write()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        var handler = new TestHandler((_, _) => ControlResponse.Ack);

        Assert.Equal(ControlOutcome.Acknowledged, await Dispatch(ep0, s_vendorIn, handler));
        Assert.Equal(["write(0)"], ep0.Operations);
    }

    [Fact]
    public async Task OUT_data_is_read_before_the_handler_runs_and_handed_to_it()
    {
        var ep0 = new FakeEp0(s_vendorOutWithData) { OutData = [10, 20, 30, 40, 50] };
        var handler = new TestHandler((_, _) => ControlResponse.Ack);

        Assert.Equal(ControlOutcome.Acknowledged, await Dispatch(ep0, s_vendorOutWithData, handler));
        Assert.Equal(["read(5)"], ep0.Operations);
        (ControlRequest request, byte[] data) = Assert.Single(handler.Calls);
        Assert.Equal(s_vendorOutWithData, request);
        Assert.Equal(new byte[] { 10, 20, 30, 40, 50 }, data);
    }

    [Fact]
    public async Task A_short_OUT_data_stage_hands_only_the_bytes_received()
    {
        var ep0 = new FakeEp0(s_vendorOutWithData) { OutData = [7, 8] };
        var handler = new TestHandler((_, _) => ControlResponse.Ack);

        await Dispatch(ep0, s_vendorOutWithData, handler);

        Assert.Equal(new byte[] { 7, 8 }, Assert.Single(handler.Calls).Data);
    }

    [Fact]
    public async Task OUT_data_refused_up_front_is_stalled_without_reading_it()
    {
        var ep0 = new FakeEp0(s_vendorOutWithData) { OutData = [1, 2, 3, 4, 5] };
        var handler = new TestHandler((_, _) => ControlResponse.Ack, acceptsOutData: false);

        Assert.Equal(ControlOutcome.Stalled, await Dispatch(ep0, s_vendorOutWithData, handler));
        Assert.Equal(["write(0)"], ep0.Operations);
        Assert.Empty(handler.Calls);
    }

    [Fact]
    public async Task A_stall_after_OUT_data_was_read_cannot_happen_and_the_transfer_stays_accepted()
    {
        var ep0 = new FakeEp0(s_vendorOutWithData) { OutData = [1, 2, 3, 4, 5] };
        var handler = new TestHandler((_, _) => ControlResponse.Stall);

        Assert.Equal(ControlOutcome.Acknowledged, await Dispatch(ep0, s_vendorOutWithData, handler));
        Assert.Equal(["read(5)"], ep0.Operations);
    }

    [Fact]
    public async Task A_handler_exception_becomes_a_stall()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        var handler = new TestHandler((_, _) => throw new InvalidOperationException("boom"));

        Assert.Equal(ControlOutcome.Stalled, await Dispatch(ep0, s_vendorIn, handler));
        Assert.Equal(["read(0)"], ep0.Operations);
    }

    [Fact]
    public async Task Data_for_a_host_to_device_request_is_a_handler_bug_and_stalls()
    {
        var ep0 = new FakeEp0(s_vendorOutNoData);
        var handler = new TestHandler((_, _) => ControlResponse.Data(new byte[] { 1 }));

        Assert.Equal(ControlOutcome.Stalled, await Dispatch(ep0, s_vendorOutNoData, handler));
        Assert.Equal(["write(0)"], ep0.Operations);
    }

    [Fact]
    public async Task EIDRM_means_superseded_and_is_not_retried()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        ep0.ScriptedErrors.Enqueue(Errno.EIDRM);
        var handler = new TestHandler((_, _) => ControlResponse.Data(new byte[] { 1 }));

        Assert.Equal(ControlOutcome.Superseded, await Dispatch(ep0, s_vendorIn, handler));
        Assert.Single(ep0.Operations);
    }

    [Fact]
    public async Task ESRCH_means_no_setup_pending()
    {
        var ep0 = new FakeEp0(s_vendorOutNoData);
        ep0.ScriptedErrors.Enqueue(Errno.ESRCH);

        Assert.Equal(ControlOutcome.NoSetupPending, await Dispatch(ep0, s_vendorOutNoData, new TestHandler((_, _) => ControlResponse.Ack)));
    }

    [Fact]
    public async Task EAGAIN_from_a_busy_ep0_is_retried()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        ep0.ScriptedErrors.Enqueue(Errno.EAGAIN);
        ep0.ScriptedErrors.Enqueue(Errno.EAGAIN);

        Assert.Equal(ControlOutcome.DataSent, await Dispatch(ep0, s_vendorIn, new TestHandler((_, _) => ControlResponse.Data(new byte[] { 9 }))));
        Assert.Equal(["write(1)", "write(1)", "write(1)"], ep0.Operations);
    }

    [Fact]
    public async Task Another_errno_is_a_failure()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        ep0.ScriptedErrors.Enqueue(Errno.ESHUTDOWN);

        Assert.Equal(ControlOutcome.Failed, await Dispatch(ep0, s_vendorIn, new TestHandler((_, _) => ControlResponse.Data(new byte[] { 9 }))));
    }

    [Fact]
    public async Task A_stall_that_the_kernel_did_not_report_with_EL2HLT_is_a_failure()
    {
        var ep0 = new FakeEp0(s_vendorIn);
        ep0.ScriptedErrors.Enqueue(Errno.None);

        Assert.Equal(ControlOutcome.Failed, await Dispatch(ep0, s_vendorIn, handler: null));
    }
}
