namespace UsbGadget.ConfigFs;

/// <summary>What went wrong while composing, binding or removing a configfs gadget.</summary>
/// <remarks>Each value has one message in <see cref="ConfigFsException"/> that says how to fix it.</remarks>
public enum ConfigFsError
{
    /// <summary>The effective user id is not 0: configfs writes and mount(2) need root.</summary>
    NotRoot,
    /// <summary>configfs is not mounted at the configured root.</summary>
    ConfigFsNotMounted,
    /// <summary>configfs is mounted but has no <c>usb_gadget</c> directory: libcomposite is not loaded.</summary>
    LibCompositeNotLoaded,
    /// <summary>No USB device controller is present under <c>/sys/class/udc</c>.</summary>
    NoUdc,
    /// <summary>Several UDCs are present and none was chosen.</summary>
    UdcAmbiguous,
    /// <summary>The chosen UDC does not exist.</summary>
    UdcNotFound,
    /// <summary>The UDC is already bound by another gadget or driver.</summary>
    UdcBusy,
    /// <summary>The kernel refused the bind because a FunctionFS instance has not written its descriptors yet (ENODEV).</summary>
    FunctionFsNotReady,
    /// <summary>The UDC has too few endpoints for the gadget's functions (ENOTSUPP, errno 524).</summary>
    UdcLacksEndpoints,
    /// <summary>The bind failed inside the kernel with the UDC free; the kernel log names the cause.</summary>
    BindFailed,
    /// <summary>A gadget with this name exists and was not created by a UsbGadget process.</summary>
    GadgetNameTaken,
    /// <summary>A gadget with this name belongs to a UsbGadget process that is still running.</summary>
    GadgetOwnedByRunningProcess,
    /// <summary>The gadget to attach to does not exist.</summary>
    GadgetNotFound,
    /// <summary>A FunctionFS instance name is already used by another gadget (the names are system-wide).</summary>
    FunctionFsInstanceInUse,
    /// <summary>The kernel does not know the function type (its module is missing).</summary>
    FunctionNotAvailable,
    /// <summary>WebUSB was requested but the kernel has no <c>webusb</c> group (it appeared in Linux 6.3).</summary>
    WebUsbNotSupported,
    /// <summary>MS OS descriptors were requested but the kernel has no <c>os_desc</c> group.</summary>
    OsDescriptorsNotSupported,
    /// <summary>An attribute file the definition writes does not exist in this kernel or function.</summary>
    AttributeNotSupported,
    /// <summary>The kernel rejected a value written to an attribute (EINVAL, ERANGE, EOVERFLOW).</summary>
    AttributeRejected,
    /// <summary>Mounting or unmounting FunctionFS failed.</summary>
    MountFailed,
    /// <summary>The gadget definition is invalid; the message lists every problem.</summary>
    InvalidDefinition,
    /// <summary>Another file-system operation in configfs failed.</summary>
    IoFailed,
    /// <summary>Something is already mounted where a FunctionFS instance would be mounted.</summary>
    MountPointInUse,
    /// <summary>
    /// An unprivileged process may not do this: the gadget was not set up for its user (its FunctionFS files or its
    /// <c>UDC</c> attribute belong to another user, EACCES), or a FunctionFS instance is not mounted and only root can mount it.
    /// </summary>
    NotPermitted,
    /// <summary>A gadget with this name was set up for a service user and is kept until that service's teardown step removes it.</summary>
    GadgetOwnedByService,
}
