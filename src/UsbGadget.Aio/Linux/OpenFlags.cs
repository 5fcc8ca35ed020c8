using System.Runtime.InteropServices;

namespace UsbGadget.Linux;

/// <summary>
/// Flags for <see cref="UnixFileHandle.Open"/>. The access mode and the flags that are the same
/// on x64, arm64 and arm carry their Linux values; <see cref="Direct"/> differs between x86 and
/// arm, so it is a portable bit translated when the file is opened.
/// </summary>
[Flags]
#pragma warning disable CA1714 // Flags enums are plural by convention; "OpenFlags" is the contract name.
public enum OpenFlags
#pragma warning restore CA1714
{
    /// <summary>O_RDONLY.</summary>
    ReadOnly = 0,
    /// <summary>O_WRONLY.</summary>
    WriteOnly = 1,
    /// <summary>O_RDWR.</summary>
    ReadWrite = 2,
    /// <summary>O_CREAT: create the file if missing (give a mode).</summary>
    Create = 0x40,
    /// <summary>O_EXCL: with <see cref="Create"/>, fail with EEXIST if the file exists.</summary>
    Exclusive = 0x80,
    /// <summary>O_TRUNC.</summary>
    Truncate = 0x200,
    /// <summary>O_APPEND.</summary>
    Append = 0x400,
    /// <summary>O_NONBLOCK.</summary>
    NonBlocking = 0x800,
    /// <summary>O_CLOEXEC. <see cref="UnixFileHandle.Open"/> always adds it, so no descriptor leaks into child processes.</summary>
    CloseOnExec = 0x80000,
    /// <summary>O_SYNC.</summary>
    Sync = 0x101000,
    /// <summary>
    /// O_DIRECT (0x4000 on x64, 0x10000 on arm and arm64): bypass the page cache. Buffers, lengths and
    /// offsets must then be aligned to the device's logical block size. Some file systems refuse it with EINVAL (tmpfs before Linux 6.6).
    /// </summary>
    Direct = 0x4000_0000,
}

/// <summary>Translates <see cref="OpenFlags"/> to the running architecture's O_* bits.</summary>
internal static class OpenFlagsNative
{
    private const OpenFlags PortableBits = OpenFlags.Direct;

    internal static int ToNative(OpenFlags flags)
    {
        int native = (int)(flags & ~PortableBits) | Interop.O_CLOEXEC;
        bool arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64;
        if ((flags & OpenFlags.Direct) != 0)
        {
            native |= arm ? Interop.OpenFlagsArm.O_DIRECT : Interop.OpenFlagsX64.O_DIRECT;
        }

        // A 32-bit process needs O_LARGEFILE to open files over 2 GiB; glibc's open() adds it only
        // when built with _FILE_OFFSET_BITS=64, which we cannot rely on through P/Invoke.
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm)
        {
            native |= Interop.OpenFlagsArm.O_LARGEFILE;
        }

        return native;
    }
}
