using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>HID class descriptor (HID 1.11 §6.2.1) and the boot keyboard report descriptor (HID 1.11 Appendix B.1).</summary>
public class HidDescriptorTests
{
    [Fact]
    public void BootKeyboardReportDescriptor_IsThe63ByteAppendixB1Descriptor()
    {
        ReadOnlySpan<byte> report = HidReportDescriptors.BootKeyboard;

        Assert.Equal(63, report.Length);
        Assert.Equal(Hex.Join("05 01 09 06 a1 01"), Hex.Of(report[..6]));        // Generic Desktop, Keyboard, Application collection
        Assert.Equal(Hex.Join("19 00 29 65 81 00 c0"), Hex.Of(report[^7..])); // key array 0..101, End Collection
    }

    [Theory]
    // bLength bDescriptorType bcdHID bCountryCode bNumDescriptors bDescriptorType wDescriptorLength
    [InlineData(63, 0x0111, 0, "09 21 1101 00 01 22 3f00")]
    [InlineData(0x1234, 0x0101, 9, "09 21 0101 09 01 22 3412")]
    public void HidClassDescriptor_AnnouncesOneReportDescriptor(ushort reportLength, ushort bcdHid, byte country, string expected)
    {
        Assert.Equal(Hex.Join(expected), Hex.Of(new HidClassDescriptor(reportLength, bcdHid, country).ToArray()));
    }

    [Fact]
    public void HidClassDescriptorFor_TakesTheReportDescriptorLength()
    {
        Assert.Equal(63, HidClassDescriptor.For(HidReportDescriptors.BootKeyboard).ReportDescriptorLength);
    }

    [Fact]
    public void RawDescriptor_IsWrittenAsGiven()
    {
        var raw = new RawDescriptor([0x05, 0x24, 0x00, 0x10, 0x01]);

        Assert.Equal(0x24, raw.DescriptorType);
        Assert.Equal(Hex.Join("05 24 00 10 01"), Hex.Of(raw.ToArray()));
    }

    [Fact]
    public void RawDescriptor_ShorterThanTwoBytes_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new RawDescriptor([0x01]));

        Assert.Equal("bytes", error.ParamName);
    }

    [Fact]
    public void HidInterface_ForABootKeyboard_IsClass3Subclass1Protocol1WithTheHidDescriptorFirst()
    {
        var keyboard = InterfaceDescription.Hid(
            0,
            HidReportDescriptors.BootKeyboard,
            EndpointDescription.Interrupt(EndpointDirection.In, 1, HidReportDescriptors.BootKeyboardInputReportLength, TimeSpan.FromMilliseconds(10)),
            bootProtocol: 1);
        var description = new FunctionDescription { Speeds = UsbSpeeds.High, Interfaces = [keyboard] };

        string expected = Hex.Join(
            "03000000", "29000000", "02000000", "03000000",
            "09 04 00 00 01 03 01 01 00",
            "09 21 1101 00 01 22 3f00",
            "07 05 81 03 0800 07");

        Assert.Equal(expected, Hex.Of(FunctionFsDescriptors.Create(description).DescriptorsBlob.Span));
    }

    [Fact]
    public void HidInterface_WithAnOutEndpoint_ListsItAfterTheInEndpoint()
    {
        var hid = InterfaceDescription.Hid(
            0,
            [0x06, 0x00, 0xFF, 0x09, 0x01, 0xA1, 0x01, 0xC0],
            EndpointDescription.Interrupt(EndpointDirection.In, 1, 64, TimeSpan.FromMilliseconds(1)),
            EndpointDescription.Interrupt(EndpointDirection.Out, 1, 64, TimeSpan.FromMilliseconds(1)));

        Assert.Equal(0, hid.SubClass);
        Assert.Equal(0, hid.Protocol);
        Assert.Equal([EndpointDirection.In, EndpointDirection.Out], hid.Endpoints.Select(e => e.Direction));
        Assert.Equal(8, ((HidClassDescriptor)hid.ClassDescriptors[0]).ReportDescriptorLength);
    }
}
