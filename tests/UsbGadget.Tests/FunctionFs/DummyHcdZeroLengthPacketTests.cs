using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

/// <summary>
/// dummy_hcd before 6.1.168, 6.12.81, 6.18.22 and 7.0 sends a queued zero-length IN request ahead of a request its
/// bandwidth budget cut short, which ends the host's read early (docs/kernels.md). Where that kernel and a dummy_udc
/// meet, a write's zero-length packet waits for its data; everywhere else it is queued at once.
/// </summary>
public sealed class DummyHcdZeroLengthPacketTests : IAsyncLifetime
{
    private readonly FakeEndpointIo _io = new();
    private readonly AioBufferPool _pool = new(4096, 8);
    private readonly InEndpoint _bulk;

    public DummyHcdZeroLengthPacketTests()
    {
        _bulk = new InEndpoint("/ffs/ep2", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[1], _io, _pool, depth: 4, transferSize: 1024, NullLogger.Instance)
        {
            ZeroLengthPacketWaitsForData = true,
        };
        _bulk.Enable(1, packetSize: 512);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Assert.True(await _bulk.StopAsync(TimeSpan.FromSeconds(5)));
        _pool.Dispose();
    }

    [Theory]
    [InlineData("6.1.167", true)]
    [InlineData("6.1.168", false)]
    [InlineData("6.1.192", false)]
    [InlineData("6.6.120", true)] // the 6.6 series' fix release is not known here: treated as affected
    [InlineData("6.12.80", true)]
    [InlineData("6.12.81", false)]
    [InlineData("6.12.118", false)]
    [InlineData("6.18.15", true)]
    [InlineData("6.18.22", false)]
    [InlineData("6.19.5", true)]
    [InlineData("7.0.0", false)]
    [InlineData("7.3.1", false)]
    [InlineData("5.10.200", true)]
    public void The_bug_is_in_every_kernel_before_the_fix_of_its_stable_series(string kernel, bool affected)
    {
        Assert.Equal(affected, DummyHcdZeroLengthPacketQuirk.IsAffected(Version.Parse(kernel)));
    }

    [Fact]
    public void The_workaround_applies_only_where_a_dummy_udc_exists()
    {
        var affected = new Version(6, 18, 15);

        Assert.True(DummyHcdZeroLengthPacketQuirk.Applies(affected, ["dummy_udc.0"]));
        Assert.True(DummyHcdZeroLengthPacketQuirk.Applies(affected, ["fe980000.usb", "dummy_udc.1"]));
        Assert.False(DummyHcdZeroLengthPacketQuirk.Applies(affected, ["fe980000.usb"]));
        Assert.False(DummyHcdZeroLengthPacketQuirk.Applies(affected, []));
        Assert.False(DummyHcdZeroLengthPacketQuirk.Applies(new Version(6, 12, 118), ["dummy_udc.0"]));
    }

    [Theory]
    [InlineData("6.1.0-57-amd64", "Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-20)", "6.1.192")]
    [InlineData("6.18.15+deb13-amd64", "Linux version 6.18.15+deb13-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.18.15-1~bpo13+1 (2026-03-12)", "6.18.15")]
    [InlineData("6.6.51+rpt-rpi-v8", "Linux version 6.6.51+rpt-rpi-v8 (serge@raspberrypi.com) #1 SMP PREEMPT", "6.6.51")]
    [InlineData("6.12.0", null, "6.12.0")]
    public void The_upstream_version_is_Debians_own_where_uname_hides_it(string release, string? procVersion, string expected)
    {
        Assert.Equal(Version.Parse(expected), DummyHcdZeroLengthPacketQuirk.UpstreamVersion(release, procVersion));
    }

    [Fact]
    public async Task The_zero_length_packet_is_queued_only_once_the_data_before_it_is_sent()
    {
        ValueTask write = _bulk.WriteAsync(new byte[1536]);

        Assert.False(write.IsCompleted);
        Assert.Equal([1024, 512], _io.Submissions.Select(s => s.Length));
        _io.Submissions[0].Complete(1024);
        await Task.Delay(50);
        Assert.Equal(2, _io.Submissions.Count);
        _io.Submissions[1].Complete(512);

        await write.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([1024, 512, 0], _io.Submissions.Select(s => s.Length));
    }

    [Theory]
    [InlineData(100, new[] { 100 })]
    [InlineData(1500, new[] { 1024, 476 })]
    [InlineData(0, new[] { 0 })]
    public async Task A_write_that_needs_no_zero_length_packet_does_not_wait(int length, int[] kernelWrites)
    {
        await _bulk.WriteAsync(new byte[length]).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(kernelWrites, _io.Submissions.Select(s => s.Length));
    }

    [Fact]
    public async Task A_write_cancelled_while_its_zero_length_packet_waits_sends_no_zero_length_packet()
    {
        using var cancellation = new CancellationTokenSource();
        ValueTask write = _bulk.WriteAsync(new byte[512], cancellation.Token);

        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await write);
        Assert.Equal([512], _io.Submissions.Select(s => s.Length));
    }

    [Fact]
    public async Task The_writer_resumes_off_the_completion_thread_after_the_wait()
    {
        _io.ActsAsCompletionThread = true;
        ValueTask write = _bulk.WriteAsync(new byte[512]);

        Assert.False(await CompletionThreadProbe.ResumesOnTheCompletingThreadAsync(
            async () =>
            {
                await write.ConfigureAwait(false);
                return Thread.CurrentThread;
            },
            () => _io.Submissions[0].Complete(512)));
        Assert.Equal([512, 0], _io.Submissions.Select(s => s.Length));
    }
}
