using System.Text.RegularExpressions;

namespace UsbGadget.FunctionFs;

/// <summary>
/// dummy_hcd (the virtual controller tests and development use) before upstream commit f50200dd4412 sends a queued
/// zero-length IN request ahead of the request before it when its per-tick bandwidth budget cut that one short. The
/// zero-length packet then ends the host's transfer early (57,344 bytes written, 53,248 read at high speed) and the
/// rest arrives at the start of the host's next read. Fixed in 7.0 and the stable releases 6.1.168, 6.12.81 and 6.18.22
/// (docs/kernels.md). Real controllers send requests in order, so only dummy_udc on an older kernel needs the
/// workaround: a write's zero-length packet is queued once the data before it is sent.
/// </summary>
internal static partial class DummyHcdZeroLengthPacketQuirk
{
    /// <summary>The first release of each stable series with the fix; a series not listed below 7.0 counts as affected.</summary>
    private static readonly Version[] s_fixedIn = [new(6, 1, 168), new(6, 12, 81), new(6, 18, 22)];

    private static readonly Version s_fixedUpstream = new(7, 0);

    /// <summary>Whether this machine has a dummy_udc and a kernel whose dummy_hcd has the bug.</summary>
    /// <param name="kernel">The kernel's upstream version, as <see cref="UpstreamVersion"/> reads it.</param>
    public static bool AppliesHere(Version kernel) => Applies(kernel, UdcNames());

    /// <summary>Whether <paramref name="udcNames"/> (the entries of /sys/class/udc) include a dummy_udc and <paramref name="kernel"/> has the bug.</summary>
    public static bool Applies(Version kernel, IEnumerable<string> udcNames) =>
        IsAffected(kernel) && udcNames.Any(name => name.StartsWith("dummy_udc", StringComparison.Ordinal));

    /// <summary>Whether <paramref name="kernel"/>'s dummy_hcd sends a queued zero-length packet early.</summary>
    public static bool IsAffected(Version kernel)
    {
        if (kernel >= s_fixedUpstream)
        {
            return false;
        }

        foreach (Version fixedIn in s_fixedIn)
        {
            if (kernel.Major == fixedIn.Major && kernel.Minor == fixedIn.Minor)
            {
                return Math.Max(kernel.Build, 0) < fixedIn.Build;
            }
        }

        return true;
    }

    /// <summary>
    /// The upstream version the running kernel is built from. Debian names its 6.1 kernels <c>6.1.0-N</c> in
    /// <c>uname -r</c> and gives the real stable release only in /proc/version (<c>… Debian 6.1.192-3 …</c>).
    /// </summary>
    public static Version UpstreamVersion(string release, string? procVersion)
    {
        // The last match: the compiler's own "(Debian 12.2.0-14)" comes before the kernel's.
        if (procVersion is not null && DebianVersion().Matches(procVersion) is { Count: > 0 } debian
            && KernelRelease.TryParse(debian[^1].Groups[1].Value, out Version fromDebian))
        {
            return fromDebian;
        }

        return KernelRelease.TryParse(release, out Version version) ? version : new Version(0, 0);
    }

    /// <summary><see cref="UpstreamVersion"/> of the running kernel.</summary>
    public static Version RunningUpstreamVersion(string release)
    {
        string? procVersion;
        try
        {
            procVersion = File.ReadAllText("/proc/version");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            procVersion = null;
        }

        return UpstreamVersion(release, procVersion);
    }

    private static IEnumerable<string> UdcNames()
    {
        try
        {
            return Directory.Exists("/sys/class/udc") ? Directory.GetFileSystemEntries("/sys/class/udc").Select(entry => Path.GetFileName(entry)) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    [GeneratedRegex(@"\bDebian (\d+\.\d+\.\d+)")]
    private static partial Regex DebianVersion();
}
