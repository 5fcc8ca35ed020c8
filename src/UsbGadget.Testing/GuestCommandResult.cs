using System.Text;

namespace UsbGadget.Testing;

/// <summary>How a guest command ended: exit code and everything it wrote.</summary>
/// <param name="Command">The shell command as given.</param>
/// <param name="ExitCode">The exit code; 128 + N when a signal N ended the command (143 for SIGTERM).</param>
/// <param name="StandardOutput">Everything the command wrote to stdout.</param>
/// <param name="StandardError">Everything the command wrote to stderr.</param>
/// <param name="Duration">Wall time from submission until the exit was reported.</param>
public sealed record GuestCommandResult(string Command, int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    /// <summary>Whether the command exited with code 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result when the exit code is 0; otherwise throws.</summary>
    /// <returns>This result.</returns>
    /// <exception cref="GadgetVmException">The exit code is not 0; the message carries both output streams.</exception>
    public GuestCommandResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new GadgetVmException($"Guest command failed with exit code {ExitCode}: {Command}{Environment.NewLine}{Describe()}");
        }

        return this;
    }

    /// <summary>Both output streams, labelled, for assertion and exception messages.</summary>
    /// <returns>A multi-line text.</returns>
    public string Describe()
    {
        var builder = new StringBuilder();
        builder.Append("--- stdout ---").AppendLine().Append(StandardOutput.TrimEnd()).AppendLine();
        builder.Append("--- stderr ---").AppendLine().Append(StandardError.TrimEnd()).AppendLine();
        return builder.ToString();
    }
}
