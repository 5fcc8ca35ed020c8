namespace UsbGadget.Testing;

/// <summary>The processor architecture of the guest: which Debian kernel and which QEMU system emulator the VM uses.</summary>
public enum GadgetVmArchitecture
{
    /// <summary>
    /// Debian's amd64 kernel under <c>qemu-system-x86_64</c>. The guest's root is the host's own (read-only), so the
    /// host's dotnet, python3, pyusb and lsusb run in it.
    /// </summary>
    X64,

    /// <summary>
    /// Debian's arm64 kernel under <c>qemu-system-aarch64 -M virt -cpu cortex-a72</c> (a Raspberry Pi 4's core).
    /// The host's x86-64 programs cannot run there: the system directories (<c>/bin</c>, <c>/sbin</c>, <c>/lib</c>,
    /// <c>/usr</c>, <c>/etc</c>) come from Debian's arm64 packages (busybox, glibc, python3 with pyusb and libusb), every
    /// other top-level directory of the host at its own path. A gadget must be published for <c>linux-arm64</c>
    /// (see <see cref="GadgetBuild.PublishNativeAotAsync"/>); dotnet itself is not available in the guest.
    /// </summary>
    Arm64,
}
