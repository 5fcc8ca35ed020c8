using System.Diagnostics;
using System.Text;

namespace UsbGadget.Testing;

/// <summary>
/// Runs a program on the host (the machine that runs the tests, not the guest) to completion and captures what it wrote:
/// for build steps such as <c>make</c> or <c>dotnet publish</c> that prepare what the guest runs.
/// </summary>
public static class HostCommand
{
    /// <summary>Runs a host program, without a shell, and waits for it to exit.</summary>
    /// <param name="fileName">The program: a path, or a name looked up on <c>PATH</c>.</param>
    /// <param name="arguments">Its arguments, each passed as it is (no shell quoting or expansion).</param>
    /// <param name="timeout">How long it may run; after that it is killed together with its child processes.</param>
    /// <param name="workingDirectory">Where it runs; <see langword="null"/> for the current directory.</param>
    /// <param name="environment">Variables set for it on top of this process's environment; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Kills the program (and its children) and cancels the call.</param>
    /// <returns>Its exit code and everything it wrote. Standard input is closed at the start.</returns>
    /// <exception cref="GadgetVmException">The program could not be started, or it ran longer than <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<HostCommandResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        string[] argumentList = [.. arguments];
        string command = string.Join(' ', [fileName, .. argumentList]);
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in argumentList)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (KeyValuePair<string, string> pair in environment)
            {
                startInfo.Environment[pair.Key] = pair.Value;
            }
        }

        using var process = new Process { StartInfo = startInfo };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GadgetVmException($"Could not start '{fileName}': {ex.Message}.", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new GadgetVmException($"'{command}' did not finish within {timeout.TotalSeconds:0} s.");
        }

        // The parameterless wait flushes the asynchronous output readers.
        process.WaitForExit();
        lock (stdout)
        {
            lock (stderr)
            {
                return new HostCommandResult(command, process.ExitCode, stdout.ToString(), stderr.ToString());
            }
        }
    }
}
