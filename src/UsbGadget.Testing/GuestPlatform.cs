namespace UsbGadget.Testing;

/// <summary>What differs between guest architectures: the emulator, its machine, the console and the init script.</summary>
/// <param name="Architecture">The architecture this describes.</param>
/// <param name="DebianArchitecture">Debian's name, as in <c>linux-image-*-arm64</c> and <c>pkg:arm64</c>.</param>
/// <param name="Qemu">The QEMU system emulator's program name.</param>
/// <param name="QemuPackage">The Debian package that has it.</param>
/// <param name="MachineArguments">QEMU's machine and CPU arguments.</param>
/// <param name="Console">The kernel's serial console device.</param>
/// <param name="InitResource">The guest init script (an embedded resource under <c>Guest/</c>).</param>
internal sealed record GuestPlatform(
    GadgetVmArchitecture Architecture,
    string DebianArchitecture,
    string Qemu,
    string QemuPackage,
    string[] MachineArguments,
    string Console,
    string InitResource)
{
    /// <summary>
    /// amd64: QEMU's default PC machine. <c>-cpu max</c> is needed: with the default CPU model CoreCLR fails to start
    /// (HRESULT 0x8007000E).
    /// </summary>
    public static GuestPlatform X64 { get; } = new(
        GadgetVmArchitecture.X64, "amd64", "qemu-system-x86_64", "qemu-system-x86", ["-cpu", "max"], "ttyS0", "init.sh");

    /// <summary>arm64: the generic <c>virt</c> board with a Cortex-A72, the core of a Raspberry Pi 4.</summary>
    public static GuestPlatform Arm64 { get; } = new(
        GadgetVmArchitecture.Arm64, "arm64", "qemu-system-aarch64", "qemu-system-arm", ["-M", "virt", "-cpu", "cortex-a72"], "ttyAMA0", "init-arm64.sh");

    /// <summary>Whether the guest has its own userland (arm64) instead of running the host's root.</summary>
    public bool HasOwnUserland => Architecture != GadgetVmArchitecture.X64;

    public static GuestPlatform Of(GadgetVmArchitecture architecture) => architecture switch
    {
        GadgetVmArchitecture.X64 => X64,
        GadgetVmArchitecture.Arm64 => Arm64,
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "Unknown guest architecture."),
    };
}
