namespace UsbGadget.ConfigFs;

/// <summary>One line of the mount table (<c>/proc/self/mounts</c>).</summary>
/// <param name="Source">The device name; for FunctionFS, the instance name.</param>
/// <param name="MountPoint">Where it is mounted.</param>
/// <param name="FileSystemType">The file system type, such as <c>functionfs</c> or <c>configfs</c>.</param>
/// <param name="Options">The mount options as the kernel lists them.</param>
public sealed record MountEntry(string Source, string MountPoint, string FileSystemType, string Options)
{
    /// <summary>The file system type of FunctionFS.</summary>
    public const string FunctionFsType = "functionfs";

    /// <summary>The file system type of configfs.</summary>
    public const string ConfigFsType = "configfs";

    /// <summary>Whether this is a FunctionFS mount; <see cref="Source"/> is then the instance name.</summary>
    public bool IsFunctionFs => FileSystemType == FunctionFsType;
}

/// <summary>
/// Mounts and unmounts FunctionFS instances and reads the mount table. The seam that lets the gadget code run
/// against a temporary directory in tests; <see cref="FunctionFsMounter"/> is the real one.
/// </summary>
public interface IFunctionFsMounter
{
    /// <summary>Mounts the FunctionFS instance <paramref name="instance"/> at <paramref name="mountPoint"/>, which must exist.</summary>
    /// <param name="instance">The function instance name (the part after <c>ffs.</c>).</param>
    /// <param name="mountPoint">An existing, empty directory.</param>
    /// <param name="options">Owner and modes of the files.</param>
    /// <exception cref="ConfigFsException">mount(2) failed; the message says why.</exception>
    void Mount(string instance, string mountPoint, FunctionFsMountOptions options);

    /// <summary>Unmounts <paramref name="mountPoint"/>.</summary>
    /// <param name="mountPoint">The mount point.</param>
    /// <returns>True when unmounted at once; false when files were still open and the unmount was detached (it completes when they close).</returns>
    /// <exception cref="ConfigFsException">umount2(2) failed; the message says why.</exception>
    bool Unmount(string mountPoint);

    /// <summary>The current mount table.</summary>
    IReadOnlyList<MountEntry> ReadMountTable();
}
