using System.Text;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.FunctionFsDemo;

/// <summary>
/// The demo's vendor requests: IN 0x01 returns the version string, OUT 0x02 stores up to 256 bytes, IN 0x03 returns
/// them; OUT 0x10 (no data) halts bulk IN on purpose; IN 0x11 returns the bulk endpoints' ioctl answers (FIFO status
/// and ENDPOINT_REVMAP, as little-endian int32, negative errno on failure). Everything else is stalled.
/// </summary>
internal sealed class DemoControlHandler(Func<FunctionFsFunction> function) : IControlRequestHandler
{
    public const byte HaltBulkIn = 0x10;
    public const byte EndpointInfo = 0x11;

    public const byte GetVersion = 0x01;
    public const byte Store = 0x02;
    public const byte Recall = 0x03;
    public const int MaxStored = 256;

    public static readonly byte[] Version = Encoding.ASCII.GetBytes("UsbGadget.FunctionFsDemo 1.0");

    private byte[] _stored = [];

    public bool AcceptsOutData(in ControlRequest request)
        => request.Type == ControlRequestType.Vendor && request.Request == Store && request.Length <= MaxStored;

    public ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken)
    {
        if (request.Type != ControlRequestType.Vendor)
        {
            return ValueTask.FromResult(ControlResponse.Stall);
        }

        ControlResponse response = (request.Request, request.IsIn) switch
        {
            (GetVersion, true) => ControlResponse.Data(Version),
            (Store, false) => StoreData(outData),
            (Recall, true) => ControlResponse.Data(_stored),
            (HaltBulkIn, false) => Halt(),
            (EndpointInfo, true) => ControlResponse.Data(DescribeEndpoints()),
            _ => ControlResponse.Stall,
        };
        return ValueTask.FromResult(response);
    }

    private ControlResponse Halt()
    {
        function().GetInEndpoint(1).Halt();
        return ControlResponse.Ack;
    }

    private byte[] DescribeEndpoints()
    {
        var result = new List<byte>();
        foreach (EndpointFile endpoint in function().Endpoints)
        {
            result.AddRange(BitConverter.GetBytes(Try(endpoint.GetFifoStatus)));
            result.AddRange(BitConverter.GetBytes(Try(endpoint.GetKernelEndpointNumber)));
        }

        return [.. result];

        static int Try(Func<int> ioctl)
        {
            try
            {
                return ioctl();
            }
            catch (UsbGadget.Linux.LinuxIOException e)
            {
                return -(int)e.Errno;
            }
        }
    }

    private ControlResponse StoreData(ReadOnlyMemory<byte> data)
    {
        _stored = data.ToArray();
        return ControlResponse.Ack;
    }
}
