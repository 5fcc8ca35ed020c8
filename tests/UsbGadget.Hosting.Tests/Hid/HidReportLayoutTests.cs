using UsbGadget.Descriptors;
using UsbGadget.Hosting.Hid;

namespace UsbGadget.Hosting.Tests.Hid;

/// <summary>Report lengths read from report descriptors (HID 1.11 §6.2.2): Report Size × Report Count bits per main item.</summary>
public class HidReportLayoutTests
{
    // A keyboard (ID 1) and a consumer control (ID 2, the volume keys) in one descriptor, plus a 4-byte feature report
    // (ID 3), as composite keyboards with media keys declare them.
    internal static readonly byte[] KeyboardWithMediaKeys = Hex(
        "05 01 09 06 a1 01 85 01",              // Generic Desktop, Keyboard, Application, Report ID 1
        "05 07 19 e0 29 e7 15 00 25 01 75 01 95 08 81 02", // 8 modifier bits
        "75 08 95 01 81 01",                    // reserved byte
        "75 08 95 06 15 00 25 65 19 00 29 65 81 00", // 6 key codes
        "c0",
        "05 0c 09 01 a1 01 85 02",              // Consumer, Consumer Control, Application, Report ID 2
        "15 00 26 ff 03 19 00 2a ff 03 75 10 95 01 81 00", // one 16-bit usage
        "85 03 06 00 ff 09 01 75 08 95 04 b1 02", // Report ID 3, vendor page: 4-byte feature report
        "c0");

    [Fact]
    public void The_boot_keyboard_has_an_8_byte_input_report_and_a_1_byte_LED_report_without_IDs()
    {
        var layout = HidReportLayout.Parse(HidReportDescriptors.BootKeyboard);

        Assert.False(layout.UsesReportIds);
        Assert.Equal([(HidReportType.Input, (byte)0, 8), (HidReportType.Output, (byte)0, 1)], layout.Reports);
        Assert.Equal(8, layout.MaxInputLength);
        Assert.Equal(1, layout.MaxOutputLength);
    }

    [Fact]
    public void With_report_IDs_each_report_is_counted_on_its_own_and_carries_its_ID_byte()
    {
        var layout = HidReportLayout.Parse(KeyboardWithMediaKeys);

        Assert.True(layout.UsesReportIds);
        Assert.Equal(
            [(HidReportType.Input, (byte)1, 9), (HidReportType.Input, (byte)2, 3), (HidReportType.Feature, (byte)3, 5)],
            layout.Reports);
        Assert.Equal(0, layout.MaxOutputLength);
        Assert.Equal(0, layout.LengthOf(HidReportType.Input, 3));
    }

    [Fact]
    public void Bits_are_rounded_up_to_whole_bytes()
    {
        // Three buttons (3 bits) and 5 bits of padding would be one byte; without the padding it is still one.
        var layout = HidReportLayout.Parse(Hex("05 09 19 01 29 03 15 00 25 01 75 01 95 03 81 02"));

        Assert.Equal(1, layout.LengthOf(HidReportType.Input, 0));
    }

    [Fact]
    public void Pop_restores_the_report_size_count_and_ID_that_Push_saved()
    {
        var layout = HidReportLayout.Parse(Hex(
            "75 08 95 02",    // 2 × 8 bits
            "a4 75 01 95 01", // Push; 1 × 1 bit
            "81 02",          // input: 1 bit
            "b4",             // Pop: 2 × 8 bits again
            "81 02"));        // input: 16 bits

        Assert.Equal(3, layout.LengthOf(HidReportType.Input, 0)); // 17 bits
    }

    [Fact]
    public void Long_items_are_skipped_whole()
    {
        var layout = HidReportLayout.Parse(Hex("fe 02 10 aa bb", "75 08 95 01 81 02"));

        Assert.Equal(1, layout.LengthOf(HidReportType.Input, 0));
    }

    [Fact]
    public void Four_byte_item_data_is_read_little_endian()
    {
        // Report Count with 4 data bytes: 0x00000003.
        var layout = HidReportLayout.Parse(Hex("75 08 97 03 00 00 00 81 02"));

        Assert.Equal(3, layout.LengthOf(HidReportType.Input, 0));
    }

    [Theory]
    [InlineData("", "the report descriptor is empty.")]
    [InlineData("05 01 09", "the report descriptor is malformed: the item at byte 2 (0x09) needs 1 data byte(s), but the descriptor ends after 0.")]
    [InlineData("75 08 96 01", "the report descriptor is malformed: the item at byte 2 (0x96) needs 2 data byte(s), but the descriptor ends after 1.")]
    [InlineData("c0", "the report descriptor is malformed: the item at byte 0 (0xC0) is an End Collection without a Collection.")]
    [InlineData("a1 01 75 08 95 01 81 02", "the report descriptor leaves 1 collection(s) open: add End Collection (0xC0) for each.")]
    [InlineData("b4", "the report descriptor is malformed: the item at byte 0 (0xB4) is a Pop without a Push.")]
    [InlineData("85 00", "the report descriptor is malformed: the item at byte 0 (0x85) sets Report ID 0; IDs are 1..255 (0 is reserved).")]
    [InlineData("fe 05 10 aa", "the report descriptor is malformed: the item at byte 0 (0xFE) is a long item that runs past the end of the descriptor.")]
    public void A_malformed_descriptor_is_refused_saying_where(string descriptor, string message)
    {
        var error = Assert.Throws<FormatException>(() => HidReportLayout.Parse(Hex(descriptor)));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Reports_with_and_without_an_ID_in_one_descriptor_are_refused()
    {
        var error = Assert.Throws<FormatException>(() => HidReportLayout.Parse(Hex("75 08 95 01 81 02", "85 01 81 02")));

        Assert.StartsWith("the report descriptor declares reports both with and without a Report ID", error.Message, StringComparison.Ordinal);
    }

    internal static byte[] Hex(params string[] parts) =>
        Convert.FromHexString(string.Concat(parts).Replace(" ", "", StringComparison.Ordinal));
}
