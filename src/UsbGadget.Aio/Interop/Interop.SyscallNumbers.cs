using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// AIO syscall numbers. glibc has no wrappers for them, so they go through syscall(2), whose
    /// numbers differ per architecture. Resolved once; the JIT folds the static readonly values.
    /// </summary>
    internal static class SyscallNumbers
    {
        internal static readonly nint io_setup;
        internal static readonly nint io_destroy;
        internal static readonly nint io_submit;
        internal static readonly nint io_cancel;
        internal static readonly nint io_getevents;

#pragma warning disable CA1810 // One switch reads better than five initialisers.
        static SyscallNumbers()
#pragma warning restore CA1810
        {
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64:
                    (io_setup, io_destroy, io_getevents, io_submit, io_cancel) = (X64.io_setup, X64.io_destroy, X64.io_getevents, X64.io_submit, X64.io_cancel);
                    break;
                case Architecture.Arm64:
                    (io_setup, io_destroy, io_getevents, io_submit, io_cancel) = (Arm64.io_setup, Arm64.io_destroy, Arm64.io_getevents, Arm64.io_submit, Arm64.io_cancel);
                    break;
                case Architecture.Arm:
                    (io_setup, io_destroy, io_getevents, io_submit, io_cancel) = (Arm.io_setup, Arm.io_destroy, Arm.io_getevents, Arm.io_submit, Arm.io_cancel);
                    break;
                default:
                    // -1 makes every call fail with a clear message instead of running a wrong syscall.
                    (io_setup, io_destroy, io_getevents, io_submit, io_cancel) = (-1, -1, -1, -1, -1);
                    break;
            }
        }

        internal static bool IsSupported => io_setup >= 0;

        /// <summary>arch/x86/entry/syscalls/syscall_64.tbl.</summary>
        internal static class X64
        {
            internal const int io_setup = 206;
            internal const int io_destroy = 207;
            internal const int io_getevents = 208;
            internal const int io_submit = 209;
            internal const int io_cancel = 210;
        }

        /// <summary>include/uapi/asm-generic/unistd.h (arm64 uses the generic table).</summary>
        internal static class Arm64
        {
            internal const int io_setup = 0;
            internal const int io_destroy = 1;
            internal const int io_submit = 2;
            internal const int io_cancel = 3;
            internal const int io_getevents = 4;
        }

        /// <summary>arch/arm/tools/syscall.tbl (EABI). io_getevents here takes a 32-bit timespec.</summary>
        internal static class Arm
        {
            internal const int io_setup = 243;
            internal const int io_destroy = 244;
            internal const int io_getevents = 245;
            internal const int io_submit = 246;
            internal const int io_cancel = 247;
        }
    }
}
