namespace UsbGadget.Testing;

/// <summary>Settings for <see cref="GadgetVm.StartAsync(GadgetVmOptions?, CancellationToken)"/>.</summary>
public sealed class GadgetVmOptions
{
    /// <summary>
    /// Directory for the downloaded kernel and per-VM session files (exchange share, console log).
    /// It must not be under <c>/tmp</c>: the guest mounts a tmpfs there, which hides the host's <c>/tmp</c>.
    /// </summary>
    /// <remarks>Defaults to <c>$USBGADGET_VM_CACHE</c>, else <c>/var/cache/usbgadget-vm</c> for root, else <c>~/.cache/usbgadget-vm</c>.</remarks>
    public string? CacheDirectory { get; set; }

    /// <summary>The speed dummy_hcd is loaded with at boot. Change it later with <see cref="GadgetVm.SetSpeedAsync"/>.</summary>
    /// <remarks>Defaults to <see cref="GadgetVmSpeed.High"/>.</remarks>
    public GadgetVmSpeed Speed { get; set; } = GadgetVmSpeed.High;

    /// <summary>Guest memory in MiB.</summary>
    /// <remarks>Defaults to 2048.</remarks>
    public int MemoryMiB { get; set; } = 2048;

    /// <summary>Number of virtual CPUs.</summary>
    /// <remarks>Defaults to 2.</remarks>
    public int ProcessorCount { get; set; } = 2;

    /// <summary>How long to wait for the guest agent to report ready after QEMU starts.</summary>
    /// <remarks>Defaults to 3 minutes (a boot takes about 10–15 s under software emulation, more on a loaded machine).</remarks>
    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Timeout for a guest command when the call does not give one.</summary>
    /// <remarks>Defaults to 2 minutes.</remarks>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Whether missing host packages (QEMU, busybox-static, kmod and <see cref="RequiredHostPackages"/>) are installed
    /// with <c>apt-get</c>. Only possible as root; otherwise preparation fails with the command to run.
    /// </summary>
    /// <remarks>Defaults to <see langword="true"/>.</remarks>
    public bool InstallMissingPackages { get; set; } = true;

    /// <summary>
    /// Extra Debian packages the guest needs from the host root, for example <c>python3-usb</c> and <c>usbutils</c>
    /// for host-side checks. Checked with <c>dpkg-query</c> and installed like the harness's own packages.
    /// </summary>
    /// <remarks>Defaults to empty.</remarks>
    public IList<string> RequiredHostPackages { get; } = [];

    /// <summary>
    /// Kernel modules loaded at boot in addition to the built-in set (configfs, libcomposite, usb_f_fs, usb_f_ss_lb, usb_f_hid,
    /// usbhid, hid-generic, evdev, dummy_hcd and the virtio/9p stack). Names as in <c>modules.dep</c>, e.g. <c>usb_f_acm</c>, <c>cdc-acm</c>.
    /// </summary>
    /// <remarks>Defaults to empty.</remarks>
    public IList<string> ExtraModules { get; } = [];

    /// <summary>
    /// Which kernel the guest boots, downloaded once and cached:
    /// <list type="bullet">
    /// <item><c>stable</c>: Debian stable's kernel, the package the machine's <c>linux-image-amd64</c> depends on;</item>
    /// <item>a series such as <c>6.1</c>, <c>6.12</c> or <c>6.18</c>: the newest generic <c>amd64</c> kernel of that series in
    /// Debian's bookworm, bookworm-security, bookworm-backports and trixie-backports suites, read through apt with its own state
    /// under the cache directory (the machine's apt configuration is not touched);</item>
    /// <item>the path of a kernel image <c>.deb</c>.</item>
    /// </list>
    /// </summary>
    /// <remarks>Defaults to <c>$USBGADGET_VM_KERNEL</c>, else <c>stable</c>.</remarks>
    public string? Kernel { get; set; }

    /// <summary>
    /// The Debian kernel package to boot from the machine's own apt sources, e.g. <c>linux-image-6.1.0-56-amd64</c>.
    /// When <see langword="null"/>, <see cref="Kernel"/> decides. Setting both is an error.
    /// </summary>
    /// <remarks>Defaults to <see langword="null"/>.</remarks>
    public string? KernelPackage { get; set; }

    /// <summary>Path or name of the QEMU system emulator; <see langword="null"/> for the one <see cref="Architecture"/> needs.</summary>
    /// <remarks>Defaults to <see langword="null"/>: <c>qemu-system-x86_64</c> (package <c>qemu-system-x86</c>) or, for
    /// <see cref="GadgetVmArchitecture.Arm64"/>, <c>qemu-system-aarch64</c> (package <c>qemu-system-arm</c>), found on <c>PATH</c>.</remarks>
    public string? QemuPath { get; set; }

    /// <summary>
    /// The guest's architecture. <see cref="GadgetVmArchitecture.Arm64"/> boots Debian's arm64 kernel on an emulated
    /// Cortex-A72 with an arm64 userland of its own; pick its kernel with <see cref="Kernel"/> (a series such as <c>6.18</c>).
    /// </summary>
    /// <remarks>Defaults to <see cref="GadgetVmArchitecture.X64"/>.</remarks>
    public GadgetVmArchitecture Architecture { get; set; } = GadgetVmArchitecture.X64;

    /// <summary>
    /// Whether the guest caches files of the host root (9p <c>cache=loose</c>). Much faster process start-up
    /// (a <c>true</c> takes ~0.13 s instead of ~0.5 s), but a host file the guest has already read, or looked up while it
    /// did not exist, may look stale if it changes while the VM runs. Build what the guest runs before starting the VM, or turn this off.
    /// </summary>
    /// <remarks>Defaults to <see langword="true"/>.</remarks>
    public bool CacheHostFiles { get; set; } = true;

    /// <summary>Environment variables exported to every guest command.</summary>
    /// <remarks>Defaults to empty. The guest always gets <c>PATH</c> (system directories plus the host's dotnet directory) and <c>HOME=/tmp</c>.</remarks>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Receives progress lines (downloads, boot, shutdown). Called from any thread.</summary>
    /// <remarks>Defaults to <see langword="null"/> (silent).</remarks>
    public Action<string>? Log { get; set; }

    /// <summary>Returns the cache directory these options resolve to.</summary>
    /// <returns>An absolute path.</returns>
    public string ResolveCacheDirectory()
    {
        string? dir = CacheDirectory;
        if (string.IsNullOrEmpty(dir))
        {
            dir = System.Environment.GetEnvironmentVariable("USBGADGET_VM_CACHE");
        }

        if (string.IsNullOrEmpty(dir))
        {
            dir = HostEnvironment.IsRoot
                ? "/var/cache/usbgadget-vm"
                : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache", "usbgadget-vm");
        }

        return Path.GetFullPath(dir);
    }

    /// <summary>The kernel choice these options resolve to: <see cref="Kernel"/>, else <c>$USBGADGET_VM_KERNEL</c>, else stable.</summary>
    internal KernelChoice ResolveKernel() =>
        Kernel is not null
            ? KernelChoice.Parse(Kernel, $"{nameof(GadgetVmOptions)}.{nameof(Kernel)}")
            : KernelChoice.Parse(System.Environment.GetEnvironmentVariable(KernelChoice.EnvironmentVariable), KernelChoice.EnvironmentVariable);

    internal void Validate()
    {
        KernelChoice kernel = ResolveKernel();
        if (KernelPackage is not null && kernel is not KernelChoice.Stable)
        {
            throw new GadgetVmException(
                $"Both {nameof(KernelPackage)} ('{KernelPackage}') and a kernel choice ('{kernel}', from {nameof(Kernel)} or {KernelChoice.EnvironmentVariable}) are set; keep one.");
        }

        string cache = ResolveCacheDirectory();
        if (cache == "/tmp" || cache.StartsWith("/tmp/", StringComparison.Ordinal))
        {
            throw new GadgetVmException(
                $"The VM cache directory '{cache}' is under /tmp, which the guest hides behind its own tmpfs. " +
                "Set GadgetVmOptions.CacheDirectory or USBGADGET_VM_CACHE to a directory outside /tmp.");
        }

        if (!Enum.IsDefined(Architecture))
        {
            throw new ArgumentOutOfRangeException(nameof(Architecture), Architecture, "Unknown guest architecture.");
        }

        if (Architecture != GadgetVmArchitecture.X64 && KernelPackage is not null)
        {
            throw new GadgetVmException(
                $"{nameof(KernelPackage)} ('{KernelPackage}') names a package of the machine's own apt sources, which serve no {Architecture} kernel. " +
                $"For an {Architecture} guest set {nameof(Kernel)} to a series (e.g. 6.18) or to the path of a kernel .deb.");
        }

        if (MemoryMiB < 256)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryMiB), MemoryMiB, "The guest needs at least 256 MiB; 2048 is recommended (dotnet needs room).");
        }

        if (ProcessorCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ProcessorCount), ProcessorCount, "The guest needs at least one CPU.");
        }

        if (BootTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BootTimeout), BootTimeout, "Must be positive.");
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "Must be positive.");
        }

        foreach (string key in Environment.Keys)
        {
            if (key.Length == 0 || !key.All(c => c == '_' || char.IsAsciiLetterOrDigit(c)) || char.IsAsciiDigit(key[0]))
            {
                throw new ArgumentException($"'{key}' is not a valid shell variable name.", nameof(Environment));
            }
        }
    }
}
