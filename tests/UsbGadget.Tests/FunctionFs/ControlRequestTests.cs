using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

public class ControlRequestTests
{
    [Theory]
    [InlineData("8006000100001200", ControlDirection.In, ControlRequestType.Standard, ControlRecipient.Device)]   // GET_DESCRIPTOR(device)
    [InlineData("2109000200000800", ControlDirection.Out, ControlRequestType.Class, ControlRecipient.Interface)]  // HID SET_REPORT
    [InlineData("c2010000810000ff", ControlDirection.In, ControlRequestType.Vendor, ControlRecipient.Endpoint)]
    [InlineData("6300000000000000", ControlDirection.Out, ControlRequestType.Reserved, ControlRecipient.Other)]
    public void RequestType_bits_decode_per_usb_2_0_section_9_3(string hex, ControlDirection direction, ControlRequestType type, ControlRecipient recipient)
    {
        var request = ControlRequest.Read(Convert.FromHexString(hex));

        Assert.Equal(direction, request.Direction);
        Assert.Equal(type, request.Type);
        Assert.Equal(recipient, request.Recipient);
    }

    [Fact]
    public void Write_then_Read_gives_the_same_request()
    {
        var request = new ControlRequest(0xc1, 0x7f, 0xbeef, 0x0102, 0xffff);
        byte[] wire = new byte[ControlRequest.Size];

        request.Write(wire);

        Assert.Equal("c17fefbe0201ffff", Convert.ToHexStringLower(wire));
        Assert.Equal(request, ControlRequest.Read(wire));
    }

    [Fact]
    public void Read_refuses_fewer_than_8_bytes()
    {
        Assert.Throws<ArgumentException>(() => ControlRequest.Read(new byte[7]));
    }

    [Fact]
    public void ToString_shows_fields_in_hex_and_the_decoded_kind()
    {
        Assert.Equal("c0 01 0000 0000 0040 (IN vendor device)", new ControlRequest(0xc0, 1, 0, 0, 0x40).ToString());
    }
}
