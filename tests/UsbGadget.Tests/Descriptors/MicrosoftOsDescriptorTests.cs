using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>MS OS descriptors in the FunctionFS form (struct usb_os_desc_header + usb_ext_compat_desc / usb_ext_prop_desc).</summary>
public class MicrosoftOsDescriptorTests
{
    private static readonly Guid s_guid = new("12345678-9abc-def0-1234-56789abcdef0");

    private static string Encode(Action<BlobBuilder> write)
    {
        var blob = new BlobBuilder();
        write(blob);
        return Hex.Of(blob.ToArray());
    }

    private const string WinUsbCompat =
        "00" +                 // interface
        "23000000" +           // dwLength: 11 + 24
        "0100" +               // bcdVersion
        "0400" +               // wIndex: extended compat id
        "01" + "00" +          // bCount, Reserved
        "00" +                 // bFirstInterfaceNumber
        "00" +                 // Reserved1 (0 is accepted by every kernel)
        "57494e5553420000" +   // CompatibleID "WINUSB"
        "0000000000000000" +   // SubCompatibleID
        "000000000000";        // Reserved2

    private const string DeviceInterfaceGuid =
        "00" +                 // interface
        "54000000" +           // dwLength: 11 + 73
        "0100" +               // bcdVersion
        "0500" +               // wIndex: extended properties
        "0100" +               // wCount
        "49000000" +           // dwSize: 14 + 20 + 39
        "01000000" +           // dwPropertyDataType: REG_SZ
        "1400" +               // wPropertyNameLength: 20, the host sees 40 bytes of UTF-16
        "446576696365496e74657266616365475549 44" + "00" + // "DeviceInterfaceGUID\0"
        "27000000" +           // dwPropertyDataLength: 39, the host sees 78
        "7b 3132333435363738 2d 39414243 2d 44454630 2d 31323334 2d 353637383941424344454630 7d" + "00"; // "{12345678-9ABC-DEF0-1234-56789ABCDEF0}\0"

    [Fact]
    public void ExtendedCompatId_WinUsb_MatchesUsbExtCompatDesc()
    {
        Assert.Equal(
            Hex.Join(WinUsbCompat),
            Encode(b => FunctionFsDescriptorWriter.WriteExtendedCompat(b, 0, "WINUSB", "", FunctionFsWriterOptions.MicrosoftOsBcdVersionLegacy)));
    }

    [Fact]
    public void ExtendedProperty_DeviceInterfaceGuid_IsNulTerminatedTextForTheKernelToWiden()
    {
        Assert.Equal(
            Hex.Join(DeviceInterfaceGuid),
            Encode(b => FunctionFsDescriptorWriter.WriteExtendedProperties(b, 0, [MicrosoftOsExtendedProperty.DeviceInterfaceGuid(s_guid)], FunctionFsWriterOptions.MicrosoftOsBcdVersionLegacy)));
    }

    [Fact]
    public void WinUsbFunction_AppendsOsDescriptorsAfterTheSpeedsAndSetsTheFlag()
    {
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.Full,
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(0, s_guid)],
        };

        string expected = Hex.Join(
            "03000000",
            "94000000", // 12 + fs_count 4 + os_count 4 + interface 9 + compat 35 + properties 84 = 148
            "09000000", // HAS_FS_DESC | HAS_MS_OS_DESC
            "01000000", // fs_count
            "02000000", // os_count: ext compat + ext prop
            "09 04 00 00 00 ff 00 00 00",
            WinUsbCompat,
            DeviceInterfaceGuid);

        Assert.Equal(expected, Hex.Of(FunctionFsDescriptors.Create(description).DescriptorsBlob.Span));
    }

    [Fact]
    public void BcdVersion_IsTakenFromTheWriterOptions()
    {
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.Full,
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors = [new MicrosoftOsInterfaceDescriptors { Interface = 0, CompatibleId = "WINUSB" }],
        };

        byte[] blob = FunctionFsDescriptors.Create(description, new FunctionFsWriterOptions { MicrosoftOsBcdVersion = FunctionFsWriterOptions.MicrosoftOsBcdVersion1_0 }).DescriptorsBlob.ToArray();

        // Header 20 bytes + interface 9: the OS descriptor header starts at 29; bcdVersion sits at +5.
        Assert.Equal(Hex.Join("0001"), Hex.Of(blob.AsSpan(29 + 5, 2)));
    }

    [Theory]
    [InlineData("Sz", "01000000", "6869" + "00")]
    [InlineData("ExpandSz", "02000000", "6869" + "00")]
    [InlineData("Link", "06000000", "6869" + "00")]
    [InlineData("Binary", "03000000", "0102")]
    public void ExtendedProperty_OtherServableTypes_WriteTheirData(string kind, string type, string data)
    {
        MicrosoftOsExtendedProperty property = kind switch
        {
            "Sz" => MicrosoftOsExtendedProperty.String("N", "hi"),
            "ExpandSz" => MicrosoftOsExtendedProperty.String("N", "hi", MicrosoftOsPropertyType.ExpandString),
            "Link" => MicrosoftOsExtendedProperty.String("N", "hi", MicrosoftOsPropertyType.Link),
            _ => MicrosoftOsExtendedProperty.Binary("N", [1, 2]),
        };
        int dataLength = data.Length / 2;
        string expectedProperty = Hex.Join(
            $"{14 + 2 + dataLength:x2}000000",
            type,
            "0200", "4e00",
            $"{dataLength:x2}000000",
            data);

        string encoded = Encode(b => FunctionFsDescriptorWriter.WriteExtendedProperties(b, 0, [property], 1));

        Assert.Equal(expectedProperty, encoded[22..]); // after the 11-byte header
    }
}

public class MicrosoftOsPropertyTypeTests
{
    [Theory]
    [InlineData(MicrosoftOsPropertyType.MultiString)]
    [InlineData(MicrosoftOsPropertyType.DwordLittleEndian)]
    [InlineData(MicrosoftOsPropertyType.Binary)]
    public void StringFactory_RefusesTypesThatAreNotSingleStrings(MicrosoftOsPropertyType type)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => MicrosoftOsExtendedProperty.String("N", "v", type));

        Assert.Equal("type", error.ParamName);
    }
}
