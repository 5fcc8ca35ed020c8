using Microsoft.Extensions.DependencyInjection;

namespace UsbGadget.Hosting;

/// <summary>
/// Adds the kernel's own USB functions to a gadget, beside FunctionFS functions: a serial console, Ethernet over USB, a
/// drive, a HID device served by the kernel, MIDI. Each can be declared in appsettings.json instead
/// (<see cref="KernelFunctionsOptions.SectionName"/>); the order of all functions is <see cref="KernelFunctionsOptions.FunctionOrder"/>.
/// </summary>
public static class KernelFunctionBuilderExtensions
{
    /// <summary>Adds a CDC ACM serial port: <c>/dev/ttyGSN</c> on the gadget (see <see cref="KernelFunctionDevices.GetSerialPortPath"/>), <c>/dev/ttyACMN</c> or a COM port on the host.</summary>
    /// <param name="builder">The gadget builder.</param>
    /// <param name="name">The function's name.</param>
    /// <returns>The builder.</returns>
    public static UsbGadgetBuilder AddSerial(this UsbGadgetBuilder builder, string name = "serial") =>
        Configure(builder, o => o.Serial.Add(new SerialFunctionOptions { Name = name }));

    /// <summary>Adds Ethernet over USB: an interface such as <c>usb0</c> on the gadget (see <see cref="KernelFunctionDevices.GetNetworkInterfaceName"/>).</summary>
    /// <param name="builder">The gadget builder.</param>
    /// <param name="kind">The protocol; NCM works on Linux, macOS and Windows 10+ without drivers.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="configure">Sets MAC addresses and the queue multiplier.</param>
    /// <returns>The builder.</returns>
    public static UsbGadgetBuilder AddNetwork(this UsbGadgetBuilder builder, NetworkKind kind = NetworkKind.Ncm, string name = "network", Action<NetworkFunctionOptions>? configure = null) =>
        Configure(builder, o =>
        {
            var network = new NetworkFunctionOptions { Name = name, Kind = kind };
            configure?.Invoke(network);
            o.Network.Add(network);
        });

    /// <summary>Adds a drive backed by one image file or block device.</summary>
    /// <param name="builder">The gadget builder.</param>
    /// <param name="file">The absolute path of the image file or block device.</param>
    /// <param name="readOnly">Whether the host may only read.</param>
    /// <param name="removable">Whether the medium is removable.</param>
    /// <param name="name">The function's name.</param>
    /// <returns>The builder.</returns>
    public static UsbGadgetBuilder AddMassStorage(this UsbGadgetBuilder builder, string file, bool readOnly = false, bool removable = true, string name = "storage") =>
        AddMassStorage(builder, name, storage => storage.Luns.Add(new MassStorageLunOptions { File = file, ReadOnly = readOnly, Removable = removable }));

    /// <summary>Adds a mass storage function with several drives or other settings.</summary>
    /// <param name="builder">The gadget builder.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="configure">Adds the LUNs and sets the function up.</param>
    /// <returns>The builder.</returns>
    public static UsbGadgetBuilder AddMassStorage(this UsbGadgetBuilder builder, string name, Action<MassStorageFunctionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Configure(builder, o =>
        {
            var storage = new MassStorageFunctionOptions { Name = name };
            configure(storage);
            o.MassStorage.Add(storage);
        });
    }

    /// <summary>
    /// Adds a HID device served by the kernel (f_hid): the app writes input reports to <c>/dev/hidgN</c>
    /// (<see cref="KernelFunctionDevices.GetHidDevicePath"/>). Use it when the kernel's handling of HID requests is enough;
    /// derive from the FunctionFS <c>HidFunction</c> when your code must answer them (feature reports, custom GET_REPORT).
    /// </summary>
    /// <param name="builder">The gadget builder.</param>
    /// <param name="reportDescriptor">The HID report descriptor.</param>
    /// <param name="reportLength">The largest report in bytes.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="configure">Sets the protocol, subclass and endpoints.</param>
    /// <returns>The builder.</returns>
    public static UsbGadgetBuilder AddHidDevice(this UsbGadgetBuilder builder, ReadOnlySpan<byte> reportDescriptor, int reportLength, string name = "hid", Action<HidDeviceOptions>? configure = null)
    {
        string hex = Convert.ToHexString(reportDescriptor);
        return Configure(builder, o =>
        {
            var hid = new HidDeviceOptions { Name = name, ReportDescriptor = hex, ReportLength = reportLength };
            configure?.Invoke(hid);
            o.HidDevices.Add(hid);
        });
    }

    /// <summary>Adds a USB MIDI function: an ALSA raw MIDI card on the gadget, a MIDI device on the host.</summary>
    /// <param name="builder">The gadget builder.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="configure">Sets ports and the card.</param>
    /// <returns>The builder.</returns>
    public static UsbGadgetBuilder AddMidi(this UsbGadgetBuilder builder, string name = "midi", Action<MidiFunctionOptions>? configure = null) =>
        Configure(builder, o =>
        {
            var midi = new MidiFunctionOptions { Name = name };
            configure?.Invoke(midi);
            o.Midi.Add(midi);
        });

    /// <summary>Sets the order of the gadget's functions (so of their interfaces) by name; unnamed ones follow.</summary>
    /// <param name="builder">The gadget builder.</param>
    /// <param name="names">Function names, kernel and FunctionFS alike.</param>
    /// <returns>The builder.</returns>
    public static UsbGadgetBuilder OrderFunctions(this UsbGadgetBuilder builder, params string[] names) =>
        Configure(builder, o => o.FunctionOrder.AddRange(names));

    private static UsbGadgetBuilder Configure(UsbGadgetBuilder builder, Action<KernelFunctionsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }
}
