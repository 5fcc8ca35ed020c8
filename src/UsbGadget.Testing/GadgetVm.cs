using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace UsbGadget.Testing;

/// <summary>
/// A QEMU virtual machine running Debian's kernel with dummy_hcd, in which a USB gadget and the host side that talks to it
/// run in the same guest: configfs, FunctionFS (<c>usb_f_fs</c>), libcomposite and the <c>dummy_udc.0</c> controller are ready,
/// and the host's own root filesystem is the guest's (read-only), so dotnet, python3, pyusb and lsusb are all there.
/// </summary>
/// <remarks>
/// <para>
/// Boot once and share the VM across many tests: a boot takes 10–15 s under software emulation. Commands run as root in the guest
/// through a small agent; each runs in its own process group. Files the guest must run cannot live under the host's <c>/tmp</c>
/// (the guest has its own tmpfs there).
/// </para>
/// <para>
/// The guest sees the host root read-only. Writable places are <c>/tmp</c>, <c>/run</c>, <c>/dev</c> and the exchange share
/// <see cref="GuestShareDirectory"/> (mirrored on the host at <see cref="HostShareDirectory"/>).
/// </para>
/// <para>
/// With <see cref="GadgetVmArchitecture.Arm64"/> the guest runs Debian's arm64 kernel, and its <c>/bin</c>, <c>/sbin</c>,
/// <c>/lib</c>, <c>/usr</c> and <c>/etc</c> are an arm64 userland (busybox, glibc, python3 with pyusb) instead of the host's;
/// every other host directory is still there at its own path. Run gadgets published for <c>linux-arm64</c> there.
/// </para>
/// </remarks>
public sealed class GadgetVm : IAsyncDisposable
{
    /// <summary>Where the writable exchange share is mounted in the guest.</summary>
    public const string GuestShareDirectory = "/run/usbgadget-vm";

    /// <summary>The name of the virtual USB device controller in the guest, to write into a gadget's <c>UDC</c> file.</summary>
    public const string UdcName = "dummy_udc.0";

    private const string RootTag = "usbgadget_root";
    private const string ShareTag = "usbgadget_share";
    private const string UserlandTag = "usbgadget_userland";
    private const string PortName = "usbgadget.agent";
    private const int ConsoleLines = 3000;

    private readonly Process _qemu;
    private readonly string _sessionDirectory;
    private readonly string _runDirectory;
    private readonly KernelImage _kernel;
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<int, GuestProcess> _processes = new();
    private readonly Queue<string> _console = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _died = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _shutdown = new();
    private Socket? _socket;
    private int _nextId;
    private int _disposed;

    private GadgetVm(GadgetVmOptions options, Process qemu, string sessionDirectory, KernelImage kernel, Action<string> log)
    {
        Options = options;
        _qemu = qemu;
        _sessionDirectory = sessionDirectory;
        _kernel = kernel;
        _log = log;
        HostShareDirectory = Path.Combine(sessionDirectory, "share");
        _runDirectory = Path.Combine(HostShareDirectory, "run");
        Speed = options.Speed;
    }

    /// <summary>The options the VM was started with.</summary>
    public GadgetVmOptions Options { get; }

    /// <summary>The current dummy_hcd speed.</summary>
    public GadgetVmSpeed Speed { get; private set; }

    /// <summary>The guest kernel release, e.g. <c>6.1.0-56-amd64</c>.</summary>
    public string KernelRelease => _kernel.Release;

    /// <summary>The Debian kernel package booted, e.g. <c>linux-image-6.1.0-56-amd64</c>.</summary>
    public string KernelPackage => _kernel.Package;

    /// <summary>The guest path of the unpacked kernel modules (visible through the shared host root), for <c>insmod</c> of extra modules.</summary>
    public string GuestModulesDirectory => _kernel.ModulesDirectory;

    /// <summary>Wall time from starting QEMU until the guest agent reported ready.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>Time spent preparing packages, kernel and initramfs before QEMU started.</summary>
    public TimeSpan PreparationTime { get; private set; }

    /// <summary>The host directory mirrored at <see cref="GuestShareDirectory"/> in the guest (writable from both sides).</summary>
    public string HostShareDirectory { get; }

    /// <summary>Whether QEMU has exited or the agent connection is gone.</summary>
    public bool HasExited => _died.Task.IsCompleted;

    /// <summary>The last lines of the guest's serial console: kernel messages, init messages.</summary>
    public string ConsoleOutput
    {
        get
        {
            lock (_console)
            {
                return string.Join('\n', _console);
            }
        }
    }

    /// <summary>
    /// Prepares what is missing (packages, Debian kernel, initramfs), boots the VM and waits for the guest agent.
    /// </summary>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels preparation and boot.</param>
    /// <returns>The running VM. Dispose it to power it off.</returns>
    /// <exception cref="GadgetVmException">Something is missing and cannot be installed, or the VM did not boot. The message says what and how to fix it.</exception>
    public static async Task<GadgetVm> StartAsync(GadgetVmOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new GadgetVmOptions();
        options.Validate();
        Action<string> log = options.Log ?? (_ => { });
        var preparation = Stopwatch.StartNew();
        string cacheDirectory = options.ResolveCacheDirectory();
        (HostTools tools, KernelImage kernel) = await VmAssets.PrepareAsync(options, cacheDirectory, log, cancellationToken).ConfigureAwait(false);

        string sessions = Path.Combine(cacheDirectory, "sessions");
        RemoveStaleSessions(sessions);
        string session = Path.Combine(sessions, $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
        string share = Path.Combine(session, "share");
        Directory.CreateDirectory(Path.Combine(share, "run"));
        Directory.CreateDirectory(Path.Combine(share, "files"));
        File.WriteAllText(Path.Combine(session, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        File.WriteAllText(Path.Combine(share, "env.sh"), BuildEnvironmentScript(options, GuestPlatform.Of(options.Architecture)));
        string initrd = Path.Combine(session, "initrd.cpio");
        WriteInitramfs(initrd, tools, kernel, options);

        // A Unix socket path is limited to 107 bytes; the socket is host-only, so /tmp is fine as a fallback.
        string socketPath = Path.Combine(session, "agent.sock");
        if (Encoding.UTF8.GetByteCount(socketPath) > 100)
        {
            socketPath = Path.Combine(Path.GetTempPath(), $"usbgadget-vm-{Path.GetFileName(session)}.sock");
        }

        Process qemu = StartQemu(tools, kernel, options, initrd, share, socketPath);
        var vm = new GadgetVm(options, qemu, session, kernel, log) { PreparationTime = preparation.Elapsed };
        log($"booting {kernel.Package} under {Path.GetFileName(tools.Qemu)} (pid {qemu.Id}), dummy_hcd at {options.Speed} speed");
        try
        {
            await vm.BootAsync(socketPath, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await vm.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        log($"VM ready after {vm.BootTime.TotalSeconds:0.0} s");
        return vm;
    }

    /// <summary>Runs a shell command (<c>/bin/sh</c>, as root) in the guest and waits for it.</summary>
    /// <param name="command">A shell command line.</param>
    /// <param name="timeout">Kill the command and throw after this long; <see cref="GadgetVmOptions.CommandTimeout"/> when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; the command is killed.</param>
    /// <returns>The exit code and output. A non-zero exit code does not throw; use <see cref="GuestCommandResult.EnsureSuccess"/>.</returns>
    /// <exception cref="GadgetVmException">The command timed out (it is killed) or the VM died.</exception>
    public Task<GuestCommandResult> RunAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RunAsync(command, new GuestCommandOptions { Timeout = timeout }, cancellationToken);

    /// <summary>Runs a shell command in the guest with the given options and waits for it.</summary>
    /// <param name="command">A shell command line.</param>
    /// <param name="options">Working directory, environment, timeout.</param>
    /// <param name="cancellationToken">Cancels the wait; the command is killed.</param>
    /// <returns>The exit code and output.</returns>
    /// <exception cref="GadgetVmException">The command timed out (it is killed) or the VM died.</exception>
    public async Task<GuestCommandResult> RunAsync(string command, GuestCommandOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        GuestProcess process = StartProcess(command, options);
        TimeSpan timeout = options.Timeout ?? Options.CommandTimeout;
        try
        {
            return await process.Completion.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            await process.SignalAsync("KILL").ConfigureAwait(false);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new GadgetVmException(
                $"Guest command timed out after {timeout.TotalSeconds:0.#} s and was killed: {command}{Environment.NewLine}{process.DescribeOutput()}{DescribeConsoleTail()}");
        }
    }

    /// <summary>Starts a shell command in the background in the guest, in its own process group (e.g. a gadget program).</summary>
    /// <param name="command">A shell command line.</param>
    /// <param name="options">Working directory and environment; <see cref="GuestCommandOptions.Timeout"/> is not used.</param>
    /// <returns>A handle to read output, wait, signal or stop it. Dispose it to stop the command.</returns>
    /// <exception cref="GadgetVmException">The VM has died.</exception>
    public GuestProcess StartProcess(string command, GuestCommandOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ThrowIfDied(command);
        options ??= new GuestCommandOptions();
        int id = Interlocked.Increment(ref _nextId);
        string basePath = Path.Combine(_runDirectory, id.ToString(CultureInfo.InvariantCulture));
        var script = new StringBuilder();

        // When the group gets a signal, this shell waits for its foreground command (which got the signal too) and exits
        // with that command's status, so a program started from a command line reports its own exit code. A command
        // line that sets its own trap replaces this one.
        script.Append("trap 'exit $?' TERM INT HUP\n");
        script.Append("cd ").Append(GuestShell.Quote(options.WorkingDirectory)).Append(" || exit 127\n");
        foreach (KeyValuePair<string, string> pair in options.Environment)
        {
            script.Append("export ").Append(pair.Key).Append('=').Append(GuestShell.Quote(pair.Value)).Append('\n');
        }

        script.Append(command).Append('\n');
        File.WriteAllText(basePath + ".sh", script.ToString());
        var process = new GuestProcess(this, id, command, basePath + ".out", basePath + ".err");
        _processes[id] = process;
        _ = SendOrFailAsync(process);
        return process;
    }

    /// <summary>
    /// Starts a program in the background in the guest with <c>exec</c>, so the program itself leads the process group:
    /// it receives the signals of <see cref="GuestProcess.StopAsync"/> first-hand and its own exit code is reported.
    /// </summary>
    /// <param name="program">The program path in the guest (the host's path; not under <c>/tmp</c>).</param>
    /// <param name="arguments">Its arguments (quoted for you).</param>
    /// <param name="options">Working directory and environment.</param>
    /// <returns>A handle to read output, wait, signal or stop it.</returns>
    public GuestProcess StartProgram(string program, IEnumerable<string>? arguments = null, GuestCommandOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        return StartProcess("exec " + GuestShell.Join([program, .. arguments ?? []]), options);
    }

    /// <summary>Runs a Python script with Debian's <c>/usr/bin/python3</c> in the guest (pyusb from <c>python3-usb</c> is importable there).</summary>
    /// <param name="script">The script text.</param>
    /// <param name="arguments">Arguments for the script (quoted for you).</param>
    /// <param name="timeout">As for <see cref="RunAsync(string, TimeSpan?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; the script is killed.</param>
    /// <returns>The exit code and output.</returns>
    public Task<GuestCommandResult> RunPythonAsync(string script, IEnumerable<string>? arguments = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        string path = WriteSharedFile($"script-{Interlocked.Increment(ref _nextId)}.py", script);
        return RunAsync(GuestShell.Join(["/usr/bin/python3", path, .. arguments ?? []]), timeout, cancellationToken);
    }

    /// <summary>Writes a file into the exchange share and returns its guest path.</summary>
    /// <param name="name">A file name (no directories).</param>
    /// <param name="content">The text to write (UTF-8).</param>
    /// <returns>The path of the file in the guest.</returns>
    public string WriteSharedFile(string name, string content)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' must be a plain file name.", nameof(name));
        }

        File.WriteAllText(Path.Combine(HostShareDirectory, "files", name), content);
        return $"{GuestShareDirectory}/files/{name}";
    }

    /// <summary>
    /// Waits until the guest's USB host side has enumerated and configured a device with this vendor and product id.
    /// </summary>
    /// <param name="vendorId">idVendor.</param>
    /// <param name="productId">idProduct.</param>
    /// <param name="timeout">How long to wait; 30 s when <see langword="null"/>.</param>
    /// <param name="gadget">The gadget process, if any: if it exits first, the wait fails at once with its output.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Where the device sits and at which speed it runs.</returns>
    /// <exception cref="GadgetVmException">Not enumerated in time, or the gadget exited; the message lists the devices present, the gadget output and the kernel log tail.</exception>
    public async Task<GuestUsbDevice> WaitForDeviceAsync(ushort vendorId, ushort productId, TimeSpan? timeout = null, GuestProcess? gadget = null, CancellationToken cancellationToken = default)
    {
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(30);
        string vid = vendorId.ToString("x4", CultureInfo.InvariantCulture);
        string pid = productId.ToString("x4", CultureInfo.InvariantCulture);
        string script = $$"""
            end=$(( $(date +%s) + {{(int)Math.Ceiling(limit.TotalSeconds)}} ))
            while :; do
                for d in /sys/bus/usb/devices/*; do
                    [ -r "$d/idVendor" ] || continue
                    read v < "$d/idVendor"; read p < "$d/idProduct"
                    [ "$v" = {{vid}} ] && [ "$p" = {{pid}} ] || continue
                    c=; read c < "$d/bConfigurationValue"
                    [ -n "$c" ] || continue
                    read b < "$d/busnum"; read n < "$d/devnum"; read s < "$d/speed"
                    echo "found $d $b $n $s"; exit 0
                done
                [ "$(date +%s)" -lt "$end" ] || break
                sleep 0.1
            done
            echo "devices present:"
            for d in /sys/bus/usb/devices/*; do
                [ -r "$d/idVendor" ] && echo "  ${d##*/} $(cat $d/idVendor):$(cat $d/idProduct) configuration=$(cat $d/bConfigurationValue) speed=$(cat $d/speed)"
            done
            exit 1
            """;
        GuestProcess waiter = StartProcess(script);
        Task<GuestCommandResult> waiting = waiter.Completion.WaitAsync(limit + TimeSpan.FromSeconds(60), cancellationToken);
        if (gadget is not null)
        {
            await Task.WhenAny(waiting, gadget.Completion).ConfigureAwait(false);
            if (!waiting.IsCompleted && gadget.HasExited)
            {
                await waiter.SignalAsync("KILL").ConfigureAwait(false);
                throw new GadgetVmException(
                    $"The gadget exited before {vid}:{pid} enumerated: {gadget.Command}{Environment.NewLine}{DescribeExit(gadget)}{gadget.DescribeOutput()}{DescribeConsoleTail()}");
            }
        }

        GuestCommandResult result;
        try
        {
            result = await waiting.ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new GadgetVmException($"The guest agent did not answer the enumeration wait for {vid}:{pid}.{Environment.NewLine}{DescribeConsoleTail()}");
        }

        string[] found = result.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("found ", StringComparison.Ordinal))?.Split(' ') ?? [];
        if (result.ExitCode != 0 || found.Length < 5)
        {
            string gadgetPart = gadget is null ? "" : $"Gadget: {gadget.Command}{Environment.NewLine}{gadget.DescribeOutput()}";
            throw new GadgetVmException(
                $"No configured USB device {vid}:{pid} appeared within {limit.TotalSeconds:0.#} s. Check that the gadget wrote '{UdcName}' to its UDC file and that its descriptors suit the bus speed ({Speed}).{Environment.NewLine}" +
                $"{result.StandardOutput.Trim()}{Environment.NewLine}{result.StandardError.Trim()}{Environment.NewLine}{gadgetPart}{DescribeConsoleTail()}");
        }

        return new GuestUsbDevice(
            vendorId,
            productId,
            found[1],
            int.Parse(found[2], CultureInfo.InvariantCulture),
            int.Parse(found[3], CultureInfo.InvariantCulture),
            (int)double.Parse(found[4], CultureInfo.InvariantCulture));
    }

    /// <summary>The guest kernel log (<c>dmesg</c>).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The whole kernel ring buffer as text.</returns>
    public async Task<string> GetKernelLogAsync(CancellationToken cancellationToken = default)
    {
        GuestCommandResult result = await RunAsync("dmesg", TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        return result.EnsureSuccess().StandardOutput;
    }

    /// <summary>
    /// Reloads dummy_hcd at another speed. Every gadget must be unbound first (see <see cref="CleanUpAsync"/>).
    /// </summary>
    /// <param name="speed">The new speed.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when <c>dummy_udc.0</c> is back.</returns>
    /// <exception cref="GadgetVmException">The module could not be reloaded (usually: a gadget is still bound).</exception>
    public async Task SetSpeedAsync(GadgetVmSpeed speed, CancellationToken cancellationToken = default)
    {
        if (speed == Speed)
        {
            return;
        }

        string module = $"{_kernel.ModulesDirectory}/{_kernel.Modules.PathOf("dummy_hcd")}";
        string command = $$"""
            "$USBGADGET_VM_BUSYBOX" rmmod dummy_hcd || { echo "rmmod dummy_hcd failed: unbind every gadget first (GadgetVm.CleanUpAsync)" >&2; exit 1; }
            "$USBGADGET_VM_BUSYBOX" insmod {{GuestShell.Quote(module)}} {{SpeedParameters(speed)}} || exit 1
            for i in $(seq 50); do [ -e /sys/class/udc/{{UdcName}} ] && exit 0; sleep 0.1; done
            echo "{{UdcName}} did not come back after loading dummy_hcd" >&2; exit 1
            """;
        GuestCommandResult result = await RunAsync(command, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new GadgetVmException($"Switching dummy_hcd to {speed} speed failed.{Environment.NewLine}{result.Describe()}{DescribeConsoleTail()}");
        }

        Speed = speed;
    }

    /// <summary>
    /// Brings the guest back to a clean state between tests: stops every process started through this VM that still runs,
    /// unmounts every FunctionFS mount and removes every configfs gadget (unbinding it first).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the guest is clean.</returns>
    /// <exception cref="GadgetVmException">A gadget could not be removed; the message has the details.</exception>
    public async Task CleanUpAsync(CancellationToken cancellationToken = default)
    {
        foreach (GuestProcess process in _processes.Values.Where(p => !p.HasExited).ToArray())
        {
            await process.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        const string Script = """
            status=0
            G=/sys/kernel/config/usb_gadget
            for g in "$G"/*/; do
                [ -d "$g" ] || continue
                g=${g%/}
                if [ -n "$(cat "$g/UDC")" ]; then echo "" > "$g/UDC" || status=1; fi
            done
            grep ' functionfs ' /proc/mounts | while read -r dev mnt rest; do umount "$mnt" || umount -l "$mnt"; done
            for g in "$G"/*/; do
                [ -d "$g" ] || continue
                g=${g%/}
                for l in "$g"/configs/*/* "$g"/os_desc/*; do [ -L "$l" ] && rm "$l"; done
                for s in "$g"/configs/*/strings/*/; do [ -d "$s" ] && rmdir "$s"; done
                for c in "$g"/configs/*/; do [ -d "$c" ] && rmdir "$c"; done
                for f in "$g"/functions/*/; do [ -d "$f" ] && rmdir "$f"; done
                for s in "$g"/strings/*/; do [ -d "$s" ] && rmdir "$s"; done
                rmdir "$g" || { echo "could not remove gadget $g" >&2; status=1; }
            done
            exit $status
            """;
        GuestCommandResult result = await RunAsync(Script, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new GadgetVmException($"Cleaning up configfs gadgets in the guest failed.{Environment.NewLine}{result.Describe()}{DescribeConsoleTail()}");
        }
    }

    /// <summary>Powers the VM off (asks the agent, then kills QEMU after a few seconds) and deletes the session directory.</summary>
    /// <returns>A task that completes when QEMU has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!HasExited && _socket is not null)
        {
            try
            {
                await SendAgentLineAsync("shutdown").ConfigureAwait(false);
                await _qemu.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is GadgetVmException or TimeoutException or IOException or SocketException or ObjectDisposedException)
            {
                // Falls through to the kill below.
            }
        }

        try
        {
            if (!_qemu.HasExited)
            {
                _qemu.Kill(entireProcessTree: true);
                await _qemu.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        MarkDied("The VM was disposed.");
        await _shutdown.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        _qemu.Dispose();
        _shutdown.Dispose();
        _sendLock.Dispose();
        try
        {
            Directory.Delete(_sessionDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for RemoveStaleSessions of a later run.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }

        _log("VM stopped");
    }

    internal async Task SendAgentLineAsync(string line)
    {
        ThrowIfDied(line);
        Socket socket = _socket ?? throw new InvalidOperationException("The agent is not connected.");
        byte[] bytes = Encoding.ASCII.GetBytes(line + "\n");
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new GadgetVmException($"Lost the connection to the guest agent: {ex.Message}.{Environment.NewLine}{DescribeConsoleTail()}", ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The tail of the guest console, formatted for exception messages.</summary>
    internal string DescribeConsoleTail(int lines = 40) =>
        $"--- guest console (last {lines} lines; kernel log and init) ---{Environment.NewLine}{HostEnvironment.Tail(ConsoleOutput, lines)}{Environment.NewLine}";

    private static string DescribeExit(GuestProcess process) =>
        process.Completion.IsCompletedSuccessfully ? $"Exit code {process.Completion.Result.ExitCode}.{Environment.NewLine}" : "";

    private async Task SendOrFailAsync(GuestProcess process)
    {
        try
        {
            await SendAgentLineAsync($"run {process.Id}").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GadgetVmException or InvalidOperationException or ObjectDisposedException)
        {
            process.OnVmDied(ex.Message);
        }
    }

    private void ThrowIfDied(string what)
    {
        if (_died.Task.IsCompleted)
        {
            throw new GadgetVmException($"The VM is not running ({_died.Task.Result}), so this cannot run: {what}{Environment.NewLine}{DescribeConsoleTail()}");
        }
    }

    private void MarkDied(string reason)
    {
        if (_died.TrySetResult(reason))
        {
            string full = $"{reason}{Environment.NewLine}{DescribeConsoleTail()}";
            _ready.TrySetException(new GadgetVmException(full));
            foreach (GuestProcess process in _processes.Values)
            {
                process.OnVmDied(full);
            }
        }
    }

    private async Task BootAsync(string socketPath, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        _qemu.OutputDataReceived += (_, e) => OnConsoleLine(e.Data);
        _qemu.ErrorDataReceived += (_, e) => OnConsoleLine(e.Data is null ? null : "qemu: " + e.Data);
        _qemu.BeginOutputReadLine();
        _qemu.BeginErrorReadLine();
        _ = WatchQemuAsync();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.BootTimeout);
        try
        {
            _socket = await ConnectAsync(socketPath, timeout.Token).ConfigureAwait(false);
            _ = ReadAgentAsync(_socket);
            await _ready.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GadgetVmException(
                $"The VM did not become ready within {Options.BootTimeout.TotalSeconds:0} s (software emulation on a busy machine is slow; raise GadgetVmOptions.BootTimeout if the console shows progress).{Environment.NewLine}{DescribeConsoleTail(60)}");
        }
        catch (GadgetVmException ex)
        {
            throw new GadgetVmException($"The VM did not boot. {ex.Message}", ex);
        }

        BootTime = stopwatch.Elapsed;
    }

    private async Task<Socket> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (HasExited)
            {
                throw new GadgetVmException(_died.Task.Result);
            }

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException)
            {
                socket.Dispose();
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WatchQemuAsync()
    {
        await _qemu.WaitForExitAsync().ConfigureAwait(false);
        MarkDied(_disposed != 0
            ? "The VM was powered off."
            : $"QEMU exited unexpectedly with code {_qemu.ExitCode} (a guest kernel panic or a fatal init error ends it; see the console below).");
    }

    private async Task ReadAgentAsync(Socket socket)
    {
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            while (await reader.ReadLineAsync(_shutdown.Token).ConfigureAwait(false) is { } line)
            {
                OnAgentLine(line);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Reported below.
        }

        if (_disposed == 0)
        {
            // Give QEMU's exit a moment to be the reported cause: it is more useful than "connection closed".
            await Task.WhenAny(_qemu.WaitForExitAsync(), Task.Delay(2000)).ConfigureAwait(false);
        }

        MarkDied("The connection to the guest agent closed.");
    }

    private void OnAgentLine(string line)
    {
        string[] parts = line.Trim().Split(' ');
        switch (parts)
        {
            case ["ready", ..]:
                _ready.TrySetResult();
                break;
            case ["pid", string id, string pid] when TryGet(id, out GuestProcess? process) && int.TryParse(pid, CultureInfo.InvariantCulture, out int processId):
                process.OnProcessId(processId);
                break;
            case ["exit", string id, string code] when TryGet(id, out GuestProcess? process) && int.TryParse(code, CultureInfo.InvariantCulture, out int exitCode):
                process.OnExit(exitCode);
                break;
            default:
                OnConsoleLine($"usbgadget-vm host: unexpected agent line '{line}'");
                break;
        }

        bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GuestProcess? process)
        {
            process = null;
            return int.TryParse(id, CultureInfo.InvariantCulture, out int number) && _processes.TryGetValue(number, out process);
        }
    }

    private void OnConsoleLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_console)
        {
            _console.Enqueue(line.TrimEnd('\r'));
            while (_console.Count > ConsoleLines)
            {
                _console.Dequeue();
            }
        }
    }

    private static Process StartQemu(HostTools tools, KernelImage kernel, GadgetVmOptions options, string initrd, string share, string socketPath)
    {
        var startInfo = new ProcessStartInfo(tools.Qemu)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Software emulation only: KVM cannot boot this kernel on these hosts (and cannot run another architecture).
        GuestPlatform platform = GuestPlatform.Of(options.Architecture);
        string[] arguments =
        [
            "-accel", "tcg",
            .. platform.MachineArguments,
            "-smp", options.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            "-m", options.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "stdio",
            "-kernel", kernel.Vmlinuz,
            "-initrd", initrd,
            "-append", $"console={platform.Console} panic=-1 rdinit=/init",
            "-virtfs", $"local,path=/,mount_tag={RootTag},security_model=none,readonly=on,multidevs=remap",
            "-virtfs", $"local,path={share},mount_tag={ShareTag},security_model=none,multidevs=remap",
            "-chardev", $"socket,id=agent,path={socketPath},server=on,wait=off",
            "-device", "virtio-serial-pci",
            "-device", $"virtserialport,chardev=agent,name={PortName}",
            .. tools.Userland is null ? (string[])[] : ["-virtfs", $"local,path={tools.Userland},mount_tag={UserlandTag},security_model=none,readonly=on,multidevs=remap"],
        ];
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
        }

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new GadgetVmException($"Could not start QEMU '{tools.Qemu}': {ex.Message}. Install it with: sudo apt-get install -y {platform.QemuPackage}", ex);
        }

        return process;
    }

    private static string SpeedParameters(GadgetVmSpeed speed) => speed switch
    {
        GadgetVmSpeed.High => "is_high_speed=Y is_super_speed=N",
        GadgetVmSpeed.Super => "is_high_speed=Y is_super_speed=Y",
        GadgetVmSpeed.Full => "is_high_speed=N is_super_speed=N",
        _ => throw new ArgumentOutOfRangeException(nameof(speed), speed, "Unknown speed."),
    };

    private static void WriteInitramfs(string path, HostTools tools, KernelImage kernel, GadgetVmOptions options)
    {
        string[] wanted =
        [
            "virtio_pci", "virtio_console", "9pnet_virtio", "9p",
            "configfs", "libcomposite", "usb_f_fs", "usb_f_ss_lb", "usb_f_hid",
            "usbhid", "hid_generic", "evdev",
            .. options.ExtraModules,
            "dummy_hcd",
        ];
        List<string> order = kernel.Modules.LoadOrder(wanted).ToList();

        // dummy_hcd goes last so the controller appears only once every function driver is there.
        order.Remove("dummy_hcd");
        order.Add("dummy_hcd");

        string settings = string.Join(
            '\n',
            "MSIZE=262144",
            $"ROOT_TAG={RootTag}",
            $"SHARE_TAG={ShareTag}",
            $"USERLAND_TAG={UserlandTag}",
            $"PORT_NAME={PortName}",
            $"ROOT_CACHE={(options.CacheHostFiles ? "loose" : "none")}");

        using FileStream file = File.Create(path);
        using var cpio = new CpioWriter(file);
        cpio.AddDirectory("bin");
        cpio.AddDirectory("modules");
        cpio.AddFile("init", Encoding.UTF8.GetBytes(ReadResource(GuestPlatform.Of(options.Architecture).InitResource).Replace("@@SETTINGS@@", settings, StringComparison.Ordinal)), 0x1ED);
        cpio.AddFile("agent.sh", Encoding.UTF8.GetBytes(ReadResource("agent.sh")), 0x1ED);
        cpio.AddFile("bin/busybox", File.ReadAllBytes(tools.Busybox), 0x1ED);
        var orderFile = new StringBuilder();
        foreach (string name in order)
        {
            string relative = kernel.Modules.PathOf(name);
            string fileName = Path.GetFileName(relative);
            cpio.AddFile($"modules/{fileName}", File.ReadAllBytes(Path.Combine(kernel.ModulesDirectory, relative)));
            orderFile.Append(fileName);
            if (name == "dummy_hcd")
            {
                orderFile.Append(' ').Append(SpeedParameters(options.Speed));
            }

            orderFile.Append('\n');
        }

        cpio.AddFile("modules/order", Encoding.UTF8.GetBytes(orderFile.ToString()));
    }

    private static string BuildEnvironmentScript(GadgetVmOptions options, GuestPlatform platform)
    {
        var script = new StringBuilder();
        string? dotnet = platform.HasOwnUserland ? null : HostEnvironment.FindExecutable("dotnet");
        if (platform.HasOwnUserland)
        {
            // The arm64 userland has busybox but no coreutils or util-linux: its applets come last on PATH.
            script.Append("export PATH=\"$PATH:/run/usbgadget-vm-bin/applets\"\n");
        }
        else if (dotnet is not null)
        {
            string real = File.ResolveLinkTarget(dotnet, returnFinalTarget: true)?.FullName ?? dotnet;
            string directory = Path.GetDirectoryName(real)!;
            script.Append("export PATH=\"$PATH:").Append(directory).Append("\"\n");
            script.Append("export DOTNET_ROOT=").Append(GuestShell.Quote(directory)).Append('\n');
        }

        script.Append("export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_HOME=/tmp\n");
        foreach (KeyValuePair<string, string> pair in options.Environment)
        {
            script.Append("export ").Append(pair.Key).Append('=').Append(GuestShell.Quote(pair.Value)).Append('\n');
        }

        return script.ToString();
    }

    private static string ReadResource(string name)
    {
        using Stream stream = typeof(GadgetVm).Assembly.GetManifestResourceStream($"UsbGadget.Testing.Guest.{name}")
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from {typeof(GadgetVm).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static void RemoveStaleSessions(string sessions)
    {
        if (!Directory.Exists(sessions))
        {
            return;
        }

        foreach (string directory in Directory.EnumerateDirectories(sessions))
        {
            try
            {
                string ownerFile = Path.Combine(directory, "owner.pid");
                if (File.Exists(ownerFile)
                    && int.TryParse(File.ReadAllText(ownerFile).Trim(), CultureInfo.InvariantCulture, out int owner)
                    && Directory.Exists($"/proc/{owner}"))
                {
                    continue;
                }

                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Another process may be using or removing it.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }
    }
}
