using UsbGadget.ConfigFs;

namespace UsbGadget.Tests.ConfigFs;

public sealed class MountTableTests
{
    [Fact]
    public void Parse_ReadsFunctionFsLinesAndUndoesTheKernelsOctalEscapes()
    {
        const string text = "configfs /sys/kernel/config configfs rw,relatime 0 0\n"
            + "app /run/usbgadget/ffs/app functionfs rw,relatime 0 0\n"
            + "my\\040dev /mnt/a\\040b\\134c functionfs rw 0 0\n";

        IReadOnlyList<MountEntry> entries = MountTable.Parse(text);

        Assert.Equal(3, entries.Count);
        Assert.Equal(new MountEntry("configfs", "/sys/kernel/config", "configfs", "rw,relatime"), entries[0]);
        Assert.Equal(new MountEntry("app", "/run/usbgadget/ffs/app", "functionfs", "rw,relatime"), entries[1]);
        Assert.Equal(new MountEntry("my dev", "/mnt/a b\\c", "functionfs", "rw"), entries[2]);
    }

    [Fact]
    public void FunctionFsMounter_ReadsTheRealMountTable()
    {
        IReadOnlyList<MountEntry> entries = new FunctionFsMounter().ReadMountTable();

        Assert.Contains(entries, e => e.MountPoint == "/proc" && e.FileSystemType == "proc");
    }

    [Fact]
    public void MountData_IsNullWhenEveryOptionIsDefault()
    {
        Assert.Null(new FunctionFsMountOptions().ToMountData());
    }

    [Fact]
    public void MountData_ListsModesInOctalWithALeadingZero_WhichEveryKernelReadsAsOctal()
    {
        var options = new FunctionFsMountOptions
        {
            Uid = 1000,
            Gid = 100,
            Mode = Convert.ToUInt32("755", 8),
            RootMode = Convert.ToUInt32("750", 8),
            FileMode = Convert.ToUInt32("660", 8),
            NoDisconnect = true,
        };

        Assert.Equal("uid=1000,gid=100,mode=0755,rmode=0750,fmode=0660,no_disconnect=1", options.ToMountData());
    }
}
