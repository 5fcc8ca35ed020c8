namespace UsbGadget.Testing;

/// <summary>
/// Finds the source tree a test or tool runs from, so that it can reach the gadget projects, scripts and artifacts
/// beside it. The guest sees the host's files at the same paths, so paths under the tree work in the VM as well.
/// </summary>
public static class RepositoryLayout
{
    /// <summary>
    /// Walks up from <paramref name="startDirectory"/> to the first directory that holds <paramref name="markerFileName"/>,
    /// such as the solution file at the root of a checkout.
    /// </summary>
    /// <param name="markerFileName">The file that marks the root, for example <c>UsbGadget.sln</c>.</param>
    /// <param name="startDirectory">Where to start; <see langword="null"/> for <see cref="AppContext.BaseDirectory"/>
    /// (the build output of the running test or tool, which lies inside its checkout).</param>
    /// <returns>The full path of the directory that holds the marker file.</returns>
    /// <exception cref="InvalidOperationException">No directory at or above the start holds the marker file.</exception>
    public static string FindRoot(string markerFileName, string? startDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(markerFileName);
        string start = Path.TrimEndingDirectorySeparator(Path.GetFullPath(startDirectory ?? AppContext.BaseDirectory));
        for (string? directory = start; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, markerFileName)))
            {
                return directory;
            }
        }

        throw new InvalidOperationException($"Run this from a checkout: {markerFileName} was not found in {start} or any directory above it.");
    }
}
