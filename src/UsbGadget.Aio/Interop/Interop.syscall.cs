using System.Runtime.InteropServices;

internal static partial class Interop
{
    // syscall(2) is variadic in C. Every argument we pass is a register-sized integer, which the
    // x64 SysV, AAPCS64 and AAPCS (arm) ABIs pass exactly like fixed arguments, so a fixed
    // signature per arity is safe on all three supported architectures.

    /// <summary>syscall(2) with two arguments. Returns -1 and sets errno on failure.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint syscall(nint number, nint arg1, nint arg2);

    /// <summary>syscall(2) with three arguments. Returns -1 and sets errno on failure.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint syscall(nint number, nint arg1, nint arg2, nint arg3);

    /// <summary>syscall(2) with five arguments. Returns -1 and sets errno on failure.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint syscall(nint number, nint arg1, nint arg2, nint arg3, nint arg4, nint arg5);
}
