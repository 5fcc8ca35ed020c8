using System.Text;
using UsbGadget.FunctionFs;

namespace UsbGadget.FunctionFsDemo;

/// <summary>
/// The demo's vendor requests: IN 0x01 returns the version string, OUT 0x02 stores up to 256 bytes, IN 0x03 returns
/// them. Everything else is stalled.
/// </summary>
internal sealed class DemoControlHandler : IControlRequestHandler
{
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
            _ => ControlResponse.Stall,
        };
        return ValueTask.FromResult(response);
    }

    private ControlResponse StoreData(ReadOnlyMemory<byte> data)
    {
        _stored = data.ToArray();
        return ControlResponse.Ack;
    }
}
