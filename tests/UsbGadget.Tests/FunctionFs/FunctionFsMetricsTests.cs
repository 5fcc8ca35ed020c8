using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

public sealed class FunctionFsMetricsTests
{
    [Fact]
    public async Task Completed_reads_count_bytes_and_transfers_and_failures_count_errors_tagged_with_the_endpoint()
    {
        const string Path = "/ffs/metrics-test/ep1";
        var measurements = new List<(string Instrument, long Value)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == FunctionFsMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "endpoint" && (string?)tag.Value == Path)
                {
                    lock (measurements)
                    {
                        measurements.Add((instrument.Name, value));
                    }
                }
            }
        });
        listener.Start();

        var io = new FakeEndpointIo();
        using var pool = new AioBufferPool(4096, 8);
        var endpoint = new OutEndpoint(Path, TestEndpoints.NoFile(), TestEndpoints.BulkPair()[0], io, pool, depth: 2, transferSize: 1024, NullLogger.Instance);
        endpoint.Enable(generation: 1, packetSize: 512);
        io.Submissions[0].CompleteRead([1, 2, 3]);
        using (OutTransfer transfer = await endpoint.ReadAsync())
        {
            Assert.Equal(3, transfer.Length);
        }
        io.Submissions[1].Complete(-(long)Errno.EIO);
        await Eventually.True(() => { lock (measurements) { return measurements.Any(m => m.Instrument == "usbgadget.endpoint.errors"); } });

        lock (measurements)
        {
            Assert.Contains(("usbgadget.endpoint.transfers", 1L), measurements);
            Assert.Contains(("usbgadget.endpoint.bytes", 3L), measurements);
            Assert.Contains(("usbgadget.endpoint.errors", 1L), measurements);
        }
        Assert.True(await endpoint.StopAsync(TimeSpan.FromSeconds(5)));
    }
}
