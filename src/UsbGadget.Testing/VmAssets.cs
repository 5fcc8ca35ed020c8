using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace UsbGadget.Testing;

/// <summary>A Debian kernel package unpacked in the cache, with <c>modules.dep</c> generated.</summary>
internal sealed record KernelImage(string Package, string Root, string Release, string Vmlinuz, string ModulesDirectory, KernelModules Modules);

/// <summary>The host tools the VM needs.</summary>
/// <param name="Qemu">The QEMU system emulator.</param>
/// <param name="Busybox">The static busybox of the guest's architecture, for the initramfs.</param>
/// <param name="Userland">The guest's own system directories when its architecture is not the host's (see <see cref="GuestUserland"/>).</param>
internal sealed record HostTools(string Qemu, string Busybox, string? Userland = null);

/// <summary>
/// Prepares everything the VM needs on a Debian host: packages (installed with apt-get when root),
/// Debian's own kernel package unpacked into the cache, and a static busybox for the initramfs.
/// </summary>
internal static partial class VmAssets
{
    private const string AptHint = "apt-get update && apt-get install -y";
    private static readonly TimeSpan s_aptTimeout = TimeSpan.FromMinutes(15);

    public static async Task<(HostTools Tools, KernelImage Kernel)> PrepareAsync(GadgetVmOptions options, string cacheDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            throw new GadgetVmException(
                $"The gadget VM runs Debian's amd64 kernel under qemu-system-x86_64 and needs a Linux x64 host; this is {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}.");
        }

        Directory.CreateDirectory(cacheDirectory);
        HostTools tools = await EnsureHostPackagesAsync(options, log, cancellationToken).ConfigureAwait(false);
        using FileStream cacheLock = await LockAsync(Path.Combine(cacheDirectory, ".lock"), log, cancellationToken).ConfigureAwait(false);
        KernelImage kernel = await EnsureKernelAsync(options, cacheDirectory, log, cancellationToken).ConfigureAwait(false);
        GuestPlatform platform = GuestPlatform.Of(options.Architecture);
        if (platform.HasOwnUserland)
        {
            string userland = await GuestUserland.EnsureAsync(platform, cacheDirectory, log, cancellationToken).ConfigureAwait(false);
            tools = tools with { Busybox = Path.Combine(userland, "bin", "busybox"), Userland = userland };
        }

        return (tools, kernel);
    }

    private static async Task<HostTools> EnsureHostPackagesAsync(GadgetVmOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        GuestPlatform platform = GuestPlatform.Of(options.Architecture);
        string qemuPath = options.QemuPath ?? platform.Qemu;
        var missing = new List<string>();
        if (HostEnvironment.FindExecutable(qemuPath) is null)
        {
            missing.Add(platform.QemuPackage);
        }

        // A guest with its own userland gets busybox from it; the host's is for an amd64 guest.
        if (!platform.HasOwnUserland && FindStaticBusybox() is null)
        {
            missing.Add("busybox-static");
        }

        if (HostEnvironment.FindExecutable("depmod") is null)
        {
            missing.Add("kmod");
        }

        // Kernels from 6.12 on ship xz-compressed modules, which are decompressed once when cached.
        if (options.KernelPackage is null && options.ResolveKernel() is not KernelChoice.Stable && HostEnvironment.FindExecutable("xz") is null)
        {
            missing.Add("xz-utils");
        }

        foreach (string package in options.RequiredHostPackages)
        {
            if (!missing.Contains(package) && !await IsPackageInstalledAsync(package, cancellationToken).ConfigureAwait(false))
            {
                missing.Add(package);
            }
        }

        if (missing.Count > 0)
        {
            string packages = string.Join(' ', missing);
            if (!HostEnvironment.IsRoot || !options.InstallMissingPackages)
            {
                string why = HostEnvironment.IsRoot ? "installing packages is turned off (GadgetVmOptions.InstallMissingPackages)" : "this process is not root";
                throw new GadgetVmException(
                    $"The gadget VM needs these Debian packages on the host: {packages}. They are not installed and {why}. " +
                    $"Install them with: sudo {AptHint} {packages}");
            }

            log($"installing host packages: {packages}");
            string[] install = ["install", "-y", "--no-install-recommends", .. missing];
            HostCommandResult result = await AptGetAsync(install, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                // A fresh machine has no package lists yet.
                log("apt-get install failed; running apt-get update and retrying");
                await AptGetAsync(["update"], cancellationToken).ConfigureAwait(false);
                result = await AptGetAsync(install, cancellationToken).ConfigureAwait(false);
                if (result.ExitCode != 0)
                {
                    throw new GadgetVmException($"Installing {packages} failed: {result.Describe()}{Environment.NewLine}Fix apt (network, sources) and run: {AptHint} {packages}");
                }
            }
        }

        string qemu = HostEnvironment.FindExecutable(qemuPath)
            ?? throw new GadgetVmException($"'{qemuPath}' is still not found after installing {platform.QemuPackage}. Set GadgetVmOptions.QemuPath.");
        string busybox = platform.HasOwnUserland
            ? "" // set from the guest userland once it is built
            : FindStaticBusybox() ?? throw new GadgetVmException("No statically linked busybox at /bin/busybox or /usr/bin/busybox. Install it with: sudo apt-get install -y busybox-static");
        return new HostTools(qemu, busybox);
    }

    private static Task<HostCommandResult> AptGetAsync(string[] arguments, CancellationToken cancellationToken) =>
        HostCommand.RunAsync(
            "apt-get", arguments, s_aptTimeout,
            environment: new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" }, cancellationToken: cancellationToken);

    private static async Task<bool> IsPackageInstalledAsync(string package, CancellationToken cancellationToken)
    {
        if (HostEnvironment.FindExecutable("dpkg-query") is null)
        {
            throw new GadgetVmException($"Cannot check for host package '{package}': dpkg-query is missing. The gadget VM expects a Debian-based host.");
        }

        HostCommandResult result = await HostCommand.RunAsync(
            "dpkg-query", ["-W", "-f=${Status}", package], TimeSpan.FromMinutes(1), cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 && result.StandardOutput.Contains("install ok installed", StringComparison.Ordinal);
    }

    /// <summary>Busybox must be static: the initramfs has no C library.</summary>
    internal static string? FindStaticBusybox()
    {
        foreach (string candidate in (string[])["/bin/busybox", "/usr/bin/busybox"])
        {
            if (File.Exists(candidate) && IsStaticElf(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>True for a 64-bit little-endian ELF without a PT_INTERP program header.</summary>
    internal static bool IsStaticElf(string path)
    {
        using FileStream file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[64];
        if (file.Read(header) < 64 || header[0] != 0x7F || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F' || header[4] != 2 || header[5] != 1)
        {
            return false;
        }

        long programHeaders = BinaryPrimitives.ReadInt64LittleEndian(header[0x20..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[0x36..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(header[0x38..]);
        Span<byte> entry = stackalloc byte[4];
        for (int i = 0; i < count; i++)
        {
            file.Position = programHeaders + ((long)i * entrySize);
            if (file.Read(entry) < 4)
            {
                return false;
            }

            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) == 3 /* PT_INTERP */)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<KernelImage> EnsureKernelAsync(GadgetVmOptions options, string cacheDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        string kernels = Path.Combine(cacheDirectory, "kernels");
        Directory.CreateDirectory(kernels);
        GuestPlatform platform = GuestPlatform.Of(options.Architecture);
        if (platform != GuestPlatform.X64)
        {
            return await EnsureForeignKernelAsync(options, platform, cacheDirectory, kernels, log, cancellationToken).ConfigureAwait(false);
        }

        if (options.KernelPackage is not null)
        {
            return await EnsureMachineKernelAsync(options.KernelPackage, kernels, log, cancellationToken).ConfigureAwait(false);
        }

        switch (options.ResolveKernel())
        {
            case KernelChoice.Series series:
                return await EnsureSeriesKernelAsync(series, GuestPlatform.X64, cacheDirectory, kernels, log, cancellationToken).ConfigureAwait(false);
            case KernelChoice.DebFile deb:
                return await EnsureDebFileKernelAsync(deb.Path, kernels, log, cancellationToken).ConfigureAwait(false);
            default:
                string stableMarker = Path.Combine(kernels, "stable");
                string? package = await ResolveKernelPackageAsync(log, cancellationToken).ConfigureAwait(false);
                if (package is null)
                {
                    // apt cannot tell (no package lists, not root): use the kernel last resolved as stable.
                    package = File.Exists(stableMarker) ? File.ReadAllText(stableMarker).Trim() : null;
                    if (package is null || !File.Exists(Path.Combine(kernels, package, ".complete")))
                    {
                        throw new GadgetVmException(
                            "Cannot tell which kernel to download: 'apt-cache depends linux-image-amd64' names no linux-image-* package. " +
                            $"Run 'sudo apt-get update' (as root the harness does it itself), or choose a series with {KernelChoice.EnvironmentVariable}=6.12.");
                    }
                }

                KernelImage kernel = await EnsureMachineKernelAsync(package, kernels, log, cancellationToken).ConfigureAwait(false);
                File.WriteAllText(stableMarker, package + "\n");
                return kernel;
        }
    }

    /// <summary>A kernel package from the machine's own apt sources.</summary>
    private static async Task<KernelImage> EnsureMachineKernelAsync(string package, string kernels, Action<string> log, CancellationToken cancellationToken)
    {
        if (!KernelPackageName().IsMatch(package))
        {
            throw new GadgetVmException($"'{package}' is not a Debian kernel image package name such as linux-image-6.1.0-56-amd64.");
        }

        string root = Path.Combine(kernels, package);
        if (!File.Exists(Path.Combine(root, ".complete")))
        {
            await InstallKernelAsync(package, kernels, root, log, DownloadFromMachineAsync, cancellationToken).ConfigureAwait(false);
        }

        return LoadKernel(package, root);

        async Task<string> DownloadFromMachineAsync(string work)
        {
            log($"downloading {package} with apt-get download");
            HostCommandResult download = await HostCommand.RunAsync(
                "apt-get", ["download", package], s_aptTimeout, work, cancellationToken: cancellationToken).ConfigureAwait(false);
            string? deb = Directory.EnumerateFiles(work, "*.deb").FirstOrDefault();
            return download.ExitCode == 0 && deb is not null
                ? deb
                : throw new GadgetVmException(
                    $"Downloading the kernel package failed: {download.Describe()}{Environment.NewLine}" +
                    $"Check network access and run 'sudo apt-get update', or download it by hand: cd {work} && apt-get download {package}");
        }
    }

    /// <summary>The suites a kernel series is looked up in, on the mirror the machine's apt uses.</summary>
    internal static IReadOnlyList<DebianSuite> KernelSuites()
    {
        string debian = DebianArchive.MachineMirror("debian");
        string security = DebianArchive.MachineMirror("debian-security");
        return
        [
            new(debian, "bookworm"),
            new(security, "bookworm-security"),
            new(debian, "bookworm-backports"),
            new(debian, "trixie-backports"),
        ];
    }

    /// <summary>
    /// A kernel for a guest architecture the machine's apt does not serve (arm64): a series from the kernel suites, a
    /// <c>.deb</c>, or for "stable" the series of the machine's own stable amd64 kernel.
    /// </summary>
    private static async Task<KernelImage> EnsureForeignKernelAsync(
        GadgetVmOptions options, GuestPlatform platform, string cacheDirectory, string kernels, Action<string> log, CancellationToken cancellationToken)
    {
        // GadgetVmOptions.Validate has refused KernelPackage for this guest.
        switch (options.ResolveKernel())
        {
            case KernelChoice.Series series:
                return await EnsureSeriesKernelAsync(series, platform, cacheDirectory, kernels, log, cancellationToken).ConfigureAwait(false);
            case KernelChoice.DebFile deb:
                return await EnsureDebFileKernelAsync(deb.Path, kernels, log, cancellationToken).ConfigureAwait(false);
            default:
                string? stable = await ResolveKernelPackageAsync(log, cancellationToken).ConfigureAwait(false);
                if (stable is null || !DebianKernelPackage.TryParse(stable, GuestPlatform.X64.DebianArchitecture, out DebianKernelPackage? package))
                {
                    throw new GadgetVmException(
                        $"Cannot tell which series Debian stable's kernel is ('apt-cache depends linux-image-amd64' names none), so no {platform.DebianArchitecture} kernel can be picked. " +
                        $"Choose a series with {KernelChoice.EnvironmentVariable}=6.18 (or GadgetVmOptions.Kernel).");
                }

                var stableSeries = new KernelChoice.Series(package.Version[0], package.Version[1]);
                return await EnsureSeriesKernelAsync(stableSeries, platform, cacheDirectory, kernels, log, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<KernelImage> EnsureSeriesKernelAsync(
        KernelChoice.Series series, GuestPlatform platform, string cacheDirectory, string kernels, Action<string> log, CancellationToken cancellationToken)
    {
        string architecture = platform.DebianArchitecture;
        var archive = new DebianArchive(Path.Combine(cacheDirectory, "apt", $"kernels-{architecture}"), KernelSuites(), architecture);
        DebianKernelPackage? cached = Directory.EnumerateDirectories(kernels)
            .Where(d => File.Exists(Path.Combine(d, ".complete")))
            .Select(d => DebianKernelPackage.TryParse(Path.GetFileName(d), architecture, out DebianKernelPackage? p) ? p : null)
            .OfType<DebianKernelPackage>()
            .Where(p => p.Series == series.ToString())
            .OrderDescending(Comparer<DebianKernelPackage>.Create(DebianKernelPackage.Compare))
            .FirstOrDefault();
        try
        {
            // Package lists younger than a day are trusted, so a warm cache needs no network.
            await archive.UpdateAsync(TimeSpan.FromDays(1), log, cancellationToken).ConfigureAwait(false);
        }
        catch (GadgetVmException ex) when (cached is not null)
        {
            log($"using the cached {cached.Name}: {HostEnvironment.Tail(ex.Message, 1)}");
            return LoadKernel(cached.Name, Path.Combine(kernels, cached.Name));
        }

        IReadOnlyList<string> names = await archive.FindPackagesAsync($"^linux-image-[0-9].*-{architecture}$", cancellationToken).ConfigureAwait(false);
        DebianKernelPackage[] packages = names
            .Select(n => DebianKernelPackage.TryParse(n, architecture, out DebianKernelPackage? p) ? p : null)
            .OfType<DebianKernelPackage>()
            .ToArray();
        DebianKernelPackage? newest = packages
            .Where(p => p.Series == series.ToString())
            .OrderDescending(Comparer<DebianKernelPackage>.Create(DebianKernelPackage.Compare))
            .FirstOrDefault();
        if (newest is null)
        {
            string found = string.Join(", ", packages.Select(p => (p.Version[0], p.Version[1])).Distinct().Order().Select(v => $"{v.Item1}.{v.Item2}"));
            throw new GadgetVmException(
                $"No Debian {architecture} kernel of series {series} in {string.Join(", ", archive.Suites.Select(s => s.Name))}. " +
                $"Series found: {(found.Length == 0 ? "none" : found)}. Pick one of them with {KernelChoice.EnvironmentVariable}.");
        }

        string root = Path.Combine(kernels, newest.Name);
        if (!File.Exists(Path.Combine(root, ".complete")))
        {
            await InstallKernelAsync(
                newest.Name, kernels, root, log,
                work =>
                {
                    log($"downloading {newest.Name} (newest of series {series}) with apt-get download");
                    return archive.DownloadAsync(newest.Name, work, cancellationToken);
                },
                cancellationToken).ConfigureAwait(false);
        }

        return LoadKernel(newest.Name, root);
    }

    private static async Task<KernelImage> EnsureDebFileKernelAsync(string deb, string kernels, Action<string> log, CancellationToken cancellationToken)
    {
        HostCommandResult fields = await HostCommand.RunAsync(
            "dpkg-deb", ["--field", deb, "Package", "Version"], TimeSpan.FromMinutes(1), cancellationToken: cancellationToken).ConfigureAwait(false);
        Match package = Regex.Match(fields.StandardOutput, @"^Package:\s*(\S+)", RegexOptions.Multiline);
        Match version = Regex.Match(fields.StandardOutput, @"^Version:\s*(\S+)", RegexOptions.Multiline);
        if (fields.ExitCode != 0 || !package.Success || !version.Success)
        {
            throw new GadgetVmException($"'{deb}' is not a readable Debian package: {fields.Describe()}");
        }

        string name = package.Groups[1].Value;
        if (!name.StartsWith("linux-image-", StringComparison.Ordinal))
        {
            throw new GadgetVmException($"'{deb}' is the package '{name}', not a kernel image package (linux-image-*).");
        }

        // Keyed by package and version, so a rebuilt .deb with a new version is unpacked again.
        string key = $"{name}_{version.Groups[1].Value.Replace(':', '_')}";
        string root = Path.Combine(kernels, key);
        if (!File.Exists(Path.Combine(root, ".complete")))
        {
            await InstallKernelAsync(
                name, kernels, root, log,
                work =>
                {
                    string copy = Path.Combine(work, Path.GetFileName(deb));
                    File.Copy(deb, copy);
                    return Task.FromResult(copy);
                },
                cancellationToken).ConfigureAwait(false);
        }

        return LoadKernel(name, root);
    }

    private static async Task<string?> ResolveKernelPackageAsync(Action<string> log, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            HostCommandResult result = await HostCommand.RunAsync(
                "apt-cache", ["depends", "linux-image-amd64"], TimeSpan.FromMinutes(1), cancellationToken: cancellationToken).ConfigureAwait(false);
            Match match = DependsLine().Match(result.StandardOutput);
            if (match.Success)
            {
                return match.Groups[1].Value;
            }

            if (attempt > 0 || !HostEnvironment.IsRoot)
            {
                return null;
            }

            log("apt-cache knows no linux-image-amd64; running apt-get update");
            await AptGetAsync(["update"], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gets the <c>.deb</c> (through <paramref name="download"/>, into a work directory), unpacks it and makes its tree
    /// bootable by the harness: modules under <c>lib/modules</c> (merged-/usr packages have them under <c>usr/lib/modules</c>),
    /// uncompressed (busybox <c>insmod</c> reads plain <c>.ko</c> only), with <c>modules.dep</c> generated for them.
    /// </summary>
    private static async Task InstallKernelAsync(string package, string kernels, string root, Action<string> log, Func<string, Task<string>> download, CancellationToken cancellationToken)
    {
        string work = Path.Combine(kernels, $".download-{package}-{Environment.ProcessId}");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(work);
        try
        {
            string deb = await download(work).ConfigureAwait(false);
            string tree = Path.Combine(work, "tree");
            log($"unpacking {Path.GetFileName(deb)}");
            await RunOrThrowAsync("Unpacking the kernel package", "dpkg-deb", ["-x", deb, tree], work, cancellationToken).ConfigureAwait(false);

            string usrModules = Path.Combine(tree, "usr", "lib", "modules");
            string modules = Path.Combine(tree, "lib", "modules");
            if (Directory.Exists(usrModules) && !Directory.Exists(modules))
            {
                Directory.CreateDirectory(Path.Combine(tree, "lib"));
                Directory.Move(usrModules, modules);
            }

            string release = FindRelease(tree, package);
            await DecompressModulesAsync(Path.Combine(modules, release), cancellationToken).ConfigureAwait(false);
            string depmod = HostEnvironment.FindExecutable("depmod") ?? throw new GadgetVmException("depmod is missing. Install it with: sudo apt-get install -y kmod");
            await RunOrThrowAsync("Generating modules.dep", depmod, ["-b", tree, release], work, cancellationToken).ConfigureAwait(false);

            File.Delete(deb);
            File.WriteAllText(Path.Combine(tree, ".complete"), release + "\n");
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            Directory.Move(tree, root);
            log($"kernel {release} cached in {root}");
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>Debian compresses modules from 6.12 on (<c>.ko.xz</c>); busybox <c>insmod</c> in the guest needs them plain.</summary>
    private static async Task DecompressModulesAsync(string modulesDirectory, CancellationToken cancellationToken)
    {
        // zstd keeps the compressed file unless told otherwise; xz and gzip replace it.
        foreach ((string extension, string tool, string package, string[] options) in (IEnumerable<(string, string, string, string[])>)
            [("xz", "xz", "xz-utils", ["-d", "-q", "-f"]), ("zst", "zstd", "zstd", ["-d", "-q", "-f", "--rm"]), ("gz", "gzip", "gzip", ["-d", "-q", "-f"])])
        {
            string[] files = Directory.EnumerateFiles(modulesDirectory, $"*.ko.{extension}", SearchOption.AllDirectories).ToArray();
            if (files.Length == 0)
            {
                continue;
            }

            string program = HostEnvironment.FindExecutable(tool)
                ?? throw new GadgetVmException($"The kernel's modules are compressed with {tool}, which is missing. Install it with: sudo apt-get install -y {package}");

            // Batches keep each command line short.
            foreach (string[] batch in files.Chunk(500))
            {
                await RunOrThrowAsync($"Decompressing the kernel modules ({tool})", program, [.. options, .. batch], modulesDirectory, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task RunOrThrowAsync(string what, string program, string[] arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        HostCommandResult result = await HostCommand.RunAsync(program, arguments, TimeSpan.FromMinutes(10), workingDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new GadgetVmException($"{what} failed: {result.Describe()}");
        }
    }

    private static string FindRelease(string tree, string package)
    {
        string modules = Path.Combine(tree, "lib", "modules");
        string? release = Directory.Exists(modules) ? Directory.EnumerateDirectories(modules).Select(Path.GetFileName).FirstOrDefault() : null;
        return release ?? throw new GadgetVmException($"The package {package} has no lib/modules/<release> (or usr/lib/modules/<release>) directory; it is not a kernel image package.");
    }

    private static KernelImage LoadKernel(string package, string root)
    {
        string release = FindRelease(root, package);
        string vmlinuz = Path.Combine(root, "boot", $"vmlinuz-{release}");
        string modulesDirectory = Path.Combine(root, "lib", "modules", release);
        string modulesDep = Path.Combine(modulesDirectory, "modules.dep");
        if (!File.Exists(vmlinuz) || !File.Exists(modulesDep))
        {
            throw new GadgetVmException($"The cached kernel in {root} is incomplete (no {vmlinuz} or {modulesDep}). Delete that directory and run again.");
        }

        string builtin = Path.Combine(modulesDirectory, "modules.builtin");
        return new KernelImage(
            package, root, release, vmlinuz, modulesDirectory,
            KernelModules.Parse(File.ReadAllText(modulesDep), File.Exists(builtin) ? File.ReadAllText(builtin) : "", $"{package} ({release})"));
    }

    private static async Task<FileStream> LockAsync(string path, Action<string> log, CancellationToken cancellationToken)
    {
        bool announced = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!announced)
                {
                    log($"waiting for another process preparing the VM cache ({path})");
                    announced = true;
                }

                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [GeneratedRegex(@"Depends:\s*(linux-image-[0-9][A-Za-z0-9.+~-]*)")]
    private static partial Regex DependsLine();

    [GeneratedRegex(@"^linux-image-[A-Za-z0-9.+~-]+$")]
    private static partial Regex KernelPackageName();
}
