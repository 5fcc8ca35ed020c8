using System.Globalization;
using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.ConfigFs;

/// <summary>The real syscalls behind the seams, against this machine's kernel: errno must reach the error messages intact.</summary>
public sealed class SystemCallTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("configfs-sys-").FullName;
    private readonly SystemConfigFsIo _io = SystemConfigFsIo.Instance;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mkdir_OfAnExistingDirectory_CarriesEEXIST()
    {
        var e = Assert.ThrowsAny<IOException>(() => _io.CreateDirectory(_dir));

        Assert.Equal(Errno.EEXIST, ConfigFsErrors.ErrnoOf(e));
    }

    [Fact]
    public void Rmdir_OfADirectoryWithContent_CarriesENOTEMPTY()
    {
        _io.CreateDirectory(Path.Combine(_dir, "a"));
        _io.CreateDirectory(Path.Combine(_dir, "a", "b"));

        var e = Assert.ThrowsAny<IOException>(() => _io.RemoveDirectory(Path.Combine(_dir, "a")));

        Assert.Equal(Errno.ENOTEMPTY, ConfigFsErrors.ErrnoOf(e));
        Assert.Contains("Something is still linked into or created inside it", ConfigFsErrors.IoFailed("rmdir", Path.Combine(_dir, "a"), e).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SymlinkListAndUnlink_SeeTheLinkAsALink()
    {
        _io.CreateDirectory(Path.Combine(_dir, "target"));
        string link = Path.Combine(_dir, "link");

        _io.CreateSymlink(link, Path.Combine(_dir, "target"));
        ConfigFsEntry entry = _io.List(_dir).Single(e => e.Name == "link");
        _io.RemoveSymlink(link);

        Assert.Equal(ConfigFsEntryKind.Symlink, entry.Kind);
        Assert.False(_io.EntryExists(link));
        Assert.True(Directory.Exists(Path.Combine(_dir, "target")));
    }

    [Fact]
    public void WriteAttribute_ToAMissingAttribute_IsENOENTNotACreate()
    {
        string path = Path.Combine(_dir, "nosuch");

        var e = Assert.ThrowsAny<IOException>(() => _io.WriteAttribute(path, "1"u8));

        Assert.Equal(Errno.ENOENT, ConfigFsErrors.ErrnoOf(e));
        Assert.False(File.Exists(path));
        Assert.Equal(ConfigFsError.AttributeNotSupported, ConfigFsErrors.AttributeWriteFailed(path, "1", e).Error);
    }

    [Fact]
    public void WriteAttribute_PassesTheKernelsErrnoThrough()
    {
        // /dev/full answers every write with ENOSPC: the errno must come out of the IOException unchanged.
        var e = Assert.ThrowsAny<IOException>(() => _io.WriteAttribute("/dev/full", "0x1d6b"u8));

        Assert.Equal(Errno.ENOSPC, ConfigFsErrors.ErrnoOf(e));
    }

    [Fact]
    public void WriteAttribute_WritesTheBytesInOneGoWithoutANewline()
    {
        string path = Path.Combine(_dir, "idVendor");
        File.WriteAllText(path, "0x0000-old-longer-value");

        _io.WriteAttribute(path, "0x1d6b"u8);

        Assert.StartsWith("0x1d6b", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void EffectiveUserId_MatchesProcSelfStatus()
    {
        string uidLine = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        uint effective = uint.Parse(uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);

        Assert.Equal(effective, _io.EffectiveUserId);
    }

    [Fact]
    public void Unmount_OfADirectoryThatIsNoMountPoint_ReportsEINVAL()
    {
        var e = Assert.Throws<ConfigFsException>(() => new FunctionFsMounter().Unmount(_dir));

        // EINVAL: not a mount point (EPERM when not root).
        Assert.Contains(e.Errno, new[] { Errno.EINVAL, Errno.EPERM });
        Assert.Contains($"umount {_dir} failed with {e.Errno}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mount_OfAnInstanceNoFunctionBacks_FailsWithAnErrnoAndItsAdvice()
    {
        var e = Assert.Throws<ConfigFsException>(() => new FunctionFsMounter().Mount("usbgadget-test-none", _dir, new FunctionFsMountOptions()));

        Assert.Equal(ConfigFsError.MountFailed, e.Error);
        // ENODEV on a kernel without FunctionFS (this build machine), ENOENT with usb_f_fs loaded (the VM), EPERM as non-root.
        string advice = e.Errno switch
        {
            Errno.ENODEV => "modprobe usb_f_fs",
            Errno.ENOENT => "No FunctionFS function named 'usbgadget-test-none' exists",
            Errno.EPERM => "needs root",
            _ => throw new Xunit.Sdk.XunitException($"unexpected errno {e.Errno}: {e.Message}"),
        };
        Assert.Contains(advice, e.Message, StringComparison.Ordinal);
        Assert.Contains($"mount -t functionfs usbgadget-test-none {_dir} failed", e.Message, StringComparison.Ordinal);
    }
}
