namespace UsbGadget.ConfigFs;

/// <summary>The kind of a directory entry, as configfs has them.</summary>
internal enum ConfigFsEntryKind
{
    File,
    Directory,
    Symlink,
}

/// <summary>One entry of a configfs directory.</summary>
internal readonly record struct ConfigFsEntry(string Name, string FullPath, ConfigFsEntryKind Kind);

/// <summary>
/// The file-system calls the gadget code makes. The real one (<see cref="SystemConfigFsIo"/>) issues one syscall each;
/// tests put a configfs simulator behind this seam. Failures throw <see cref="IOException"/> (or a subclass) whose errno
/// <see cref="ConfigFsErrors.ErrnoOf"/> recovers.
/// </summary>
internal interface IConfigFsIo
{
    bool DirectoryExists(string path);

    bool EntryExists(string path);

    /// <summary>mkdir(2) of one level; in configfs this creates a kernel item.</summary>
    void CreateDirectory(string path);

    /// <summary>rmdir(2); in configfs this removes a kernel item with its attributes.</summary>
    void RemoveDirectory(string path);

    /// <summary>symlink(2).</summary>
    void CreateSymlink(string linkPath, string target);

    /// <summary>unlink(2) of a symlink.</summary>
    void RemoveSymlink(string path);

    /// <summary>Writes <paramref name="value"/> to an existing attribute with one write(2); a missing attribute is ENOENT.</summary>
    void WriteAttribute(string path, ReadOnlySpan<byte> value);

    /// <summary>Reads an attribute as text with the trailing newline removed.</summary>
    string ReadAttribute(string path);

    /// <summary>The entries of a directory, in name order.</summary>
    IReadOnlyList<ConfigFsEntry> List(string path);

    /// <summary>Writes an ordinary file (the state file), replacing it.</summary>
    void WriteFile(string path, string contents);

    /// <summary>Deletes an ordinary file if it exists.</summary>
    void DeleteFile(string path);

    /// <summary>Creates a directory and its parents (mount points, the state directory).</summary>
    void CreateDirectoryTree(string path);

    /// <summary>chown(2): gives an attribute (the gadget's <c>UDC</c>) to a service user.</summary>
    void ChangeOwner(string path, uint uid, uint gid);

    /// <summary>Whether this process may open <paramref name="path"/> for reading and writing (access(2)).</summary>
    bool CanReadWrite(string path);

    /// <summary>The effective user id.</summary>
    uint EffectiveUserId { get; }
}
