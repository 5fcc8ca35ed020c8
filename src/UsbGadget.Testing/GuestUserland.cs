using System.Security.Cryptography;
using System.Text;

namespace UsbGadget.Testing;

/// <summary>
/// The system directories of a guest whose architecture is not the host's: Debian packages of that architecture,
/// downloaded through <see cref="DebianArchive"/> and unpacked with <c>dpkg-deb -x</c> (no maintainer scripts run) into
/// a directory of the VM cache, which the guest mounts read-only as its <c>/bin</c>, <c>/sbin</c>, <c>/lib</c>, <c>/usr</c> and <c>/etc</c>.
/// </summary>
/// <remarks>
/// The set is what the harness and the host-side checks need, no more: busybox (the shell, the agent and the usual
/// commands), glibc with <c>ldconfig</c> (a NativeAOT app needs libc and libm; pyusb finds libusb through
/// <c>ldconfig -p</c>), and python3 with pyusb and libusb. Versions are the bookworm candidates, the release whose
/// glibc (2.36) the build machine's NativeAOT output targets.
/// </remarks>
internal static class GuestUserland
{
    /// <summary>The top-level directories taken from the packages; the guest takes every other one from the host.</summary>
    public static readonly string[] SystemDirectories = ["bin", "sbin", "lib", "usr", "etc"];

    /// <summary>The packages, in no particular order. Dependencies are listed by hand: apt-get download resolves none.</summary>
    internal static readonly string[] Packages =
    [
        "busybox-static", "libc6", "libc-bin", "libgcc-s1",
        "python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "libffi8", "zlib1g", "libexpat1", "libssl3",
        "python3-usb", "libusb-1.0-0", "libudev1",
    ];

    private const string Python = "python3.11";

    /// <summary>The suites the packages come from, on the mirror the machine's apt uses.</summary>
    internal static IReadOnlyList<DebianSuite> Suites()
    {
        string debian = DebianArchive.MachineMirror("debian");
        return [new(debian, "bookworm"), new(DebianArchive.MachineMirror("debian-security"), "bookworm-security")];
    }

    /// <summary>
    /// Returns the unpacked userland for <paramref name="platform"/>, building it on first use. The caller holds the cache lock.
    /// </summary>
    /// <exception cref="GadgetVmException">A package could not be read, downloaded or unpacked; the message names the command.</exception>
    public static async Task<string> EnsureAsync(GuestPlatform platform, string cacheDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        IReadOnlyList<DebianSuite> suites = Suites();
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', [.. Packages, .. suites.Select(s => $"{s.Uri} {s.Name} {s.Components}")]))))[..12];
        string userlands = Path.Combine(cacheDirectory, "userland");
        string root = Path.Combine(userlands, $"{platform.DebianArchitecture}-{key}");
        if (File.Exists(Path.Combine(root, ".complete")))
        {
            return root;
        }

        var archive = new DebianArchive(Path.Combine(cacheDirectory, "apt", $"userland-{platform.DebianArchitecture}"), suites, platform.DebianArchitecture);
        await archive.UpdateAsync(TimeSpan.FromDays(1), log, cancellationToken).ConfigureAwait(false);
        string work = Path.Combine(userlands, $".build-{platform.DebianArchitecture}-{Environment.ProcessId}");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        string tree = Path.Combine(work, "tree");
        Directory.CreateDirectory(tree);
        try
        {
            log($"building the {platform.DebianArchitecture} guest userland from {Packages.Length} Debian packages");
            foreach (string package in Packages)
            {
                string deb = await archive.DownloadAsync(package, Path.Combine(work, "debs"), cancellationToken).ConfigureAwait(false);
                HostCommandResult extract = await HostCommand.RunAsync(
                    "dpkg-deb", ["-x", deb, tree], TimeSpan.FromMinutes(5), work, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (extract.ExitCode != 0)
                {
                    throw new GadgetVmException($"Unpacking {Path.GetFileName(deb)} failed: {extract.Describe()}");
                }
            }

            Finish(tree);
            File.WriteAllText(Path.Combine(tree, ".complete"), string.Join('\n', Packages) + "\n");
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            Directory.Move(tree, root);
            log($"{platform.DebianArchitecture} guest userland cached in {root}");
            return root;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>What the packages' maintainer scripts and the python3 and busybox packages would have provided.</summary>
    private static void Finish(string tree)
    {
        // Only the system directories are the guest's own; a /var from the packages would hide the host's (the VM cache).
        foreach (string directory in Directory.EnumerateFileSystemEntries(tree))
        {
            if (!SystemDirectories.Contains(Path.GetFileName(directory)))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        foreach (string directory in SystemDirectories)
        {
            Directory.CreateDirectory(Path.Combine(tree, directory));
        }

        Require(tree, "bin/busybox", "busybox-static");
        Require(tree, $"usr/bin/{Python}", $"{Python}-minimal");
        Require(tree, "sbin/ldconfig", "libc-bin");
        File.CreateSymbolicLink(Path.Combine(tree, "bin", "sh"), "busybox");
        File.CreateSymbolicLink(Path.Combine(tree, "usr", "bin", "python3"), Python);

        // The guest runs ldconfig at boot and binds its cache over this placeholder (/etc is read-only there).
        File.WriteAllBytes(Path.Combine(tree, "etc", "ld.so.cache"), []);
    }

    private static void Require(string tree, string path, string package)
    {
        if (!File.Exists(Path.Combine(tree, path)))
        {
            throw new GadgetVmException($"The guest userland has no /{path} after unpacking {package}; the package's layout changed. Update GuestUserland.Packages.");
        }
    }
}
