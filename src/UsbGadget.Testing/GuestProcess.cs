using System.Diagnostics;
using System.Text;

namespace UsbGadget.Testing;

/// <summary>
/// A command running in the background in the guest (for example a gadget program), in its own process group.
/// Read its output while it runs, wait for it, or stop it with a signal and collect its output.
/// </summary>
public sealed class GuestProcess : IAsyncDisposable
{
    private readonly GadgetVm _vm;
    private readonly string _outputPath;
    private readonly string _errorPath;
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private readonly TaskCompletionSource<int> _processId = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<GuestCommandResult> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal GuestProcess(GadgetVm vm, int id, string command, string outputPath, string errorPath)
    {
        _vm = vm;
        Id = id;
        Command = command;
        _outputPath = outputPath;
        _errorPath = errorPath;
    }

    /// <summary>The harness's number for this command (names its files in the exchange share).</summary>
    public int Id { get; }

    /// <summary>The shell command as given.</summary>
    public string Command { get; }

    /// <summary>Whether the guest has reported the command's exit (or the VM died).</summary>
    public bool HasExited => _exit.Task.IsCompleted;

    /// <summary>Completes with the result when the command exits; faults with <see cref="GadgetVmException"/> if the VM dies first.</summary>
    public Task<GuestCommandResult> Completion => _exit.Task;

    /// <summary>What the command has written to stdout so far.</summary>
    public string StandardOutput => ReadShared(_outputPath);

    /// <summary>What the command has written to stderr so far.</summary>
    public string StandardError => ReadShared(_errorPath);

    /// <summary>Waits until the command exits.</summary>
    /// <param name="timeout">How long to wait; <see cref="GadgetVmOptions.CommandTimeout"/> when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait (not the command).</param>
    /// <returns>The result.</returns>
    /// <exception cref="GadgetVmException">The command did not exit in time (it keeps running), or the VM died.</exception>
    public async Task<GuestCommandResult> WaitForExitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        TimeSpan limit = timeout ?? _vm.Options.CommandTimeout;
        try
        {
            return await _exit.Task.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new GadgetVmException(
                $"Guest command did not exit within {limit.TotalSeconds:0.#} s: {Command}{Environment.NewLine}{DescribeOutput()}{_vm.DescribeConsoleTail()}");
        }
    }

    /// <summary>Waits until the command's stdout or stderr contains <paramref name="text"/>, e.g. a "ready" line from a gadget.</summary>
    /// <param name="text">The text to look for (ordinal).</param>
    /// <param name="timeout">How long to wait; <see cref="GadgetVmOptions.CommandTimeout"/> when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the text has appeared.</returns>
    /// <exception cref="GadgetVmException">The command exited without printing the text, the time ran out, or the VM died.</exception>
    public async Task WaitForOutputAsync(string text, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        TimeSpan limit = timeout ?? _vm.Options.CommandTimeout;
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            bool exited = HasExited;
            if (StandardOutput.Contains(text, StringComparison.Ordinal) || StandardError.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            if (exited)
            {
                string how = _exit.Task.IsCompletedSuccessfully ? $"exited with code {_exit.Task.Result.ExitCode}" : "was cut off because the VM died";
                throw new GadgetVmException(
                    $"Guest command {how} without printing \"{text}\": {Command}{Environment.NewLine}{DescribeOutput()}{_vm.DescribeConsoleTail()}");
            }

            if (stopwatch.Elapsed > limit)
            {
                throw new GadgetVmException(
                    $"Guest command did not print \"{text}\" within {limit.TotalSeconds:0.#} s: {Command}{Environment.NewLine}{DescribeOutput()}{_vm.DescribeConsoleTail()}");
            }

            await Task.WhenAny(_exit.Task, Task.Delay(50, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The guest process id of the group leader, once the agent has reported it.</summary>
    public int? ProcessId => _processId.Task.IsCompletedSuccessfully ? _processId.Task.Result : null;

    /// <summary>Sends a signal to the command's whole process group. Does nothing if it has already exited.</summary>
    /// <param name="signal">A signal name without the SIG prefix, e.g. <c>TERM</c>, <c>INT</c>, <c>KILL</c>.</param>
    /// <returns>A task that completes when the guest agent has been told.</returns>
    public async Task SignalAsync(string signal = "TERM")
    {
        ArgumentException.ThrowIfNullOrEmpty(signal);
        if (!signal.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"'{signal}' is not a signal name such as TERM or KILL.", nameof(signal));
        }

        if (HasExited)
        {
            return;
        }

        // The pid arrives right after the start; the exit may beat it for instant commands.
        Task finished = await Task.WhenAny(_processId.Task, _exit.Task).ConfigureAwait(false);
        if (finished == _processId.Task && !HasExited)
        {
            await _vm.SendAgentLineAsync($"signal {_processId.Task.Result} {signal}").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the command: SIGTERM to its process group, then SIGKILL if it has not exited after <paramref name="gracePeriod"/>.
    /// Returns only when every process of the group is gone, so a gadget's own teardown has finished.
    /// </summary>
    /// <param name="gracePeriod">Time between SIGTERM and SIGKILL; 10 s when <see langword="null"/>.</param>
    /// <returns>
    /// The result, with everything the command wrote. The exit code is the command line's: the shell waits for the command
    /// the signal interrupted and exits with its status (143 if SIGTERM killed it; the program's own code if it handled SIGTERM).
    /// </returns>
    /// <exception cref="GadgetVmException">The VM died.</exception>
    public async Task<GuestCommandResult> StopAsync(TimeSpan? gracePeriod = null)
    {
        TimeSpan grace = gracePeriod ?? TimeSpan.FromSeconds(10);
        var stopwatch = Stopwatch.StartNew();
        await SignalAsync("TERM").ConfigureAwait(false);
        GuestCommandResult result;
        try
        {
            result = await _exit.Task.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await SignalAsync("KILL").ConfigureAwait(false);
            result = await WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        // Children of the leader (e.g. a gadget started from a shell line) may still be tearing down.
        await WaitForGroupToEndAsync(grace - stopwatch.Elapsed).ConfigureAwait(false);
        return result;
    }

    /// <summary>Waits until no process of this command's process group is left, killing the rest after <paramref name="limit"/>.</summary>
    /// <param name="limit">How long the remaining processes may take.</param>
    /// <returns>A task that completes when the group is empty.</returns>
    internal async Task WaitForGroupToEndAsync(TimeSpan limit)
    {
        if (!_processId.Task.IsCompletedSuccessfully || _vm.HasExited)
        {
            return;
        }

        int tenths = Math.Max(1, (int)(limit.TotalSeconds * 10));
        int group = _processId.Task.Result;
        string script = $"""
            i=0
            while "$USBGADGET_VM_BUSYBOX" kill -0 -{group} 2>/dev/null; do
                if [ $i -ge {tenths} ]; then "$USBGADGET_VM_BUSYBOX" kill -s KILL -{group}; sleep 0.2; exit 1; fi
                i=$((i + 1)); sleep 0.1
            done
            """;
        await _vm.RunAsync(script, limit + TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    /// <summary>Stops the command if it still runs. Errors (e.g. a dead VM) are swallowed.</summary>
    /// <returns>A task that completes when the command has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        if (!HasExited && !_vm.HasExited)
        {
            try
            {
                await StopAsync().ConfigureAwait(false);
            }
            catch (GadgetVmException)
            {
                // Disposal must not hide the test's own failure.
            }
        }
    }

    /// <summary>Both output streams so far, labelled.</summary>
    /// <returns>A multi-line text.</returns>
    public string DescribeOutput()
    {
        var builder = new StringBuilder();
        builder.Append("--- stdout ---").AppendLine().Append(HostEnvironment.Tail(StandardOutput, 60)).AppendLine();
        builder.Append("--- stderr ---").AppendLine().Append(HostEnvironment.Tail(StandardError, 60)).AppendLine();
        return builder.ToString();
    }

    internal void OnProcessId(int processId) => _processId.TrySetResult(processId);

    internal void OnExit(int exitCode) =>
        _exit.TrySetResult(new GuestCommandResult(Command, exitCode, StandardOutput, StandardError, _stopwatch.Elapsed));

    internal void OnVmDied(string reason)
    {
        var error = new GadgetVmException($"The VM died while running: {Command}{Environment.NewLine}{reason}{Environment.NewLine}{DescribeOutput()}");
        _processId.TrySetException(error);
        _exit.TrySetException(error);
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
        catch (DirectoryNotFoundException)
        {
            return "";
        }
    }
}
