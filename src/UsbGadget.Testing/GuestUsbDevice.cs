using System.Globalization;

namespace UsbGadget.Testing;

/// <summary>A USB device as the guest's host side sees it after enumeration (from <c>/sys/bus/usb/devices</c>).</summary>
/// <param name="VendorId">idVendor.</param>
/// <param name="ProductId">idProduct.</param>
/// <param name="SysfsPath">The device directory in the guest, e.g. <c>/sys/bus/usb/devices/1-1</c>.</param>
/// <param name="BusNumber">The bus number (as in <c>lsusb -s</c>).</param>
/// <param name="DeviceNumber">The device address on that bus.</param>
/// <param name="SpeedMbps">The negotiated speed from sysfs: 12, 480 or 5000.</param>
public sealed record GuestUsbDevice(ushort VendorId, ushort ProductId, string SysfsPath, int BusNumber, int DeviceNumber, int SpeedMbps)
{
    /// <summary>The <c>VID:PID</c> selector for <c>lsusb -d</c>, in lower-case hex.</summary>
    public string LsusbId => string.Create(CultureInfo.InvariantCulture, $"{VendorId:x4}:{ProductId:x4}");
}
