namespace UsbGadget.Hosting;

/// <summary>Who composes the configfs gadget.</summary>
public enum GadgetMode
{
    /// <summary>The app creates the gadget in configfs, binds it, and removes it on stop.</summary>
    Create,

    /// <summary>
    /// A script (such as <c>configfs-scripts/usb-gadget.sh setup</c>) created the gadget and its FunctionFS functions; the
    /// app serves them, binds the UDC when <see cref="UsbGadgetOptions.BindUdc"/> is set, and leaves the gadget in place on stop.
    /// </summary>
    Attach,
}
