using System.Globalization;
using System.Text;
using UsbGadget.ConfigFs;
using UsbGadget.Descriptors;

namespace UsbGadget.Hosting.Describe;

/// <summary>
/// Writes the descriptors a gadget will show the host, in the layout of <c>lsusb -v</c>, from its settings and functions
/// alone: no configfs, no UDC, no root. It replays what the kernel does at bind time: composite numbers interfaces and
/// strings in link order (gadget strings 1–3, the configuration's 4, then each function's), f_fs maps a function's
/// interface and string numbers onto those (but not an IAD's bFirstInterface), and the UDC picks endpoint numbers
/// (<see cref="UdcEndpointBudget"/>, when the UDC is one it models).
/// </summary>
/// <remarks>
/// Kernel functions are described from their drivers' high- and full-speed descriptor tables (f_acm, f_hid,
/// f_mass_storage); the others are named with their endpoints only.
/// </remarks>
internal sealed class LsusbDescriber
{
    private const int ConfigurationStringIndex = 4;
    private readonly StringBuilder _text = new();
    private readonly UsbSpeed _speed;
    private readonly List<string> _strings = [];

    private LsusbDescriber(UsbSpeed speed) => _speed = speed;

    /// <summary>A FunctionFS function: its instance definition and what its descriptors say.</summary>
    internal sealed record FunctionFsPart(FunctionDefinition Definition, FunctionFsDescriptors Descriptors);

    /// <summary>The lsusb -v text of the gadget.</summary>
    /// <param name="options">The gadget's settings.</param>
    /// <param name="serialNumber">The serial number the gadget will carry.</param>
    /// <param name="functions">The functions in link order, FunctionFS ones with their endpoint needs.</param>
    /// <param name="functionFs">The descriptors of each FunctionFS instance, by instance name.</param>
    /// <param name="budget">The UDC's model, for endpoint numbers; null to show the numbers the descriptors ask for.</param>
    /// <param name="speed">The speed whose descriptors to show.</param>
    public static string Describe(UsbGadgetOptions options, string serialNumber, IReadOnlyList<FunctionDefinition> functions,
        IReadOnlyDictionary<string, FunctionFsDescriptors> functionFs, UdcEndpointBudget? budget, UsbSpeed speed)
    {
        var describer = new LsusbDescriber(speed);
        describer.Write(options, serialNumber, functions, functionFs, budget);
        return describer._text.ToString();
    }

    private void Write(UsbGadgetOptions options, string serialNumber, IReadOnlyList<FunctionDefinition> functions,
        IReadOnlyDictionary<string, FunctionFsDescriptors> functionFs, UdcEndpointBudget? budget)
    {
        IReadOnlyList<IReadOnlyList<byte?>>? numbers = budget?.AssignNumbers(functions);
        // Strings: composite gives the gadget's three 1–3 and the configuration's 4, then each function takes its own in link order.
        _strings.AddRange([options.Manufacturer, options.Product, serialNumber, options.ConfigurationName]);
        var body = new StringBuilder();
        int totalLength = 9;
        int interfaceCount = 0;
        var notes = new List<string>();
        for (int f = 0; f < functions.Count; f++)
        {
            FunctionDefinition function = functions[f];
            IReadOnlyList<byte?>? assigned = numbers?[f];
            var part = new FunctionWriter(this, body, interfaceCount, assigned);
            if (function.IsFunctionFs && functionFs.TryGetValue(function.Instance, out FunctionFsDescriptors? descriptors))
            {
                part.WriteFunctionFs(descriptors);
            }
            else if (!part.WriteKernelFunction(function))
            {
                notes.Add($"{function.DirectoryName}: descriptors not modelled; endpoints {string.Join(", ", function.Endpoints)}");
            }
            totalLength += part.Length;
            interfaceCount = part.NextInterface;
        }

        Line(0, "Device Descriptor:");
        Field(1, "bLength", "18");
        Field(1, "bDescriptorType", "1");
        Field(1, "bcdUSB", Bcd(options.UsbVersion.Value));
        Field(1, "bDeviceClass", Number(options.DeviceClass.Value), ClassName(options.DeviceClass.Value));
        Field(1, "bDeviceSubClass", Number(options.DeviceSubClass.Value));
        Field(1, "bDeviceProtocol", Number(options.DeviceProtocol.Value));
        Field(1, "bMaxPacketSize0", "64");
        Field(1, "idVendor", Hex16(options.VendorId.Value));
        Field(1, "idProduct", Hex16(options.ProductId.Value));
        Field(1, "bcdDevice", Bcd(options.DeviceVersion.Value));
        Field(1, "iManufacturer", "1", options.Manufacturer);
        Field(1, "iProduct", "2", options.Product);
        Field(1, "iSerial", "3", serialNumber);
        Field(1, "bNumConfigurations", "1");
        Line(1, "Configuration Descriptor:");
        Field(2, "bLength", "9");
        Field(2, "bDescriptorType", "2");
        Field(2, "wTotalLength", notes.Count == 0 ? Hex16(totalLength) : "unknown");
        Field(2, "bNumInterfaces", Number(interfaceCount));
        Field(2, "bConfigurationValue", "1");
        Field(2, "iConfiguration", Number(ConfigurationStringIndex), options.ConfigurationName);
        int attributes = options.SelfPowered ? 0xc0 : 0x80;
        Field(2, "bmAttributes", "0x" + attributes.ToString("x2", CultureInfo.InvariantCulture));
        Line(3, options.SelfPowered ? "Self Powered" : "(Bus Powered)");
        // The kernel stores bMaxPower in 2 mA units at high speed and below.
        Field(2, "MaxPower", Number(Math.Min(options.MaxPowerMilliamps, 500) / 2 * 2) + "mA");
        _text.Append(body);
        foreach (string note in notes)
        {
            Line(2, "** " + note);
        }
        if (!string.IsNullOrEmpty(options.WebUsbLandingPage))
        {
            Line(0, $"Binary Object Store Descriptor: WebUSB platform capability, landing page {options.WebUsbLandingPage} (vendor code {options.WebUsbVendorCode.Value})");
        }
        if (options.MicrosoftOsDescriptors)
        {
            Line(0, "Microsoft OS descriptors: string 0xEE \"MSFT100\" (vendor code 0xcd), compatible IDs per function");
        }
        Line(0, "Strings:");
        for (int i = 0; i < _strings.Count; i++)
        {
            if (_strings[i].Length > 0)
            {
                Field(1, "String", Number(i + 1), _strings[i]);
            }
        }
    }

    private int AddStrings(IReadOnlyList<string> strings)
    {
        int first = _strings.Count + 1;
        _strings.AddRange(strings);
        return first;
    }

    // The kernel's function drivers pass ARRAY_SIZE of their usb_string table, end-of-list entry included, to
    // usb_gstrings_attach: each takes one id more than it has strings (lsusb showed f_hid's string at 10 after f_acm's 6–8).
    private int AddKernelStrings(params string[] strings)
    {
        int first = AddStrings(strings);
        _strings.Add("");
        return first;
    }

    private void Line(int depth, string text) => _text.Append(' ', depth * 2).Append(text).Append('\n');

    private void Field(int depth, string name, string value, string? about = null) => Field(_text, depth, name, value, about);

    private static void Field(StringBuilder text, int depth, string name, string value, string? about = null)
    {
        text.Append(' ', depth * 2).Append(name.PadRight(20)).Append(value);
        if (!string.IsNullOrEmpty(about))
        {
            text.Append(' ').Append(about);
        }
        text.Append('\n');
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Hex16(int value) => "0x" + value.ToString("x4", CultureInfo.InvariantCulture);

    private static string Bcd(int value) => string.Create(CultureInfo.InvariantCulture, $"{value >> 8:x}.{value & 0xff:x2}");

    private static string ClassName(int value) => value switch
    {
        0 => "(Defined at Interface level)",
        0x01 => "Audio",
        0x02 => "Communications",
        0x03 => "Human Interface Device",
        0x08 => "Mass Storage",
        0x0a => "CDC Data",
        0xef => "Miscellaneous Device",
        0xff => "Vendor Specific Class",
        _ => "",
    };

    /// <summary>Writes one function's descriptors, numbering its interfaces from <c>firstInterface</c>.</summary>
    private sealed class FunctionWriter(LsusbDescriber owner, StringBuilder text, int firstInterface, IReadOnlyList<byte?>? numbers)
    {
        private readonly HashSet<int> _used = [];

        public int Length { get; private set; }

        public int NextInterface { get; private set; } = firstInterface;

        public void WriteFunctionFs(FunctionFsDescriptors descriptors)
        {
            FunctionDescription description = descriptors.Description;
            int firstString = owner.AddStrings(description.Strings.StringCount == 0 ? [] : description.Strings[description.Strings.LanguageIds.First()]);
            int String(byte index) => index == 0 ? 0 : firstString + index - 1;
            // f_fs numbers interfaces in order of first appearance; the endpoints in descriptor order, one usb_ep per address.
            var interfaces = new Dictionary<byte, int>();
            foreach (InterfaceDescription @interface in description.Interfaces)
            {
                if (!interfaces.ContainsKey(@interface.Number))
                {
                    interfaces[@interface.Number] = NextInterface++;
                }
            }
            foreach (InterfaceDescription @interface in description.Interfaces)
            {
                if (@interface.AlternateSetting == 0)
                {
                    foreach (InterfaceAssociationDescription association in description.Associations.Where(a => a.FirstInterface == @interface.Number))
                    {
                        // f_fs rewrites the string but not bFirstInterface.
                        Association(association.FirstInterface, association.InterfaceCount, association.Class, association.SubClass, association.Protocol, String(association.NameIndex));
                    }
                }
                Interface(interfaces[@interface.Number], @interface.AlternateSetting, @interface.Endpoints.Count, @interface.Class, @interface.SubClass, @interface.Protocol, String(@interface.NameIndex));
                foreach (ClassSpecificDescriptor descriptor in @interface.ClassDescriptors)
                {
                    Raw(descriptor.ToArray());
                }
                foreach (EndpointDescription endpoint in @interface.Endpoints)
                {
                    FunctionFsEndpoint ep = descriptors.Endpoints.First(e => e.Address == endpoint.Address);
                    EndpointSpeedParameters? parameters = ep.ForSpeed(owner._speed);
                    byte? number = numbers is null ? endpoint.Number : numbers[ep.Index - 1];
                    Endpoint(number, endpoint.Direction, endpoint.Type, (int)endpoint.Synchronization, (int)endpoint.Usage,
                        parameters?.MaxPacketSizeField ?? 0, parameters?.Interval ?? 0);
                }
            }
        }

        public bool WriteKernelFunction(FunctionDefinition function)
        {
            bool high = owner._speed != UsbSpeed.Full;
            switch (function.Type)
            {
                case "acm":
                {
                    // f_acm: acm_string_defs (control, data, IAD), then acm_hs_function's order.
                    int strings = owner.AddKernelStrings("CDC Abstract Control Model (ACM)", "CDC ACM Data", "CDC Serial");
                    int control = NextInterface++, data = NextInterface++;
                    Association(control, 2, 0x02, 0x02, 0x01, strings + 2);
                    Interface(control, 0, 1, 0x02, 0x02, 0x01, strings);
                    Raw([0x05, 0x24, 0x00, 0x10, 0x01]);                 // CDC header, bcdCDC 1.10
                    Raw([0x05, 0x24, 0x01, 0x00, (byte)data]);           // call management
                    Raw([0x04, 0x24, 0x02, 0x02]);                       // ACM: line coding and serial state
                    Raw([0x05, 0x24, 0x06, (byte)control, (byte)data]);  // union
                    NextEndpoint(EndpointDirection.In, EndpointTransferType.Interrupt, 10, high ? 9 : 32, function);
                    Interface(data, 0, 2, 0x0a, 0x00, 0x00, strings + 1);
                    BulkPair(function, high);
                    return true;
                }
                case "mass_storage":
                {
                    int strings = owner.AddKernelStrings("Mass Storage");
                    Interface(NextInterface++, 0, 2, 0x08, 0x06, 0x50, strings);
                    BulkPair(function, high);
                    return true;
                }
                case "hid":
                {
                    int subclass = AttributeNumber(function, "subclass"), protocol = AttributeNumber(function, "protocol");
                    int reportLength = AttributeNumber(function, "report_length");
                    int descriptorLength = function.Attributes.FirstOrDefault(a => a.Name == "report_desc")?.Value.Length ?? 0;
                    int strings = owner.AddKernelStrings("HID Interface");
                    Interface(NextInterface++, 0, 2, 0x03, subclass, protocol, strings);
                    Raw([0x09, 0x21, 0x01, 0x01, 0x00, 0x01, 0x22, (byte)descriptorLength, (byte)(descriptorLength >> 8)]);
                    NextEndpoint(EndpointDirection.In, EndpointTransferType.Interrupt, reportLength, high ? 4 : 10, function);
                    NextEndpoint(EndpointDirection.Out, EndpointTransferType.Interrupt, reportLength, high ? 4 : 10, function);
                    return true;
                }
                default:
                    return false;
            }
        }

        private static int AttributeNumber(FunctionDefinition function, string name) =>
            function.Attributes.FirstOrDefault(a => a.Name == name) is { } attribute
                ? int.Parse(Encoding.UTF8.GetString(attribute.Value.Span), CultureInfo.InvariantCulture)
                : 0;

        // f_acm and f_mass_storage list bulk IN before bulk OUT, as they ask for them.
        private void BulkPair(FunctionDefinition function, bool high)
        {
            NextEndpoint(EndpointDirection.In, EndpointTransferType.Bulk, high ? 512 : 64, 0, function);
            NextEndpoint(EndpointDirection.Out, EndpointTransferType.Bulk, high ? 512 : 64, 0, function);
        }

        private void NextEndpoint(EndpointDirection direction, EndpointTransferType type, int maxPacket, int interval, FunctionDefinition function)
        {
            // The first unused need of this direction and type, in the driver's order, holds the number the UDC gives it.
            int index = -1;
            for (int i = 0; i < function.Endpoints.Count && index < 0; i++)
            {
                if (!_used.Contains(i) && function.Endpoints[i].Direction == direction && function.Endpoints[i].Type == type)
                {
                    index = i;
                }
            }
            _used.Add(index);
            byte? number = index >= 0 && numbers is not null ? numbers[index] : null;
            Endpoint(number, direction, type, 0, 0, maxPacket, interval);
        }

        private void Association(int first, int count, int @class, int subClass, int protocol, int @string)
        {
            Length += 8;
            Line(2, "Interface Association:");
            Field(text, 3, "bLength", "8");
            Field(text, 3, "bDescriptorType", "11");
            Field(text, 3, "bFirstInterface", Number(first));
            Field(text, 3, "bInterfaceCount", Number(count));
            Field(text, 3, "bFunctionClass", Number(@class), ClassName(@class));
            Field(text, 3, "bFunctionSubClass", Number(subClass));
            Field(text, 3, "bFunctionProtocol", Number(protocol));
            Field(text, 3, "iFunction", Number(@string), StringAt(@string));
        }

        private void Interface(int number, int alternate, int endpoints, int @class, int subClass, int protocol, int @string)
        {
            Length += 9;
            Line(2, "Interface Descriptor:");
            Field(text, 3, "bLength", "9");
            Field(text, 3, "bDescriptorType", "4");
            Field(text, 3, "bInterfaceNumber", Number(number));
            Field(text, 3, "bAlternateSetting", Number(alternate));
            Field(text, 3, "bNumEndpoints", Number(endpoints));
            Field(text, 3, "bInterfaceClass", Number(@class), ClassName(@class));
            Field(text, 3, "bInterfaceSubClass", Number(subClass));
            Field(text, 3, "bInterfaceProtocol", Number(protocol));
            Field(text, 3, "iInterface", Number(@string), StringAt(@string));
        }

        private void Raw(byte[] bytes)
        {
            Length += bytes.Length;
            Line(3, "** class-specific: " + string.Join(' ', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))));
        }

        private void Endpoint(byte? number, EndpointDirection direction, EndpointTransferType type, int sync, int usage, int maxPacketField, int interval)
        {
            Length += 7;
            Line(3, "Endpoint Descriptor:");
            Field(text, 4, "bLength", "7");
            Field(text, 4, "bDescriptorType", "5");
            string dir = direction == EndpointDirection.In ? "IN" : "OUT";
            Field(text, 4, "bEndpointAddress", number is byte n ? "0x" + (n | (int)direction).ToString("x2", CultureInfo.InvariantCulture) : "(chosen by the UDC)",
                number is byte m ? $" EP {m} {dir}" : dir);
            int attributes = (int)type | (sync << 2) | (usage << 4);
            Field(text, 4, "bmAttributes", Number(attributes));
            Field(text, 5, "Transfer Type", type switch { EndpointTransferType.Bulk => "Bulk", EndpointTransferType.Interrupt => "Interrupt", _ => "Isochronous" });
            Field(text, 5, "Synch Type", sync switch { 1 => "Asynchronous", 2 => "Adaptive", 3 => "Synchronous", _ => "None" });
            Field(text, 5, "Usage Type", usage switch { 1 => "Feedback", 2 => "Implicit feedback Data", _ => "Data" });
            Field(text, 4, "wMaxPacketSize", Hex16(maxPacketField), $" {((maxPacketField >> 11) & 3) + 1}x {maxPacketField & 0x7ff} bytes");
            Field(text, 4, "bInterval", Number(interval));
        }

        private string StringAt(int index) => index > 0 && index <= owner._strings.Count ? owner._strings[index - 1] : "";

        private void Line(int depth, string line) => text.Append(' ', depth * 2).Append(line).Append('\n');
    }
}
