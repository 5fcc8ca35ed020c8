using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace UsbGadget.Tests.FunctionFs;

public class InteropTests
{
    // Values computed by include/uapi/asm-generic/ioctl.h from include/uapi/linux/usb/functionfs.h.
    [Theory]
    [InlineData(nameof(Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_STATUS), 0x6701u)]
    [InlineData(nameof(Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_FLUSH), 0x6702u)]
    [InlineData(nameof(Interop.FunctionFsIoctl.FUNCTIONFS_CLEAR_HALT), 0x6703u)]
    [InlineData(nameof(Interop.FunctionFsIoctl.FUNCTIONFS_INTERFACE_REVMAP), 0x6780u)]
    [InlineData(nameof(Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_REVMAP), 0x6781u)]
    [InlineData(nameof(Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_DESC), 0x80096782u)] // _IOR: dir 2, size 9
    public void Ioctl_numbers_match_the_kernel(string name, uint expected)
    {
        uint actual = name switch
        {
            nameof(Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_STATUS) => Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_STATUS,
            nameof(Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_FLUSH) => Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_FLUSH,
            nameof(Interop.FunctionFsIoctl.FUNCTIONFS_CLEAR_HALT) => Interop.FunctionFsIoctl.FUNCTIONFS_CLEAR_HALT,
            nameof(Interop.FunctionFsIoctl.FUNCTIONFS_INTERFACE_REVMAP) => Interop.FunctionFsIoctl.FUNCTIONFS_INTERFACE_REVMAP,
            nameof(Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_REVMAP) => Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_REVMAP,
            nameof(Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_DESC) => Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_DESC,
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Usb_endpoint_descriptor_is_9_packed_bytes_in_ch9_order()
    {
        Assert.Equal(9, Marshal.SizeOf<Interop.usb_endpoint_descriptor>());
        Assert.Equal(9, Unsafe.SizeOf<Interop.usb_endpoint_descriptor>());
        Assert.Equal(0, Offset(nameof(Interop.usb_endpoint_descriptor.bLength)));
        Assert.Equal(1, Offset(nameof(Interop.usb_endpoint_descriptor.bDescriptorType)));
        Assert.Equal(2, Offset(nameof(Interop.usb_endpoint_descriptor.bEndpointAddress)));
        Assert.Equal(3, Offset(nameof(Interop.usb_endpoint_descriptor.bmAttributes)));
        Assert.Equal(4, Offset(nameof(Interop.usb_endpoint_descriptor.wMaxPacketSize)));
        Assert.Equal(6, Offset(nameof(Interop.usb_endpoint_descriptor.bInterval)));
        Assert.Equal(7, Offset(nameof(Interop.usb_endpoint_descriptor.bRefresh)));
        Assert.Equal(8, Offset(nameof(Interop.usb_endpoint_descriptor.bSynchAddress)));

        static int Offset(string field) => (int)Marshal.OffsetOf<Interop.usb_endpoint_descriptor>(field);
    }

    [Fact]
    public void Usb_endpoint_descriptor_reads_a_bulk_in_descriptor_from_its_wire_bytes()
    {
        // bLength 7, ENDPOINT, 0x81 (IN 1), bulk, wMaxPacketSize 512, bInterval 0, then the two audio bytes.
        byte[] wire = Convert.FromHexString("070581020002000000");
        Interop.usb_endpoint_descriptor descriptor = MemoryMarshal.Read<Interop.usb_endpoint_descriptor>(wire);

        Assert.Equal(7, descriptor.bLength);
        Assert.Equal(5, descriptor.bDescriptorType);
        Assert.Equal(0x81, descriptor.bEndpointAddress);
        Assert.Equal(2, descriptor.bmAttributes);
        Assert.Equal(512, descriptor.wMaxPacketSize);
    }
}
