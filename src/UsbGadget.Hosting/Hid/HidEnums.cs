namespace UsbGadget.Hosting.Hid;

/// <summary>
/// Whether a HID interface is a boot device (HID 1.11 §4.2–4.3): one that a BIOS or a boot loader can use without
/// reading its report descriptor, because it also speaks the fixed boot report format of Appendix B.
/// </summary>
public enum HidBootProtocol : byte
{
    /// <summary>Not a boot device: subclass 0, protocol 0. The host reads the report descriptor.</summary>
    None = 0,

    /// <summary>A boot keyboard: subclass 1, protocol 1. In boot protocol its input report is the 8-byte Appendix B.1 report.</summary>
    Keyboard = 1,

    /// <summary>A boot mouse: subclass 1, protocol 2. In boot protocol its input report starts with the 3 bytes of Appendix B.2.</summary>
    Mouse = 2,
}

/// <summary>The protocol a boot device speaks, as the host selected with SET_PROTOCOL (HID 1.11 §7.2.6).</summary>
public enum HidProtocol : byte
{
    /// <summary>The fixed boot report format of HID 1.11 Appendix B, which BIOSes select.</summary>
    Boot = 0,

    /// <summary>The reports the report descriptor declares. Every device starts in this protocol.</summary>
    Report = 1,
}

/// <summary>The type of a HID report (HID 1.11 §7.2.1, the high byte of <c>wValue</c> in GET_REPORT and SET_REPORT).</summary>
public enum HidReportType : byte
{
    /// <summary>Device to host: what the device sends on its interrupt IN endpoint (keys, movement, readings).</summary>
    Input = 1,

    /// <summary>Host to device: what the host sends with SET_REPORT or on the interrupt OUT endpoint (keyboard LEDs, for example).</summary>
    Output = 2,

    /// <summary>Either way, on ep0 only: settings the host reads and writes (GET_REPORT and SET_REPORT).</summary>
    Feature = 3,
}
