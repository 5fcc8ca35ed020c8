using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

public class FunctionFsEventParserTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    [Theory]
    [InlineData("0000000000000000 00 000000", FunctionFsEventType.Bind)]
    [InlineData("0000000000000000 01 000000", FunctionFsEventType.Unbind)]
    [InlineData("0000000000000000 02 000000", FunctionFsEventType.Enable)]
    [InlineData("0000000000000000 03 000000", FunctionFsEventType.Disable)]
    [InlineData("0000000000000000 05 000000", FunctionFsEventType.Suspend)]
    [InlineData("0000000000000000 06 000000", FunctionFsEventType.Resume)]
    public void A_single_record_gives_its_type(string hex, object expected)
    {
        // The event type is internal: it comes boxed, as the test method is public.
        FunctionFsEvent[] events = FunctionFsEventParser.Parse(Hex(hex));

        FunctionFsEvent single = Assert.Single(events);
        Assert.Equal(expected, single.Type);
        Assert.True(single.IsKnown);
    }

    [Fact]
    public void A_setup_record_carries_the_little_endian_usb_ctrlrequest()
    {
        // bmRequestType c0 (IN, vendor, device), bRequest 01, wValue 0x1234, wIndex 0x0002, wLength 0x0040, type SETUP.
        FunctionFsEvent[] events = FunctionFsEventParser.Parse(Hex("c0 01 3412 0200 4000 04 000000"));

        FunctionFsEvent setup = Assert.Single(events);
        Assert.Equal(FunctionFsEventType.Setup, setup.Type);
        Assert.Equal(new ControlRequest(0xc0, 0x01, 0x1234, 0x0002, 0x0040), setup.Setup);
        Assert.Equal(ControlDirection.In, setup.Setup.Direction);
        Assert.Equal(ControlRequestType.Vendor, setup.Setup.Type);
        Assert.Equal(ControlRecipient.Device, setup.Setup.Recipient);
    }

    [Fact]
    public void Four_records_in_one_read_come_out_in_order()
    {
        byte[] data = Hex(
            "0000000000000000 00 000000" +
            "0000000000000000 02 000000" +
            "41 02 0000 0000 0500 04 000000" +
            "0000000000000000 05 000000");

        FunctionFsEvent[] events = FunctionFsEventParser.Parse(data);

        Assert.Equal(
            [FunctionFsEventType.Bind, FunctionFsEventType.Enable, FunctionFsEventType.Setup, FunctionFsEventType.Suspend],
            events.Select(e => e.Type));
        Assert.Equal(new ControlRequest(0x41, 0x02, 0, 0, 5), events[2].Setup);
        Assert.False(events[2].Setup.IsIn);
        Assert.Equal(ControlRecipient.Interface, events[2].Setup.Recipient);
    }

    [Theory]
    [InlineData("0000000000000000 07 000000", 7)]
    [InlineData("0000000000000000 ff 000000", 255)]
    public void An_unknown_type_is_reported_not_rejected(string hex, byte type)
    {
        FunctionFsEvent single = Assert.Single(FunctionFsEventParser.Parse(Hex(hex)));

        Assert.False(single.IsKnown);
        Assert.Equal(type, (byte)single.Type);
        Assert.Contains($"unknown event type {type}", single.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Padding_bytes_are_ignored()
    {
        FunctionFsEvent single = Assert.Single(FunctionFsEventParser.Parse(Hex("0000000000000000 02 abcdef")));

        Assert.Equal(FunctionFsEventType.Enable, single.Type);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(47)]
    public void A_length_that_is_not_a_multiple_of_12_is_a_format_error(int length)
    {
        byte[] data = new byte[length];

        Assert.False(FunctionFsEventParser.TryParse(data, new FunctionFsEvent[8], out int count));
        Assert.Equal(0, count);
        FormatException error = Assert.Throws<FormatException>(() => FunctionFsEventParser.Parse(data));
        Assert.Contains($"{length} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_read_has_no_events()
    {
        Assert.True(FunctionFsEventParser.TryParse([], new FunctionFsEvent[4], out int count));
        Assert.Equal(0, count);
    }

    [Fact]
    public void A_destination_too_small_is_refused()
    {
        byte[] data = new byte[FunctionFsEvent.Size * 3];

        Assert.False(FunctionFsEventParser.TryParse(data, new FunctionFsEvent[2], out _));
        Assert.Throws<ArgumentException>(() => FunctionFsEventParser.Parse(data, new FunctionFsEvent[2]));
    }

    [Fact]
    public void Arbitrary_bytes_never_make_TryParse_throw()
    {
        var random = new Random(20261125);
        var destination = new FunctionFsEvent[16];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = new byte[random.Next(0, 200)];
            random.NextBytes(data);

            bool parsed = FunctionFsEventParser.TryParse(data, destination, out int count);

            Assert.Equal(data.Length % 12 == 0 && data.Length / 12 <= destination.Length, parsed);
            Assert.Equal(parsed ? data.Length / 12 : 0, count);
            for (int e = 0; e < count; e++)
            {
                Assert.Equal(data[(e * 12) + 8], (byte)destination[e].Type);
                Assert.Equal(data[(e * 12) + 8] <= 6, destination[e].IsKnown);
            }
        }
    }
}
