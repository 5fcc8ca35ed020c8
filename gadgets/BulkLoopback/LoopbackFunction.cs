using System.Text;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace BulkLoopback;

/// <summary>A vendor interface, bulk OUT 1 and bulk IN 2: every transfer the host writes comes back as it was sent.</summary>
internal sealed class LoopbackFunction : IGadgetFunction
{
    public const byte GetVersionRequest = 0x01, StoreRequest = 0x02, ReadBackRequest = 0x03;
    public const int MaxStoredBytes = 256;

    /// <summary>The DeviceInterfaceGUID Windows registers for WinUSB; host programs open the device by it.</summary>
    public static readonly Guid DeviceInterfaceGuid = new("5c5b8a4e-2f4e-4a54-9a8e-6d1b7c2f0b11");
    private static readonly byte[] s_version = Encoding.ASCII.GetBytes("UsbGadget BulkLoopback 1.0");
    private byte[] _stored = [];
    // One buffer for every run: runs never overlap, and a reconnect then allocates nothing.
    private readonly byte[] _buffer = new byte[64 * 1024];

    public string Name => "loopback";

    public FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0, Class = UsbClass.VendorSpecific, NameIndex = 1,
                Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 2)],
            },
        ],
        Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "Bulk loopback"),
        // WINUSB compatible id + DeviceInterfaceGUIDs: Windows binds WinUSB with no .inf and no driver install.
        MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(0, DeviceInterfaceGuid)],
    };

    public async Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        OutEndpoint fromHost = context.GetOutEndpoint(1);
        InEndpoint toHost = context.GetInEndpoint(2);
        int length;
        // One read is one host transfer (up to the buffer's size), one write one transfer back; 0 means the host left.
        while ((length = await fromHost.ReadAsync(_buffer, cancellationToken)) > 0)
        {
            await toHost.WriteAsync(_buffer.AsMemory(0, length), cancellationToken);
        }
    }

    // Vendor requests on ep0: 0x01 reads the version, 0x02 stores up to 256 bytes, 0x03 reads them back.
    public bool AcceptsOutData(in ControlRequest request) =>
        request.Type == ControlRequestType.Vendor && request.Request == StoreRequest && request.Length <= MaxStoredBytes;

    public ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken) =>
        ValueTask.FromResult((request.Type, request.Request, request.IsIn) switch
        {
            (ControlRequestType.Vendor, GetVersionRequest, true) => ControlResponse.Data(s_version),
            (ControlRequestType.Vendor, ReadBackRequest, true) => ControlResponse.Data(Volatile.Read(ref _stored)),
            (ControlRequestType.Vendor, StoreRequest, false) => Store(outData),
            _ => ControlResponse.Stall,
        });

    private ControlResponse Store(ReadOnlyMemory<byte> data)
    {
        Volatile.Write(ref _stored, data.ToArray());
        return ControlResponse.Ack;
    }
}
