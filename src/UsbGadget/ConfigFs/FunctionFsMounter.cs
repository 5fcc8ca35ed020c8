using System.Runtime.InteropServices;
using System.Text;
using UsbGadget.Linux;

namespace UsbGadget.ConfigFs;

/// <summary>The real <see cref="IFunctionFsMounter"/>: mount(2), umount2(2) and <c>/proc/self/mounts</c>.</summary>
public sealed class FunctionFsMounter : IFunctionFsMounter
{
    private readonly string _mountTablePath;

    /// <summary>Creates a mounter that reads the mount table from <paramref name="mountTablePath"/>.</summary>
    /// <param name="mountTablePath">The mount table file.</param>
    /// <remarks><paramref name="mountTablePath"/> defaults to <c>/proc/self/mounts</c>.</remarks>
    public FunctionFsMounter(string mountTablePath = "/proc/self/mounts") => _mountTablePath = mountTablePath;

    /// <inheritdoc/>
    public void Mount(string instance, string mountPoint, FunctionFsMountOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Interop.mount(instance, mountPoint, MountEntry.FunctionFsType, 0, options.ToMountData()) != 0)
        {
            throw ConfigFsErrors.MountFailed(instance, mountPoint, (Errno)Marshal.GetLastPInvokeError());
        }
    }

    /// <inheritdoc/>
    public bool Unmount(string mountPoint)
    {
        if (Interop.umount2(mountPoint, 0) == 0)
        {
            return true;
        }
        var errno = (Errno)Marshal.GetLastPInvokeError();
        // EBUSY: a process still holds ep files. Detaching lets the teardown go on; f_fs frees the instance when they close.
        if (errno == Errno.EBUSY && Interop.umount2(mountPoint, Interop.MNT_DETACH) == 0)
        {
            return false;
        }
        throw ConfigFsErrors.UnmountFailed(mountPoint, errno);
    }

    /// <inheritdoc/>
    public IReadOnlyList<MountEntry> ReadMountTable() => MountTable.Parse(File.ReadAllText(_mountTablePath));
}

/// <summary>Parses the mount table format of <c>/proc/self/mounts</c> (fstab format, octal escapes for blanks).</summary>
internal static class MountTable
{
    public static IReadOnlyList<MountEntry> Parse(string text)
    {
        var entries = new List<MountEntry>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
            {
                continue;
            }
            entries.Add(new MountEntry(Unescape(fields[0]), Unescape(fields[1]), fields[2], fields[3]));
        }
        return entries;
    }

    // The kernel writes space, tab, newline and backslash as \040, \011, \012 and \134 (seq_escape in fs/proc_namespace.c).
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
