using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// FunctionFS ioctl request numbers (include/uapi/linux/usb/functionfs.h), built as the kernel's
    /// asm-generic/ioctl.h does: <c>dir &lt;&lt; 30 | size &lt;&lt; 16 | type &lt;&lt; 8 | nr</c>. x64, arm64 and arm
    /// all use this generic layout.
    /// </summary>
    internal static class FunctionFsIoctl
    {
        private const uint _IOC_NONE = 0;
        private const uint _IOC_READ = 2;
        private const int _IOC_NRSHIFT = 0;
        private const int _IOC_TYPESHIFT = 8;
        private const int _IOC_SIZESHIFT = 16;
        private const int _IOC_DIRSHIFT = 30;

        /// <summary>The ioctl type letter FunctionFS shares with gadgetfs.</summary>
        private const uint Type = 'g';

        /// <summary>_IO('g', 1): bytes not yet claimed in the endpoint FIFO. On an epN file.</summary>
        internal const uint FUNCTIONFS_FIFO_STATUS = (_IOC_NONE << _IOC_DIRSHIFT) | (Type << _IOC_TYPESHIFT) | (1 << _IOC_NRSHIFT);

        /// <summary>_IO('g', 2): discard unclaimed data in the endpoint FIFO. On an epN file.</summary>
        internal const uint FUNCTIONFS_FIFO_FLUSH = (_IOC_NONE << _IOC_DIRSHIFT) | (Type << _IOC_TYPESHIFT) | (2 << _IOC_NRSHIFT);

        /// <summary>_IO('g', 3): clear the endpoint halt and reset the data toggle. On an epN file.</summary>
        internal const uint FUNCTIONFS_CLEAR_HALT = (_IOC_NONE << _IOC_DIRSHIFT) | (Type << _IOC_TYPESHIFT) | (3 << _IOC_NRSHIFT);

        /// <summary>_IO('g', 128): the function-local number of a real interface number (EDOM if none). On ep0.</summary>
        internal const uint FUNCTIONFS_INTERFACE_REVMAP = (_IOC_NONE << _IOC_DIRSHIFT) | (Type << _IOC_TYPESHIFT) | (128 << _IOC_NRSHIFT);

        /// <summary>_IO('g', 129): the endpoint's number as the kernel assigned it. On an epN file.</summary>
        internal const uint FUNCTIONFS_ENDPOINT_REVMAP = (_IOC_NONE << _IOC_DIRSHIFT) | (Type << _IOC_TYPESHIFT) | (129 << _IOC_NRSHIFT);

        /// <summary>
        /// _IOR('g', 130, struct usb_endpoint_descriptor): the endpoint descriptor in use at the current speed.
        /// The size field is sizeof(struct usb_endpoint_descriptor) = 9 (it includes the audio bRefresh and
        /// bSynchAddress); the kernel copies only bLength bytes (usually 7).
        /// </summary>
        internal const uint FUNCTIONFS_ENDPOINT_DESC =
            (_IOC_READ << _IOC_DIRSHIFT) | (usb_endpoint_descriptor.Size << _IOC_SIZESHIFT) | (Type << _IOC_TYPESHIFT) | (130 << _IOC_NRSHIFT);
    }

    /// <summary>struct usb_endpoint_descriptor (include/uapi/linux/usb/ch9.h), packed, 9 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    internal struct usb_endpoint_descriptor
    {
        internal const uint Size = 9;

        internal byte bLength;
        internal byte bDescriptorType;
        internal byte bEndpointAddress;
        internal byte bmAttributes;
        internal ushort wMaxPacketSize; // __le16; every supported architecture is little endian
        internal byte bInterval;
        internal byte bRefresh;
        internal byte bSynchAddress;
    }
}
