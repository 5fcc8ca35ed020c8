namespace UsbGadget.Testing;

/// <summary>Host-side helpers: finding binaries, root check, output tails. <see cref="HostCommand"/> runs tools.</summary>
internal static class HostEnvironment
{
    public static bool IsRoot { get; } = OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess;

    /// <summary>Finds an executable on PATH (plus the sbin directories, which non-root PATHs often lack).</summary>
    public static string? FindExecutable(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        }

        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        IEnumerable<string> dirs = path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        foreach (string dir in dirs)
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The last <paramref name="lines"/> lines of a text.</summary>
    public static string Tail(string text, int lines)
    {
        string[] all = text.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
