using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting.Hid;

namespace UsbGadget.Hosting.Tests.Hid;

/// <summary>
/// The HID helper as the host sees it: the descriptors it writes, and its answer to every HID request on ep0
/// (HID 1.11 §7). Requests go through <see cref="IControlRequestHandler"/>, exactly as the ep0 loop calls it; how an
/// answer becomes ep0 I/O (a stall, a data stage) is ControlRequestDispatcher's part, specified in its own tests.
/// </summary>
public class HidFunctionTests
{
    // bmRequestType: standard IN to an interface, class IN to an interface, class OUT to an interface.
    private const byte StandardIn = 0x81;
    private const byte ClassIn = 0xA1;
    private const byte ClassOut = 0x21;

    private static readonly ControlRequest s_getReportDescriptor = new(StandardIn, 0x06, 0x2200, 0, 256);
    private static readonly ControlRequest s_getHidDescriptor = new(StandardIn, 0x06, 0x2100, 0, 9);
    private static readonly ControlRequest s_getInputReport = new(ClassIn, 0x01, 0x0100, 0, 64);
    private static readonly ControlRequest s_getOutputReport = new(ClassIn, 0x01, 0x0200, 0, 64);
    private static readonly ControlRequest s_setOutputReport = new(ClassOut, 0x09, 0x0200, 0, 1);
    private static readonly ControlRequest s_getIdle = new(ClassIn, 0x02, 0x0000, 0, 1);
    private static readonly ControlRequest s_getProtocol = new(ClassIn, 0x03, 0x0000, 0, 1);

    private sealed class TestHid(HidDescription description) : HidFunction(description)
    {
        public List<byte[]> OutputReports { get; } = [];

        public List<byte[]> FeatureReports { get; } = [];

        public List<HidProtocol> ProtocolChanges { get; } = [];

        public override string Name => "hid";

        protected override void OnOutputReport(ReadOnlySpan<byte> report) => OutputReports.Add(report.ToArray());

        protected override void OnFeatureReport(ReadOnlySpan<byte> report) => FeatureReports.Add(report.ToArray());

        protected override void OnProtocolChanged(HidProtocol protocol) => ProtocolChanges.Add(protocol);
    }

    private static TestHid Keyboard() => new(new HidDescription
    {
        ReportDescriptor = HidReportDescriptors.BootKeyboard.ToArray(),
        BootProtocol = HidBootProtocol.Keyboard,
        InterfaceName = "Keyboard",
    });

    private static TestHid WithReportIds() => new(new HidDescription { ReportDescriptor = HidReportLayoutTests.KeyboardWithMediaKeys });

    private static ControlResponse Ask(IGadgetFunction function, ControlRequest request, params byte[] outData)
    {
        IControlRequestHandler handler = function;
        if (!request.IsIn && request.Length > 0 && !handler.AcceptsOutData(request))
        {
            return ControlResponse.Stall; // refused before the data stage, as the dispatcher does
        }

        ValueTask<ControlResponse> answer = handler.HandleControlRequestAsync(request, outData, CancellationToken.None);
        Assert.True(answer.IsCompletedSuccessfully, "HID requests are answered at once, on the ep0 thread");
        return answer.GetAwaiter().GetResult();
    }

    private static string Hex(ControlResponse response) =>
        response.Kind == ControlResponseKind.Data ? Convert.ToHexStringLower(response.Payload.Span) : response.Kind.ToString();

    private static string Hex(params string[] parts) => string.Concat(parts).Replace(" ", "", StringComparison.Ordinal);

    // ---- Descriptors ----

    [Fact]
    public void A_boot_keyboard_is_one_HID_interface_with_an_interrupt_IN_endpoint_at_every_speed()
    {
        FunctionFsDescriptors descriptors = FunctionFsDescriptors.Create(Keyboard().Describe());

        string interfaceAndHid = Hex(
            "09 04 00 00 01 03 01 01 01", // interface 0, 1 endpoint, class HID, subclass boot, protocol keyboard, iInterface 1
            "09 21 1101 00 01 22 3f00");  // HID 1.11, not localized, one report descriptor of 63 bytes
        string expected = Hex(
            "03000000 69000000 07000000",  // FunctionFS v2 magic, length 105, full + high + SuperSpeed
            "03000000 03000000 04000000",  // descriptor counts per speed
            interfaceAndHid, "07 05 81 03 0800 0a",  // full speed: EP1 IN interrupt, 8 bytes, every 10 frames (10 ms)
            interfaceAndHid, "07 05 81 03 0800 07",  // high speed: every 2^(7-1) microframes (8 ms, not above 10 ms)
            interfaceAndHid, "07 05 81 03 0800 07", "06 30 00 00 0800"); // SuperSpeed, plus its companion: 8 bytes per interval
        Assert.Equal(expected, Convert.ToHexStringLower(descriptors.DescriptorsBlob.Span));
    }

    [Fact]
    public void The_interface_name_is_string_1_and_without_one_there_is_no_string()
    {
        Assert.Equal(["Keyboard"], Keyboard().Describe().Strings[LanguageIds.EnglishUnitedStates]);

        FunctionDescription unnamed = WithReportIds().Describe();
        Assert.Empty(unnamed.Strings);
        Assert.Equal(0, unnamed.Interfaces[0].NameIndex);
    }

    [Fact]
    public void A_non_boot_device_with_an_OUT_endpoint_has_subclass_0_and_endpoints_sized_by_its_longest_reports()
    {
        // Vendor page; report ID 1: 63 bytes in, 31 bytes out (so 64 and 32 with the ID byte). The OUT endpoint's
        // packets are 64 bytes, longer than any output report, so each report ends the read it lands in.
        var hid = new TestHid(new HidDescription
        {
            ReportDescriptor = HidReportLayoutTests.Hex("06 00 ff 09 01 a1 01 85 01 75 08 95 3f 81 02 95 1f 91 02 c0"),
            OutEndpoint = true,
            PollingInterval = TimeSpan.FromMilliseconds(1),
        });

        FunctionDescription description = hid.Describe();
        FunctionFsDescriptors descriptors = FunctionFsDescriptors.Create(new FunctionDescription { Interfaces = description.Interfaces, Speeds = UsbSpeeds.High });

        Assert.Equal(Hex(
            "03000000 30000000 02000000 04000000",
            "09 04 00 00 02 03 00 00 00",   // 2 endpoints, HID, no boot subclass or protocol, no string
            "09 21 1101 00 01 22 1400",     // the 20-byte report descriptor
            "07 05 81 03 4000 04",          // EP1 IN, 64 bytes, 2^(4-1) microframes = 1 ms
            "07 05 01 03 4000 04"),         // EP1 OUT, 64 bytes
            Convert.ToHexStringLower(descriptors.DescriptorsBlob.Span));
        Assert.Equal(64, Assert.Single(hid.InputReportLengths, r => r.Key == 1).Value);
    }

    // ---- GET_DESCRIPTOR ----

    [Fact]
    public void GET_DESCRIPTOR_Report_returns_the_report_descriptor()
    {
        Assert.Equal(Convert.ToHexStringLower(HidReportDescriptors.BootKeyboard), Hex(Ask(Keyboard(), s_getReportDescriptor)));
    }

    [Fact]
    public void GET_DESCRIPTOR_HID_returns_the_9_byte_HID_descriptor()
    {
        Assert.Equal(Hex("09 21 1101 00 01 22 3f00"), Hex(Ask(Keyboard(), s_getHidDescriptor)));
    }

    [Theory]
    [InlineData(StandardIn, 0x2300, 0)] // a physical descriptor: there is none
    [InlineData(StandardIn, 0x2201, 0)] // report descriptor index 1: there is only index 0
    [InlineData(StandardIn, 0x2200, 1)] // interface 1: the function has only interface 0
    [InlineData(0x82, 0x2200, 0)]       // to an endpoint
    public void GET_DESCRIPTOR_for_anything_else_stalls(byte requestType, ushort value, ushort index)
    {
        Assert.Equal(ControlResponse.Stall, Ask(Keyboard(), new ControlRequest(requestType, 0x06, value, index, 256)));
    }

    // ---- GET_REPORT / SET_REPORT ----

    [Fact]
    public async Task GET_REPORT_Input_is_all_zeros_until_a_report_is_sent_and_then_the_last_report()
    {
        TestHid keyboard = Keyboard();
        Assert.Equal("0000000000000000", Hex(Ask(keyboard, s_getInputReport)));

        // Not enabled: nothing is sent, but the report becomes the keyboard's state.
        Assert.False(await keyboard.SendReportAsync(new byte[] { 0x02, 0, 0x04, 0, 0, 0, 0, 0 }));

        Assert.Equal("0200040000000000", Hex(Ask(keyboard, s_getInputReport)));
    }

    [Fact]
    public void SET_REPORT_Output_hands_the_report_over_and_GET_REPORT_Output_returns_it()
    {
        TestHid keyboard = Keyboard();

        Assert.Equal(ControlResponse.Ack, Ask(keyboard, s_setOutputReport, 0x03));

        Assert.Equal([[0x03]], keyboard.OutputReports);
        Assert.Equal("03", Hex(Ask(keyboard, s_getOutputReport)));
    }

    [Theory]
    [InlineData(0x0200, 2)] // longer than the 1-byte LED report
    [InlineData(0x0100, 8)] // an input report: the host cannot set one
    [InlineData(0x0300, 1)] // a feature report: the keyboard declares none
    [InlineData(0x0400, 1)] // report type 4 does not exist
    [InlineData(0x0201, 1)] // report ID 1: the keyboard has no report IDs
    public void SET_REPORT_that_does_not_fit_the_report_descriptor_is_refused_before_its_data_stage(ushort value, ushort length)
    {
        TestHid keyboard = Keyboard();

        Assert.False(((IControlRequestHandler)keyboard).AcceptsOutData(new ControlRequest(ClassOut, 0x09, value, 0, length)));
    }

    [Fact]
    public void SET_REPORT_with_a_short_data_stage_or_none_stalls_and_hands_nothing_over()
    {
        TestHid keyboard = Keyboard();

        Assert.Equal(ControlResponse.Stall, Ask(keyboard, s_setOutputReport with { Length = 0 }));

        Assert.Empty(keyboard.OutputReports);
    }

    [Theory]
    [InlineData(0x0300)] // feature: none declared
    [InlineData(0x0000)] // report type 0 does not exist
    [InlineData(0x0101)] // report ID 1: none
    public void GET_REPORT_for_a_report_the_descriptor_does_not_declare_stalls(ushort value)
    {
        Assert.Equal(ControlResponse.Stall, Ask(Keyboard(), s_getInputReport with { Value = value }));
    }

    [Fact]
    public void With_report_IDs_GET_REPORT_answers_per_ID_and_starts_with_the_ID_byte()
    {
        TestHid hid = WithReportIds();

        Assert.Equal("010000000000000000", Hex(Ask(hid, s_getInputReport with { Value = 0x0101 })));
        Assert.Equal("020000", Hex(Ask(hid, s_getInputReport with { Value = 0x0102 })));
        Assert.Equal(ControlResponse.Stall, Ask(hid, s_getInputReport with { Value = 0x0100 }));
    }

    [Fact]
    public void A_feature_report_is_a_value_the_host_writes_with_SET_REPORT_and_reads_with_GET_REPORT()
    {
        TestHid hid = WithReportIds();
        var getFeature = new ControlRequest(ClassIn, 0x01, 0x0303, 0, 5);
        Assert.Equal("0300000000", Hex(Ask(hid, getFeature)));

        hid.SetFeatureReport([0x03, 0xde, 0xad, 0xbe, 0xef]);
        Assert.Equal("03deadbeef", Hex(Ask(hid, getFeature)));

        Assert.Equal(ControlResponse.Ack, Ask(hid, new ControlRequest(ClassOut, 0x09, 0x0303, 0, 5), 0x03, 1, 2, 3, 4));
        Assert.Equal("0301020304", Hex(Ask(hid, getFeature)));
        Assert.Equal([[0x03, 1, 2, 3, 4]], hid.FeatureReports);
    }

    [Fact]
    public void SET_REPORT_whose_data_names_another_report_ID_than_wValue_stalls()
    {
        TestHid hid = WithReportIds();

        Assert.Equal(ControlResponse.Stall, Ask(hid, new ControlRequest(ClassOut, 0x09, 0x0303, 0, 5), 0x02, 1, 2, 3, 4));

        Assert.Empty(hid.FeatureReports);
    }

    // ---- GET_IDLE / SET_IDLE ----

    [Fact]
    public void SET_IDLE_sets_the_rate_in_4_ms_steps_that_GET_IDLE_returns()
    {
        TestHid keyboard = Keyboard();
        Assert.Equal("00", Hex(Ask(keyboard, s_getIdle)));

        Assert.Equal(ControlResponse.Ack, Ask(keyboard, new ControlRequest(ClassOut, 0x0A, 0x7D00, 0, 0)));

        Assert.Equal("7d", Hex(Ask(keyboard, s_getIdle)));
        Assert.Equal(TimeSpan.FromMilliseconds(500), keyboard.GetIdleRate());
    }

    [Fact]
    public void With_report_IDs_SET_IDLE_for_ID_0_sets_every_report_and_an_ID_sets_only_its_own()
    {
        TestHid hid = WithReportIds();

        Ask(hid, new ControlRequest(ClassOut, 0x0A, 0x0500, 0, 0));
        Ask(hid, new ControlRequest(ClassOut, 0x0A, 0x0902, 0, 0));

        Assert.Equal("05", Hex(Ask(hid, s_getIdle with { Value = 0x0001 })));
        Assert.Equal("09", Hex(Ask(hid, s_getIdle with { Value = 0x0002 })));
        Assert.Equal(TimeSpan.FromMilliseconds(36), hid.GetIdleRate(2));
    }

    [Theory]
    [InlineData(ClassOut, 0x0A, 0x7D05, 0)] // SET_IDLE for report ID 5: the keyboard has no report IDs
    [InlineData(ClassOut, 0x0A, 0x7D00, 1)] // SET_IDLE with a data stage
    [InlineData(ClassIn, 0x02, 0x0100, 1)]  // GET_IDLE with a non-zero high byte
    [InlineData(ClassOut, 0x02, 0x0000, 0)] // GET_IDLE in the OUT direction
    public void Malformed_idle_requests_stall(byte requestType, byte request, ushort value, ushort length)
    {
        TestHid keyboard = Keyboard();

        Assert.Equal(ControlResponse.Stall, Ask(keyboard, new ControlRequest(requestType, request, value, 0, length), new byte[length]));
        Assert.Equal(TimeSpan.Zero, keyboard.GetIdleRate());
    }

    // ---- GET_PROTOCOL / SET_PROTOCOL ----

    [Fact]
    public void A_boot_keyboard_starts_in_report_protocol_and_SET_PROTOCOL_switches_it_to_boot()
    {
        TestHid keyboard = Keyboard();
        Assert.Equal("01", Hex(Ask(keyboard, s_getProtocol)));

        Assert.Equal(ControlResponse.Ack, Ask(keyboard, new ControlRequest(ClassOut, 0x0B, 0, 0, 0)));

        Assert.Equal("00", Hex(Ask(keyboard, s_getProtocol)));
        Assert.Equal(HidProtocol.Boot, keyboard.Protocol);
        Assert.Equal([HidProtocol.Boot], keyboard.ProtocolChanges);
    }

    [Theory]
    [InlineData(ClassOut, 0x0B, 2, 0)]   // protocol 2 does not exist
    [InlineData(ClassOut, 0x0B, 0, 1)]   // SET_PROTOCOL with a data stage
    [InlineData(ClassIn, 0x03, 1, 1)]    // GET_PROTOCOL with wValue 1
    public void Malformed_protocol_requests_stall(byte requestType, byte request, ushort value, ushort length)
    {
        TestHid keyboard = Keyboard();

        Assert.Equal(ControlResponse.Stall, Ask(keyboard, new ControlRequest(requestType, request, value, 0, length), new byte[length]));
        Assert.Equal(HidProtocol.Report, keyboard.Protocol);
    }

    [Fact]
    public void A_device_that_is_not_a_boot_device_stalls_both_protocol_requests()
    {
        TestHid hid = WithReportIds();

        Assert.Equal(ControlResponse.Stall, Ask(hid, s_getProtocol));
        Assert.Equal(ControlResponse.Stall, Ask(hid, new ControlRequest(ClassOut, 0x0B, 0, 0, 0)));
    }

    [Fact]
    public void In_boot_protocol_a_boot_keyboard_takes_the_1_byte_LED_report()
    {
        TestHid keyboard = Keyboard();
        Ask(keyboard, new ControlRequest(ClassOut, 0x0B, 0, 0, 0));

        Assert.Equal(ControlResponse.Ack, Ask(keyboard, s_setOutputReport, 0x02));

        Assert.Equal([[0x02]], keyboard.OutputReports);
    }

    [Fact]
    public void A_disable_puts_back_report_protocol_and_idle_rate_0_as_on_a_freshly_plugged_device()
    {
        TestHid keyboard = Keyboard();
        Ask(keyboard, new ControlRequest(ClassOut, 0x0B, 0, 0, 0));
        Ask(keyboard, new ControlRequest(ClassOut, 0x0A, 0x7D00, 0, 0));

        keyboard.ResetHostState();

        Assert.Equal("01", Hex(Ask(keyboard, s_getProtocol)));
        Assert.Equal("00", Hex(Ask(keyboard, s_getIdle)));
    }

    // ---- Anything else ----

    [Theory]
    [InlineData(0xC1, 0x01, 0x0000, 64)] // vendor IN
    [InlineData(0x41, 0x01, 0x0000, 0)]  // vendor OUT
    [InlineData(0xA1, 0x04, 0x0000, 1)]  // class request 4: not a HID request
    [InlineData(0x81, 0x00, 0x0000, 2)]  // standard GET_STATUS to the interface
    [InlineData(0xA2, 0x01, 0x0100, 8)]  // GET_REPORT to an endpoint
    public void Requests_that_are_not_HID_requests_stall(byte requestType, byte request, ushort value, ushort length)
    {
        Assert.Equal(ControlResponse.Stall, Ask(Keyboard(), new ControlRequest(requestType, request, value, 0, length), new byte[length]));
    }

    // ---- Sending ----

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(0)]
    public async Task SendReportAsync_refuses_a_report_of_the_wrong_length_saying_what_the_descriptor_declares(int length)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await Keyboard().SendReportAsync(new byte[length]));

        Assert.Equal($"A {length}-byte input report does not match the report descriptor, which declares 8 bytes. (Parameter 'report')", error.Message);
    }

    [Fact]
    public async Task With_report_IDs_SendReportAsync_refuses_an_unknown_ID()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await WithReportIds().SendReportAsync(new byte[] { 7, 0, 0 }));

        Assert.Equal("A 3-byte input report starting with ID 7 does not match the report descriptor, which declares ID 1: 9 bytes, ID 2: 3 bytes (the ID byte first). (Parameter 'report')", error.Message);
    }

    // ---- Bad descriptions ----

    [Theory]
    [InlineData("05 01 09", "HidDescription.ReportDescriptor: the report descriptor is malformed: the item at byte 2 (0x09) needs 1 data byte(s), but the descriptor ends after 0.")]
    [InlineData("06 00 ff 09 01 a1 01 75 08 95 01 91 02 c0", "HidDescription.ReportDescriptor declares no input report (no Input item with a Report Size and Report Count above 0): a HID function needs one to send.")]
    public void A_bad_report_descriptor_is_refused_with_one_line_saying_what_is_wrong(string descriptor, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new TestHid(new HidDescription { ReportDescriptor = HidReportLayoutTests.Hex(descriptor) }));

        Assert.Equal($"{message} (Parameter 'description')", error.Message);
    }

    [Fact]
    public void A_boot_keyboard_needs_a_boot_compatible_report_descriptor()
    {
        var error = Assert.Throws<ArgumentException>(() => new TestHid(new HidDescription
        {
            ReportDescriptor = HidReportLayoutTests.KeyboardWithMediaKeys,
            BootProtocol = HidBootProtocol.Keyboard,
        }));

        Assert.StartsWith("HidDescription.BootProtocol = Keyboard needs a report descriptor whose input report starts with the 8-byte boot report and has no report IDs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_OUT_endpoint_needs_an_output_report()
    {
        var error = Assert.Throws<ArgumentException>(() => new TestHid(new HidDescription
        {
            ReportDescriptor = HidReportLayoutTests.KeyboardWithMediaKeys,
            OutEndpoint = true,
        }));

        Assert.StartsWith("HidDescription.OutEndpoint is true, but the report descriptor declares no output report", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_OUT_endpoint_carries_output_reports_of_at_most_63_bytes_so_each_ends_with_a_short_packet()
    {
        // Vendor page, one 64-byte output report (no IDs): a full packet, which would not end the gadget's read.
        var error = Assert.Throws<ArgumentException>(() => new TestHid(new HidDescription
        {
            ReportDescriptor = HidReportLayoutTests.Hex("06 00 ff 09 01 a1 01 75 08 95 01 81 02 95 40 91 02 c0"),
            OutEndpoint = true,
        }));

        Assert.StartsWith("HidDescription.OutEndpoint carries each output report in one short packet of a 64-byte endpoint, so reports of at most 63 bytes; this report descriptor's longest output report is 64 bytes.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(256)]
    public void The_polling_interval_is_1_to_255_ms(double milliseconds)
    {
        var error = Assert.Throws<ArgumentException>(() => new TestHid(new HidDescription
        {
            ReportDescriptor = HidReportDescriptors.BootKeyboard.ToArray(),
            PollingInterval = TimeSpan.FromMilliseconds(milliseconds),
        }));

        Assert.Contains("is out of range: use 1 ms to 255 ms", error.Message, StringComparison.Ordinal);
    }
}
