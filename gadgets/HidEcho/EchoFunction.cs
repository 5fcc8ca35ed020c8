using System.Buffers.Binary;
using System.Threading.Channels;
using UsbGadget.Hosting.Hid;

namespace HidEcho;

/// <summary>
/// Sends back, as input report 1, the payload of every output report 2 the host writes (on the interrupt OUT endpoint),
/// and keeps the number of echoes in feature report 3, which the host may read or set.
/// </summary>
internal sealed class EchoFunction() : HidFunction(new HidDescription
{
    ReportDescriptor = s_reportDescriptor,
    OutEndpoint = true,
    PollingInterval = TimeSpan.FromMilliseconds(1),
    InterfaceName = "HID echo",
})
{
    private const byte InputId = 1, OutputId = 2, CounterId = 3;
    private const int PayloadLength = 31;

    private static readonly byte[] s_reportDescriptor =
    [
        0x06, 0x00, 0xFF, // Usage Page (Vendor Defined 0xFF00)
        0x09, 0x01,       // Usage (1)
        0xA1, 0x01,       // Collection (Application)
        0x15, 0x00,       //   Logical Minimum (0)
        0x26, 0xFF, 0x00, //   Logical Maximum (255)
        0x75, 0x08,       //   Report Size (8)
        0x85, InputId,    //   Report ID (1)
        0x95, PayloadLength, // Report Count (31)
        0x09, 0x01,       //   Usage (1)
        0x81, 0x02,       //   Input (Data, Variable, Absolute): 31 bytes to the host
        0x85, OutputId,   //   Report ID (2)
        0x95, PayloadLength, // Report Count (31)
        0x09, 0x01,       //   Usage (1)
        0x91, 0x02,       //   Output (Data, Variable, Absolute): 31 bytes from the host
        0x85, CounterId,  //   Report ID (3)
        0x95, 0x04,       //   Report Count (4)
        0x09, 0x02,       //   Usage (2)
        0xB1, 0x02,       //   Feature (Data, Variable, Absolute): the echo counter, 32 bits little endian
        0xC0,             // End Collection
    ];

    private readonly Channel<byte[]> _received = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(64) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });

    private uint _echoes;

    public override string Name => "echo";

    // On the AIO completion thread: only hand the payload over.
    protected override void OnOutputReport(ReadOnlySpan<byte> report)
    {
        byte[] echo = new byte[1 + PayloadLength];
        echo[0] = InputId;
        report[1..].CopyTo(echo.AsSpan(1));
        _received.Writer.TryWrite(echo);
    }

    // The host set the counter (to reset it, say); echoes count on from there.
    protected override void OnFeatureReport(ReadOnlySpan<byte> report) =>
        Volatile.Write(ref _echoes, BinaryPrimitives.ReadUInt32LittleEndian(report[1..]));

    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        byte[] counter = [CounterId, 0, 0, 0, 0];
        await foreach (byte[] echo in _received.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await SendReportAsync(echo, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(counter.AsSpan(1), Interlocked.Increment(ref _echoes));
            SetFeatureReport(counter);
        }
    }
}
