using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>pipe2(2). Writes the read end to fds[0] and the write end to fds[1].</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int pipe2(int* pipefd, int flags);
}
