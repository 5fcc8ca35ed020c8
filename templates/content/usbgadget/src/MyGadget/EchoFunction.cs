using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace MyGadget;

/// <summary>
/// One vendor-specific interface with a bulk OUT and a bulk IN endpoint: every transfer the host writes comes back on IN.
/// Start here: change what <see cref="RunAsync"/> does with the data, add endpoints in <see cref="Describe"/>, or
/// answer more vendor requests in <see cref="HandleControlRequestAsync"/>.
/// </summary>
internal sealed class EchoFunction : IGadgetFunction
{
    public const byte OutEndpointNumber = 1;
    public const byte InEndpointNumber = 2;

    /// <summary>Vendor IN request 0x01: the firmware version, as text.</summary>
    public const byte GetVersionRequest = 0x01;

    // Windows binds WinUSB to an interface with this id by itself (no .inf); host programs find the device by the GUID,
    // which dotnet new made for this project.
    private static readonly Guid s_deviceInterfaceGuid = new("0f8a7c3e-5d1b-4c2a-9e6f-3b7d2a1c4e58");

    public string Name => "echo";

    public FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Class = UsbClass.VendorSpecific,
                NameIndex = 1,
                Endpoints =
                [
                    EndpointDescription.Bulk(EndpointDirection.Out, OutEndpointNumber),
                    EndpointDescription.Bulk(EndpointDirection.In, InEndpointNumber),
                ],
            },
        ],
        Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "MyGadget echo"),
        MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(0, s_deviceInterfaceGuid)],
    };

    // No request here carries data from the host; a function that takes some says which ones here.
    public bool AcceptsOutData(in ControlRequest request) => false;

    public ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken) =>
        ValueTask.FromResult(request is { Type: ControlRequestType.Vendor, Request: GetVersionRequest, IsIn: true }
            ? ControlResponse.Data("MyGadget 1.0"u8.ToArray())
            : ControlResponse.Stall); // anything else stalls: the host gets an error at once, never a hang

    /// <summary>Runs each time the host enables the function (again after an unplug), until it disables it.</summary>
    public async Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        OutEndpoint output = context.GetOutEndpoint(OutEndpointNumber);
        InEndpoint input = context.GetInEndpoint(InEndpointNumber);
        byte[] buffer = new byte[16 * 1024];
        int length;
        // One read is one host transfer; 0 means the host went away, and RunAsync is called again at its next enable.
        while ((length = await output.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await input.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
        }
    }
}
