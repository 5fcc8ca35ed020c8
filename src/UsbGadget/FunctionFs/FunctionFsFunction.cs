using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.Descriptors;
using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>A lifecycle transition of a <see cref="FunctionFsFunction"/>.</summary>
/// <param name="From">The state before.</param>
/// <param name="To">The state after. Equal to <paramref name="From"/> for a repeated ENABLE (new configuration or alternate setting).</param>
public sealed record FunctionFsStateChangedEventArgs(FunctionFsState From, FunctionFsState To);

/// <summary>
/// A running FunctionFS function: ep0 (events, control requests) and its endpoint queues, in one mounted
/// FunctionFS instance.
/// </summary>
/// <remarks>
/// <para>Order of use, as the kernel needs it: mount FunctionFS; <see cref="Create(string, FunctionFsDescriptors, FunctionFsOptions?, ILogger?)"/>
/// (writes descriptors and strings to ep0, opens ep1..N); <see cref="Start"/>; then bind the gadget to a UDC. To stop:
/// unbind the UDC, then dispose (cancels and waits for every buffer), then unmount.</para>
/// <para>Events are handled on a dedicated ep0 thread, one at a time; <see cref="StateChanged"/>, <see cref="Suspended"/>
/// and <see cref="Resumed"/> are raised there and must return quickly.</para>
/// </remarks>
public sealed class FunctionFsFunction : IAsyncDisposable, IDisposable
{
    /// <summary>EDOM (33): FUNCTIONFS_INTERFACE_REVMAP's answer for a foreign interface; not in <see cref="Errno"/>.</summary>
    private const Errno ErrnoEdom = (Errno)33;

    private readonly FunctionFsOptions _options;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly UnixFileHandle _ep0;
    private readonly EventFd? _eventFd;
    private readonly ControlRequestDispatcher _dispatcher;
    private readonly AioEngine _engine;
    private readonly AioBufferPool[] _pools;
    private readonly EndpointFile[] _endpoints;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ep0Exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _enabled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FunctionFsState _state;
    private int _generation;
    private IControlRequestHandler? _handler;
    private Thread? _ep0Thread;
    private volatile bool _stopRequested;
    private int _disposed;

    private FunctionFsFunction(
        string mountPath, UnixFileHandle ep0, EventFd? eventFd, Ep0WaitStrategy strategy, AioEngine engine, AioBufferPool[] pools,
        EndpointFile[] endpoints, FunctionFsOptions options, ILogger logger)
    {
        MountPath = mountPath;
        _ep0 = ep0;
        _eventFd = eventFd;
        WaitStrategy = strategy;
        _engine = engine;
        _pools = pools;
        _endpoints = endpoints;
        _options = options;
        _name = options.Name;
        _logger = logger;
        _dispatcher = new ControlRequestDispatcher(new Ep0File(ep0), logger);
        foreach (EndpointFile endpoint in endpoints)
        {
            endpoint.KernelDisabled = OnKernelDisabled;
        }
        _state = FunctionFsState.DescriptorsWritten;
    }

    /// <summary>The FunctionFS mount directory.</summary>
    public string MountPath { get; }

    /// <summary>How ep0 events are awaited (resolved from <see cref="FunctionFsOptions.Ep0WaitStrategy"/>).</summary>
    public Ep0WaitStrategy WaitStrategy { get; }

    /// <summary>The current lifecycle state.</summary>
    public FunctionFsState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The endpoint files in descriptor order (element i is ep(i+1)).</summary>
    public IReadOnlyList<EndpointFile> Endpoints => _endpoints;

    /// <summary>Raised on the ep0 thread after every lifecycle transition.</summary>
    public event EventHandler<FunctionFsStateChangedEventArgs>? StateChanged;

    /// <summary>Raised on the ep0 thread when the bus is suspended.</summary>
    public event EventHandler? Suspended;

    /// <summary>Raised on the ep0 thread when the bus resumes.</summary>
    public event EventHandler? Resumed;

    /// <summary>
    /// Writes the descriptors and strings to <c>ep0</c> in <paramref name="mountPath"/> and opens the endpoint files.
    /// </summary>
    /// <param name="mountPath">Where the FunctionFS instance is mounted.</param>
    /// <param name="descriptors">The encoded function (descriptors blob, strings blob, endpoint list).</param>
    /// <param name="options">Queue sizes and the ep0 strategy.</param>
    /// <param name="logger">Receives FunctionFS logs (event ids 2000–2099).</param>
    /// <exception cref="LinuxIOException">ep0 could not be opened or the kernel refused the descriptors; the message says why.</exception>
    public static FunctionFsFunction Create(string mountPath, FunctionFsDescriptors descriptors, FunctionFsOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(descriptors);
        return Create(mountPath, descriptors.DescriptorsBlob, descriptors.StringsBlob, descriptors.Endpoints, options, logger);
    }

    /// <summary>
    /// Writes raw descriptors and strings blobs to <c>ep0</c> in <paramref name="mountPath"/> and opens the endpoint
    /// files listed in <paramref name="endpoints"/> (which must match the blob, in descriptor order).
    /// </summary>
    /// <param name="mountPath">Where the FunctionFS instance is mounted.</param>
    /// <param name="descriptorsBlob">The FunctionFS descriptors blob (v2 for the eventfd strategy).</param>
    /// <param name="stringsBlob">The FunctionFS strings blob.</param>
    /// <param name="endpoints">The endpoint files the blob creates, in order.</param>
    /// <param name="options">Queue sizes and the ep0 strategy.</param>
    /// <param name="logger">Receives FunctionFS logs (event ids 2000–2099).</param>
    /// <exception cref="LinuxIOException">ep0 could not be opened or the kernel refused the descriptors; the message says why.</exception>
    public static FunctionFsFunction Create(
        string mountPath,
        ReadOnlyMemory<byte> descriptorsBlob,
        ReadOnlyMemory<byte> stringsBlob,
        IReadOnlyList<FunctionFsEndpoint> endpoints,
        FunctionFsOptions? options = null,
        ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(mountPath);
        ArgumentNullException.ThrowIfNull(endpoints);
        options ??= new FunctionFsOptions();
        options.Validate();
        logger ??= NullLogger.Instance;

        string release = KernelRelease.Current();
        Ep0WaitStrategy strategy = ResolveStrategy(options.Ep0WaitStrategy, release, descriptorsBlob.Span);
        FunctionFsLog.Ep0WaitStrategy(logger, options.Name, strategy, release);

        var disposables = new List<IDisposable>();
        try
        {
            string ep0Path = Path.Combine(mountPath, "ep0");
            UnixFileHandle ep0 = OpenFile(ep0Path, OpenFlags.ReadWrite | (strategy == Ep0WaitStrategy.EventFd ? OpenFlags.NonBlocking : 0),
                "is FunctionFS mounted there (mount -t functionfs <instance> <dir>) and is this process root?");
            disposables.Add(ep0);

            EventFd? eventFd = null;
            ReadOnlyMemory<byte> blob = descriptorsBlob;
            if (strategy == Ep0WaitStrategy.EventFd)
            {
                eventFd = new EventFd();
                disposables.Add(eventFd);
                blob = FunctionFsDescriptorsHeader.WithEventFd(descriptorsBlob.Span, eventFd.Fd);
            }

            WriteBlob(ep0, ep0Path, blob.Span, "descriptors", MicrosoftOsHint(blob.Span, release));
            WriteBlob(ep0, ep0Path, stringsBlob.Span, "strings");

            string extra = Path.Combine(mountPath, $"ep{endpoints.Count + 1}");
            if (endpoints.Count > 0 && endpoints[0].FileName == "ep1" && File.Exists(extra))
            {
                throw new InvalidOperationException(
                    $"The kernel created {extra} but the endpoint list has only {endpoints.Count} entries; pass the list that belongs to this descriptors blob.");
            }

            int outCount = endpoints.Count(e => e.Direction == EndpointDirection.Out);
            int inCount = endpoints.Count - outCount;
            // Every endpoint buffer reserves one operation (an iocb per buffer), so this is exactly what the queues need.
            // Completions run inline on the engine's thread, and so does the reader or writer a completion resumes.
            var engine = new AioEngine(
                Math.Max(1, (outCount * options.Endpoints.OutQueueDepth) + (inCount * options.Endpoints.InQueueDepth)), runContinuationsInline: true, logger);
            disposables.Add(engine);

            var outPool = new AioBufferPool(options.Endpoints.OutTransferSize, Math.Max(1, outCount * options.Endpoints.OutQueueDepth));
            disposables.Add(outPool);
            var inPool = new AioBufferPool(options.Endpoints.InTransferSize, Math.Max(1, inCount * options.Endpoints.InQueueDepth));
            disposables.Add(inPool);

            var io = new AioEndpointIo(engine);
            var files = new EndpointFile[endpoints.Count];
            for (int i = 0; i < endpoints.Count; i++)
            {
                FunctionFsEndpoint declared = endpoints[i];
                string path = Path.Combine(mountPath, declared.FileName);

                // Non-blocking: I/O before ENABLE fails with EAGAIN instead of blocking inside io_submit.
                UnixFileHandle file = OpenFile(path, OpenFlags.ReadWrite | OpenFlags.NonBlocking,
                    "the kernel creates one file per endpoint descriptor once descriptors and strings are written; check that the endpoint list matches the descriptors");
                disposables.Add(file);
                files[i] = declared.Direction == EndpointDirection.Out
                    ? new OutEndpoint(path, file, declared, io, outPool, options.Endpoints.OutQueueDepth, options.Endpoints.OutTransferSize, logger)
                    : new InEndpoint(path, file, declared, io, inPool, options.Endpoints.InQueueDepth, options.Endpoints.InTransferSize, logger);
            }

            FunctionFsLog.DescriptorsWritten(logger, options.Name, mountPath, files.Length);
            return new FunctionFsFunction(mountPath, ep0, eventFd, strategy, engine, [outPool, inPool], files, options, logger);
        }
        catch
        {
            for (int i = disposables.Count - 1; i >= 0; i--)
            {
                disposables[i].Dispose();
            }

            throw;
        }
    }

    /// <summary>Starts the ep0 thread. Control requests go to <paramref name="handler"/>; without one, every request is stalled.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start(IControlRequestHandler? handler)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_gate)
        {
            if (_ep0Thread is not null)
            {
                throw new InvalidOperationException($"FunctionFS function {_name} is already started.");
            }

            _handler = handler;
            _ep0Thread = new Thread(RunEp0Loop) { IsBackground = true, Name = $"ffs-ep0 {_name}" };
        }

        using (ExecutionContext.SuppressFlow())
        {
            _ep0Thread.Start();
        }
    }

    /// <summary>Completes when the function is (or becomes) <see cref="FunctionFsState.Enabled"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled or the function was disposed.</exception>
    public Task WhenEnabledAsync(CancellationToken cancellationToken = default)
    {
        Task enabled;
        lock (_gate)
        {
            enabled = _enabled.Task;
        }

        return enabled.WaitAsync(cancellationToken);
    }

    /// <summary>The OUT endpoint with this endpoint number, as declared.</summary>
    /// <exception cref="ArgumentException">No OUT endpoint has that number.</exception>
    public OutEndpoint GetOutEndpoint(byte number)
        => _endpoints.OfType<OutEndpoint>().FirstOrDefault(e => e.Declared.Number == number)
            ?? throw new ArgumentException($"No OUT endpoint number {number} is declared in {_name}.", nameof(number));

    /// <summary>The IN endpoint with this endpoint number, as declared.</summary>
    /// <exception cref="ArgumentException">No IN endpoint has that number.</exception>
    public InEndpoint GetInEndpoint(byte number)
        => _endpoints.OfType<InEndpoint>().FirstOrDefault(e => e.Declared.Number == number)
            ?? throw new ArgumentException($"No IN endpoint number {number} is declared in {_name}.", nameof(number));

    /// <summary>
    /// FUNCTIONFS_INTERFACE_REVMAP: the function-local number of a gadget-wide interface number.
    /// </summary>
    /// <exception cref="LinuxIOException">EDOM: not one of this function's interfaces; ENODEV: the function is not bound.</exception>
    public int GetLocalInterfaceNumber(byte interfaceNumber)
    {
        Errno errno = _ep0.TryIoctl(Interop.FunctionFsIoctl.FUNCTIONFS_INTERFACE_REVMAP, interfaceNumber, out int result);
        if (errno != Errno.None)
        {
            throw new LinuxIOException($"ioctl({MountPath}/ep0, FUNCTIONFS_INTERFACE_REVMAP, {interfaceNumber})", errno, errno switch
            {
                ErrnoEdom => "that interface does not belong to this function",
                Errno.ENODEV => "the function is not bound to a UDC",
                _ => null,
            });
        }

        return result;
    }

    /// <summary>Stops the ep0 thread, cancels every transfer, waits for every buffer and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopRequested = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _eventFd?.Write(1);

        Thread? thread;
        lock (_gate)
        {
            thread = _ep0Thread;
        }

        // In BlockingRead mode the thread leaves read(2) only on the next event (UNBIND, after the UDC is unbound).
        bool ep0Stopped = thread is null || await OutEndpoint.WaitAsync(_ep0Exited.Task, _options.StopTimeout).ConfigureAwait(false);

        var stops = new Task<bool>[_endpoints.Length];
        for (int i = 0; i < _endpoints.Length; i++)
        {
            stops[i] = _endpoints[i] switch
            {
                OutEndpoint o => o.StopAsync(_options.StopTimeout),
                InEndpoint n => n.StopAsync(_options.StopTimeout),
                _ => Task.FromResult(true),
            };
        }

        bool[] drained = await Task.WhenAll(stops).ConfigureAwait(false);
        bool allDrained = drained.All(d => d);

        // Only release what the kernel can no longer write into.
        if (allDrained)
        {
            await _engine.DisposeAsync().ConfigureAwait(false);
            foreach (AioBufferPool pool in _pools)
            {
                if (pool.Outstanding == 0)
                {
                    pool.Dispose();
                }
            }

            foreach (EndpointFile endpoint in _endpoints)
            {
                endpoint.File.Dispose();
            }
        }

        if (ep0Stopped)
        {
            _eventFd?.Dispose();
        }

        _ep0.Dispose();

        FunctionFsState from;
        lock (_gate)
        {
            from = _state;
            _state = FunctionFsState.Disposed;
            _enabled.TrySetCanceled();
        }

        FunctionFsLog.StateChanged(_logger, _name, from, FunctionFsState.Disposed);
        if (ep0Stopped)
        {
            // An ep0 thread still blocked in read(2) may yet dispatch a request with this token.
            _stopping.Dispose();
        }
    }

    /// <summary>Same as <see cref="DisposeAsync"/>, blocking.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override string ToString() => $"FunctionFS {_name} at {MountPath} ({State})";

    internal static Ep0WaitStrategy ResolveStrategy(Ep0WaitStrategy requested, string kernelRelease, ReadOnlySpan<byte> descriptorsBlob)
    {
        bool v2 = descriptorsBlob.Length >= 4 && descriptorsBlob[0] == FunctionFsDescriptorsHeader.MagicV2 && descriptorsBlob[1] == 0 && descriptorsBlob[2] == 0 && descriptorsBlob[3] == 0;
        return requested switch
        {
            Ep0WaitStrategy.Auto => v2 && KernelRelease.TryParse(kernelRelease, out Version version) && version >= KernelRelease.SafeEventFd
                ? Ep0WaitStrategy.EventFd
                : Ep0WaitStrategy.BlockingRead,
            Ep0WaitStrategy.EventFd when !v2 => throw new ArgumentException("The eventfd strategy needs a FunctionFS v2 descriptors blob.", nameof(descriptorsBlob)),
            _ => requested,
        };
    }

    private static UnixFileHandle OpenFile(string path, OpenFlags flags, string hint)
    {
        try
        {
            return UnixFileHandle.Open(path, flags);
        }
        catch (LinuxIOException ex) when (ex.Errno is Errno.ENOENT or Errno.EACCES or Errno.EPERM)
        {
            throw new LinuxIOException(ex.Call, ex.Errno, $"{ex.Errno.Describe()}: {hint}");
        }
    }

    /// <summary>
    /// Kernels before 6.4 refuse the MS OS header bcdVersion 0x0100 with a bare EINVAL (seen on 6.1); say so when the blob
    /// has MS OS descriptors and the kernel is older.
    /// </summary>
    private static string MicrosoftOsHint(ReadOnlySpan<byte> blob, string release) =>
        blob.Length >= 12
        && BinaryPrimitives.ReadUInt32LittleEndian(blob) == FunctionFsConstants.DescriptorsMagicV2
        && (BinaryPrimitives.ReadUInt32LittleEndian(blob[8..]) & FunctionFsConstants.HasMsOsDescriptors) != 0
        && KernelRelease.TryParse(release, out Version version) && version < KernelRelease.MicrosoftOsBcdVersion1_0
            ? $"; if its MS OS descriptors use bcdVersion 0x0100 (FunctionFsWriterOptions.MicrosoftOsBcdVersion1_0), that needs Linux {KernelRelease.MicrosoftOsBcdVersion1_0} or later and this kernel is {release}: use the default 0x0001, which every kernel accepts"
            : "";

    private static void WriteBlob(UnixFileHandle ep0, string ep0Path, ReadOnlySpan<byte> blob, string what, string einvalHint = "")
    {
        Errno errno;
        int attempts = 0;
        while ((errno = ep0.TryWrite(blob, out _)) == Errno.EAGAIN && attempts++ < 100)
        {
            Thread.Sleep(1);
        }

        if (errno != Errno.None)
        {
            throw new LinuxIOException($"write({ep0Path}, {what} blob of {blob.Length} bytes)", errno, errno switch
            {
                Errno.EINVAL => $"{errno.Describe()}: the kernel refused the {what}; run dmesg for f_fs's reason (enable dynamic debug for f_fs.c for details), and validate the model with DescriptorValidator{einvalHint}",
                Errno.ENOSYS => $"{errno.Describe()}: the descriptors use a flag this kernel does not know",
                Errno.EBADFD => $"{errno.Describe()}: ep0 is not expecting {what}; was this instance already set up by another process (a stale gadget)?",
                Errno.EBUSY => $"{errno.Describe()}: the instance is in use or closing; unmount and mount it again",
                _ => null,
            });
        }
    }

    private void RunEp0Loop()
    {
        Span<byte> buffer = stackalloc byte[FunctionFsEvent.Size * FunctionFsEvent.MaxPerRead];
        Span<FunctionFsEvent> events = stackalloc FunctionFsEvent[FunctionFsEvent.MaxPerRead];
        int failures = 0;
        try
        {
            while (!_stopRequested)
            {
                if (_eventFd is not null)
                {
                    _eventFd.Read();
                }

                // With the eventfd, drain until EAGAIN; with blocking reads, one read is one wait.
                while (!_stopRequested)
                {
                    Errno errno = _ep0.TryRead(buffer, out int length);
                    if (errno == Errno.EAGAIN)
                    {
                        break;
                    }

                    if (errno == Errno.EIDRM)
                    {
                        // A setup we had not answered yet was cancelled by a newer event; that read cleared it.
                        continue;
                    }

                    if (errno != Errno.None)
                    {
                        FunctionFsLog.Ep0ReadFailed(_logger, _name, errno.Describe());
                        if (errno is Errno.EBADFD or Errno.ENODEV || ++failures > 10)
                        {
                            return;
                        }

                        Thread.Sleep(100);
                        break;
                    }

                    failures = 0;
                    if (!FunctionFsEventParser.TryParse(buffer[..length], events, out int count))
                    {
                        FunctionFsLog.MalformedEventRead(_logger, _name, length);
                        continue;
                    }

                    for (int i = 0; i < count; i++)
                    {
                        HandleEvent(events[i]);
                    }

                    if (_eventFd is null)
                    {
                        break;
                    }
                }
            }
        }
        catch (ObjectDisposedException) when (_stopRequested)
        {
            // Disposal gave up waiting for a blocking read and closed ep0; that read has now returned.
        }
        catch (Exception ex)
        {
            FunctionFsLog.Ep0LoopFailed(_logger, _name, ex);
        }
        finally
        {
            _ep0Exited.TrySetResult();
        }
    }

    private void HandleEvent(FunctionFsEvent @event)
    {
        FunctionFsLog.Ep0Event(_logger, _name, @event);
        switch (@event.Type)
        {
            case FunctionFsEventType.Setup:
                if (_stopRequested)
                {
                    // Stopping: stall rather than run user code on a function being torn down.
                    _dispatcher.DispatchAsync(@event.Setup, handler: null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    break;
                }

                ValueTask<ControlOutcome> dispatch = _dispatcher.DispatchAsync(@event.Setup, _handler, _stopping.Token);
                if (dispatch.IsCompleted)
                {
                    dispatch.GetAwaiter().GetResult();
                }
                else
                {
                    // A dedicated thread without a synchronization context: blocking here cannot deadlock.
                    dispatch.AsTask().GetAwaiter().GetResult();
                }

                break;

            case FunctionFsEventType.Suspend:
                Raise(@event, Suspended);
                break;

            case FunctionFsEventType.Resume:
                Raise(@event, Resumed);
                break;

            case FunctionFsEventType.Bind:
            case FunctionFsEventType.Unbind:
            case FunctionFsEventType.Enable:
            case FunctionFsEventType.Disable:
                Transition(@event);
                break;

            default:
                FunctionFsLog.UnknownEvent(_logger, _name, (byte)@event.Type);
                break;
        }
    }

    private void Transition(FunctionFsEvent @event)
    {
        FunctionFsEventType type = @event.Type;
        if (type == FunctionFsEventType.Enable && State == FunctionFsState.Enabled)
        {
            // The kernel drops an unread DISABLE when the next ENABLE arrives (a quick bus reset or SET_CONFIGURATION).
            // Replay it, so endpoints, function runs and observers see one enable cycle end before the next begins.
            Transition(new FunctionFsEvent(FunctionFsEventType.Disable, default));
        }

        FunctionFsState from;
        FunctionFsState to;
        int generation;
        lock (_gate)
        {
            from = _state;
            to = FunctionFsStateMachine.Next(from, type);
            _state = to;
            generation = type == FunctionFsEventType.Enable ? ++_generation : _generation;
            if (from == FunctionFsState.Enabled && (to != FunctionFsState.Enabled || type == FunctionFsEventType.Enable) && _enabled.Task.IsCompleted)
            {
                _enabled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (FunctionFsStateMachine.StopsEndpoints(type))
        {
            string reason = type.ToString().ToUpperInvariant();
            foreach (EndpointFile endpoint in _endpoints)
            {
                endpoint.Disable(reason);
            }
        }

        if (type == FunctionFsEventType.Unbind)
        {
            // The kernel ended every transfer with ESHUTDOWN; wait until all buffers are back before going on.
            Task idle = Task.WhenAll(_endpoints.Select(e => e switch
            {
                OutEndpoint o => o.WhenIdleAsync(),
                InEndpoint n => n.WhenIdleAsync(),
                _ => Task.CompletedTask,
            }));
            idle.Wait(_options.StopTimeout);
        }

        if (to == FunctionFsState.Enabled)
        {
            foreach (EndpointFile endpoint in _endpoints)
            {
                int packetSize = endpoint.VerifyAtEnable();
                switch (endpoint)
                {
                    case OutEndpoint o:
                        o.Enable(generation, packetSize);
                        break;
                    case InEndpoint n:
                        n.Enable(generation);
                        break;
                }
            }

            lock (_gate)
            {
                _enabled.TrySetResult();
            }
        }

        if (from != to)
        {
            FunctionFsLog.StateChanged(_logger, _name, from, to);
        }
        else if (type != FunctionFsEventType.Enable)
        {
            FunctionFsLog.EventIgnored(_logger, _name, type, from);
            return;
        }

        EventHandler<FunctionFsStateChangedEventArgs>? handler = StateChanged;
        if (handler is not null)
        {
            try
            {
                handler(this, new FunctionFsStateChangedEventArgs(from, to));
            }
            catch (Exception ex)
            {
                FunctionFsLog.ObserverFailed(_logger, _name, @event, ex);
            }
        }
    }

    /// <summary>
    /// A transfer showed that the kernel disabled the endpoints of enable cycle <paramref name="generation"/>. That
    /// endpoint has stopped itself; stop the others too, rather than when the DISABLE event is read, by which time the
    /// kernel may have enabled them again for the host's next session. The ep0 thread still moves the state on.
    /// </summary>
    private void OnKernelDisabled(int generation)
    {
        // Off the completion thread, which may hold the reporting endpoint's lock: endpoint locks never nest.
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Function.DisableEndpoints(state.Generation), (Function: this, Generation: generation), preferLocal: false);
    }

    private void DisableEndpoints(int generation)
    {
        lock (_gate)
        {
            if (_state != FunctionFsState.Enabled || _generation != generation)
            {
                return;
            }
        }

        foreach (EndpointFile endpoint in _endpoints)
        {
            endpoint.Disable("the kernel disabled a sibling endpoint", generation);
        }
    }

    private void Raise(FunctionFsEvent @event, EventHandler? handler)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, EventArgs.Empty);
        }
        catch (Exception ex)
        {
            FunctionFsLog.ObserverFailed(_logger, _name, @event, ex);
        }
    }

    /// <summary>ep0 as <see cref="IEp0Channel"/>.</summary>
    private sealed class Ep0File(UnixFileHandle file) : IEp0Channel
    {
        public Errno TryRead(Span<byte> buffer, out int bytesRead) => file.TryRead(buffer, out bytesRead);

        public Errno TryWrite(ReadOnlySpan<byte> buffer, out int bytesWritten) => file.TryWrite(buffer, out bytesWritten);
    }
}
