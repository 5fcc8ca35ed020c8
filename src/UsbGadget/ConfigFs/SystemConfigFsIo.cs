using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace UsbGadget.ConfigFs;

/// <summary>
/// The real file-system calls. Directory and link calls go straight to libc so errno reaches the caller unchanged
/// (configfs answers mkdir/rmdir/symlink with the kernel's own errors). Attribute writes use one pwrite(2) through
/// <see cref="RandomAccess"/>; .NET reports errno in <see cref="Exception.HResult"/> of the IOException it throws.
/// </summary>
internal sealed class SystemConfigFsIo : IConfigFsIo
{
    public static SystemConfigFsIo Instance { get; } = new();

    public uint EffectiveUserId => Interop.geteuid();

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public bool EntryExists(string path) => Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    public void CreateDirectory(string path) => Check(Interop.mkdir(path, 0x1ed /* 0755 */), "mkdir", path);

    public void RemoveDirectory(string path) => Check(Interop.rmdir(path), "rmdir", path);

    public void CreateSymlink(string linkPath, string target) => Check(Interop.symlink(target, linkPath), "symlink", linkPath);

    public void RemoveSymlink(string path) => Check(Interop.unlink(path), "unlink", path);

    public void WriteAttribute(string path, ReadOnlySpan<byte> value)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        RandomAccess.Write(handle, value, 0);
    }

    public string ReadAttribute(string path) => File.ReadAllText(path, Encoding.UTF8).TrimEnd('\n');

    public IReadOnlyList<ConfigFsEntry> List(string path)
    {
        var entries = new List<ConfigFsEntry>();
        foreach (FileSystemInfo info in new DirectoryInfo(path).EnumerateFileSystemInfos())
        {
            ConfigFsEntryKind kind = info.LinkTarget is not null ? ConfigFsEntryKind.Symlink
                : info is DirectoryInfo ? ConfigFsEntryKind.Directory
                : ConfigFsEntryKind.File;
            entries.Add(new ConfigFsEntry(info.Name, info.FullName, kind));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    public void WriteFile(string path, string contents) => File.WriteAllText(path, contents);

    public void DeleteFile(string path) => File.Delete(path);

    public void CreateDirectoryTree(string path) => Directory.CreateDirectory(path);

    public void ChangeOwner(string path, uint uid, uint gid) => Check(Interop.chown(path, uid, gid), "chown", path);

    public bool CanReadWrite(string path) => Interop.access(path, Interop.R_OK | Interop.W_OK) == 0;

    private static void Check(int result, string call, string path)
    {
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{call}({path}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }
}
