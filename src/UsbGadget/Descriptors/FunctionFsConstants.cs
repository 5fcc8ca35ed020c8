namespace UsbGadget.Descriptors;

/// <summary>Values from include/uapi/linux/usb/functionfs.h and ch9.h.</summary>
internal static class FunctionFsConstants
{
    public const uint DescriptorsMagicV2 = 3;
    public const uint StringsMagic = 2;

    public const uint HasFullSpeedDescriptors = 1;
    public const uint HasHighSpeedDescriptors = 2;
    public const uint HasSuperSpeedDescriptors = 4;
    public const uint HasMsOsDescriptors = 8;
    public const uint VirtualAddresses = 16;
    public const uint EventFd = 32;
    public const uint AllControlRecipients = 64;
    public const uint Config0Setup = 128;

    public const byte DescriptorTypeInterface = 0x04;
    public const byte DescriptorTypeEndpoint = 0x05;
    public const byte DescriptorTypeInterfaceAssociation = 0x0B;
    public const byte DescriptorTypeSuperSpeedEndpointCompanion = 0x30;

    public const byte InterfaceDescriptorSize = 9;
    public const byte EndpointDescriptorSize = 7;
    public const byte InterfaceAssociationDescriptorSize = 8;
    public const byte SuperSpeedEndpointCompanionSize = 6;

    /// <summary>sizeof(struct usb_os_desc_header).</summary>
    public const int OsDescriptorHeaderSize = 11;

    /// <summary>sizeof(struct usb_ext_compat_desc).</summary>
    public const int ExtendedCompatDescriptorSize = 24;

    /// <summary>dwSize + dwPropertyDataType + wPropertyNameLength + dwPropertyDataLength.</summary>
    public const int ExtendedPropertyOverhead = 14;

    public const ushort OsDescriptorExtendedCompatIndex = 4;
    public const ushort OsDescriptorExtendedPropertiesIndex = 5;

    /// <summary>
    /// f_fs.c rejects a function with FFS_MAX_EPS_COUNT (31) or more endpoint descriptors per speed, so 30 is the most.
    /// Older kernels compared against 15, allowing 14.
    /// </summary>
    public const int MaxEndpoints = 30;
}
