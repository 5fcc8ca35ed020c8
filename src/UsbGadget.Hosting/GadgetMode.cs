namespace UsbGadget.Hosting;

/// <summary>Who composes the configfs gadget, and which step of a least-privilege service this run is.</summary>
public enum GadgetMode
{
    /// <summary>The app creates the gadget in configfs, binds it, and removes it on stop. It needs root.</summary>
    Create,

    /// <summary>
    /// A script (such as <c>configfs-scripts/usb-gadget.sh setup</c>) or a <see cref="Setup"/> run created the gadget and
    /// its FunctionFS functions; the app serves them, binds the UDC when <see cref="UsbGadgetOptions.BindUdc"/> is set, and
    /// leaves the gadget in place on stop. It needs no root when the gadget was set up for its user.
    /// </summary>
    Attach,

    /// <summary>
    /// The privileged step before an unprivileged <see cref="Attach"/> run (systemd's <c>ExecStartPre=+</c>): creates the
    /// gadget with the app's functions, mounts FunctionFS for <see cref="UsbGadgetOptions.ServiceUser"/>, gives that user the
    /// gadget's <c>UDC</c> attribute, and exits with 0. It needs root.
    /// </summary>
    Setup,

    /// <summary>
    /// The privileged step after the unprivileged run stops (systemd's <c>ExecStopPost=+</c>): unbinds, unmounts and removes
    /// the gadget a <see cref="Setup"/> run made, and exits with 0 (also when there is nothing to remove). It needs root.
    /// </summary>
    Teardown,
}
