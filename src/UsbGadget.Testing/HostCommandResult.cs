namespace UsbGadget.Testing;

/// <summary>How a host program run by <see cref="HostCommand.RunAsync"/> ended: exit code and everything it wrote.</summary>
/// <param name="Command">The program and its arguments, joined with spaces (for messages; not quoted for a shell).</param>
/// <param name="ExitCode">The exit code.</param>
/// <param name="StandardOutput">Everything the program wrote to stdout.</param>
/// <param name="StandardError">Everything the program wrote to stderr.</param>
public sealed record HostCommandResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Whether the program exited with code 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>The command, its exit code and the last 30 lines of its output (stderr first), for exception messages.</summary>
    /// <returns>A multi-line text.</returns>
    public string Describe() =>
        $"{Command} exited with code {ExitCode}.{Environment.NewLine}{HostEnvironment.Tail(StandardError + StandardOutput, 30)}";
}
