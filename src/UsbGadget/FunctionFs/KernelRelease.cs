using System.Globalization;

namespace UsbGadget.FunctionFs;

/// <summary>
/// The leading <c>major.minor.patch</c> of a kernel release string (<c>uname -r</c>), for feature checks.
/// </summary>
internal static class KernelRelease
{
    /// <summary>FUNCTIONFS_EVENTFD underflowed the eventfd reference count at teardown before 5.16 (panics seen).</summary>
    public static readonly Version SafeEventFd = new(5, 16);

    /// <summary>f_fs accepts the MS OS header bcdVersion 0x0100 from 6.4 on; older kernels take only 0x0001.</summary>
    public static readonly Version MicrosoftOsBcdVersion1_0 = new(6, 4);

    /// <summary>
    /// Parses release strings such as <c>6.1.0-27-amd64</c>, <c>6.18.44-fc-v782</c> or <c>5.15</c>.
    /// Never throws; <see langword="false"/> for anything without at least <c>major.minor</c>.
    /// </summary>
    public static bool TryParse(string? release, out Version version)
    {
        version = new Version(0, 0);
        if (string.IsNullOrEmpty(release))
        {
            return false;
        }

        Span<int> parts = stackalloc int[3];
        int count = 0;
        int index = 0;
        while (count < 3)
        {
            int start = index;
            while (index < release.Length && char.IsAsciiDigit(release[index]))
            {
                index++;
            }

            if (index == start || !int.TryParse(release.AsSpan(start, index - start), NumberStyles.None, CultureInfo.InvariantCulture, out parts[count]))
            {
                break;
            }

            count++;
            if (index >= release.Length || release[index] != '.')
            {
                break;
            }

            index++;
        }

        if (count < 2)
        {
            return false;
        }

        version = count == 2 ? new Version(parts[0], parts[1]) : new Version(parts[0], parts[1], parts[2]);
        return true;
    }

    /// <summary>The running kernel's release string, from /proc/sys/kernel/osrelease (what uname(2) reports).</summary>
    public static string Current()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return Environment.OSVersion.Version.ToString();
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.OSVersion.Version.ToString();
        }
    }
}
