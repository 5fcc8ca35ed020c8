using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting.Hid;

/// <summary>
/// A USB HID device over FunctionFS (keyboard, mouse, game controller, a custom sensor) from its report descriptor:
/// the helper writes the interface, HID and endpoint descriptors, answers the HID requests on ep0, and sends the input
/// reports you give <see cref="SendReportAsync"/>. A subclass adds only what the device does.
/// </summary>
/// <remarks>
/// <para>On ep0 it answers GET_DESCRIPTOR for the HID and report descriptors, GET_REPORT (the current value of any
/// declared report), SET_REPORT (output and feature reports, handed to <see cref="OnOutputReport"/> and
/// <see cref="OnFeatureReport"/>), GET_IDLE/SET_IDLE, and, on boot devices, GET_PROTOCOL/SET_PROTOCOL (HID 1.11 §7).
/// Any other request, or one whose direction, report type, report ID, length or interface does not fit the report
/// descriptor, is stalled.</para>
/// <para>What the host sets lasts while it has the function enabled: a disable (unplug, bus reset, host reboot) puts
/// the function back in report protocol with idle rates of 0, as a freshly plugged device.</para>
/// <para>The idle rate is recorded and reported back but not acted on: a report goes out when you send it, never as
/// an automatic repeat. Hosts set 0 (report only on change) for keyboards and mice, where this makes no difference.</para>
/// </remarks>
public abstract class HidFunction : IGadgetFunction
{
    private const byte InEndpointNumber = 1;
    private const byte OutEndpointNumber = 1;

    // bRequest values: the standard GET_DESCRIPTOR (USB 2.0 §9.4.3), and the HID class requests (HID 1.11 §7.2).
    private const byte GetDescriptorRequest = 0x06;
    private const byte GetReportRequest = 0x01;
    private const byte GetIdleRequest = 0x02;
    private const byte GetProtocolRequest = 0x03;
    private const byte SetReportRequest = 0x09;
    private const byte SetIdleRequest = 0x0A;
    private const byte SetProtocolRequest = 0x0B;

    // HID 1.11 Appendix B: the boot keyboard's input report is 8 bytes and its LED report 1; a boot mouse's starts with 3.
    private const int BootKeyboardInputLength = 8;
    private const int BootKeyboardOutputLength = 1;
    private const int BootMouseInputLength = 3;

    // The OUT endpoint's packets are 64 bytes, the most full speed allows; a report must be shorter to end its read.
    private const int MaxOutEndpointReportLength = 63;

    private readonly HidDescription _description;
    private readonly byte[] _reportDescriptor;
    private readonly HidClassDescriptor _hidDescriptor;
    private readonly byte[] _hidDescriptorBytes;
    private readonly HidReportLayout _layout;

    // The current value of every declared report, ID byte included: GET_REPORT answers with it. Guarded by _gate, as
    // it is written by senders and read on the ep0 thread.
    private readonly Dictionary<(HidReportType Type, byte Id), byte[]> _reports = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);

    // Set by the host on the ep0 thread, read anywhere. Index 0 holds SET_IDLE's "all reports" rate.
    private readonly byte[] _idleRates = new byte[256];
    private volatile HidProtocol _protocol = HidProtocol.Report;
    private InEndpoint? _input;
    private ILogger _logger = NullLogger.Instance;

    /// <summary>Creates the function from its description; the report descriptor is checked here.</summary>
    /// <param name="description">The report descriptor and the choices around it.</param>
    /// <exception cref="ArgumentException">
    /// The report descriptor is malformed or declares no input report, or the description does not fit it; the message
    /// says what to change.
    /// </exception>
    protected HidFunction(HidDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        _description = description;
        _reportDescriptor = description.ReportDescriptor.ToArray();
        if (_reportDescriptor.Length > ushort.MaxValue)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture,
                $"HidDescription.ReportDescriptor is {_reportDescriptor.Length} bytes; the HID descriptor's wDescriptorLength allows at most 65535."));
        }

        try
        {
            _layout = HidReportLayout.Parse(_reportDescriptor);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"HidDescription.ReportDescriptor: {e.Message}", nameof(description), e);
        }

        Validate(description, _layout);
        _hidDescriptor = HidClassDescriptor.For(_reportDescriptor);
        _hidDescriptorBytes = _hidDescriptor.ToArray();
        foreach ((HidReportType type, byte id, int length) in _layout.Reports)
        {
            byte[] report = new byte[length];
            if (id != 0)
            {
                report[0] = id;
            }

            _reports[(type, id)] = report;
        }

        InputReportLengths = _layout.Reports.Where(r => r.Type == HidReportType.Input).ToDictionary(r => r.Id, r => r.Length).AsReadOnly();
    }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The protocol the host selected: <see cref="HidProtocol.Report"/> unless a boot device was switched to boot protocol.</summary>
    /// <remarks>
    /// A BIOS selects <see cref="HidProtocol.Boot"/>. A boot keyboard then sends only the first 8 bytes of each input
    /// report (the helper cuts them), and a boot mouse's host reads the first 3.
    /// </remarks>
    public HidProtocol Protocol => _protocol;

    /// <summary>The length in bytes of every input report <see cref="SendReportAsync"/> takes, by report ID (0 without IDs).</summary>
    /// <remarks>Read from the report descriptor; with report IDs the ID byte is included.</remarks>
    public IReadOnlyDictionary<byte, int> InputReportLengths { get; }

    /// <summary>The idle rate the host set with SET_IDLE for an input report: zero means "only when something changes".</summary>
    /// <param name="reportId">The report ID, or 0 for a descriptor without report IDs.</param>
    /// <returns>The idle rate, in the protocol's 4 ms steps.</returns>
    public TimeSpan GetIdleRate(byte reportId = 0) => TimeSpan.FromMilliseconds(4 * Volatile.Read(ref _idleRates[reportId]));

    /// <summary>
    /// Sends an input report to the host, and makes it the value GET_REPORT answers with. Returns once the report is
    /// queued on the interrupt IN endpoint; the host collects it at its next poll.
    /// </summary>
    /// <param name="report">
    /// One input report as the report descriptor declares it, starting with its report ID byte when the descriptor uses
    /// report IDs. Its length must be the declared one (<see cref="InputReportLengths"/>).
    /// </param>
    /// <param name="cancellationToken">Stops waiting for room in the endpoint's queue.</param>
    /// <returns>
    /// <see langword="true"/> when the report was queued; <see langword="false"/> when the host has the function disabled
    /// (not configured yet, unplugged, or the app is stopping), in which case the report was not sent.
    /// </returns>
    /// <remarks>Safe to call from several tasks at once: reports go out one after the other, in the order of the calls.</remarks>
    /// <exception cref="ArgumentException"><paramref name="report"/> is not an input report of the report descriptor.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the report was queued.</exception>
    public async ValueTask<bool> SendReportAsync(ReadOnlyMemory<byte> report, CancellationToken cancellationToken = default)
    {
        byte id = ReportIdOf(report.Span);
        if (!_reports.TryGetValue((HidReportType.Input, id), out byte[]? current) || current.Length != report.Length)
        {
            throw new ArgumentException(DescribeMismatch(HidReportType.Input, id, report.Length), nameof(report));
        }

        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                report.Span.CopyTo(current);
            }

            InEndpoint? input = Volatile.Read(ref _input);
            if (input is null)
            {
                return false;
            }

            ReadOnlyMemory<byte> wire = IsBootKeyboardInBootProtocol ? report[..BootKeyboardInputLength] : report;
            await input.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (EndpointDisabledException)
        {
            return false;
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Sets the value of a feature report, which the host reads with GET_REPORT.</summary>
    /// <param name="report">The feature report, starting with its report ID byte when the descriptor uses report IDs.</param>
    /// <exception cref="ArgumentException"><paramref name="report"/> is not a feature report of the report descriptor.</exception>
    public void SetFeatureReport(ReadOnlySpan<byte> report)
    {
        byte id = ReportIdOf(report);
        if (!_reports.TryGetValue((HidReportType.Feature, id), out byte[]? current) || current.Length != report.Length)
        {
            throw new ArgumentException(DescribeMismatch(HidReportType.Feature, id, report.Length), nameof(report));
        }

        lock (_gate)
        {
            report.CopyTo(current);
        }
    }

    /// <inheritdoc/>
    public FunctionDescription Describe()
    {
        int inputPacket = Math.Max(_layout.MaxInputLength, _description.BootProtocol switch
        {
            HidBootProtocol.Keyboard => BootKeyboardInputLength,
            HidBootProtocol.Mouse => BootMouseInputLength,
            _ => 0,
        });
        EndpointDescription input = EndpointDescription.Interrupt(
            EndpointDirection.In, InEndpointNumber, (ushort)Math.Min(inputPacket, 1024), _description.PollingInterval);
        // 64-byte packets, and reports of at most 63 bytes (checked): every report ends with a short packet, which ends
        // the read it lands in whatever the gadget's read size. A full packet would not: the read would wait for more.
        EndpointDescription? output = _description.OutEndpoint
            ? EndpointDescription.Interrupt(EndpointDirection.Out, OutEndpointNumber, MaxOutEndpointReportLength + 1, _description.PollingInterval)
            : null;
        bool named = _description.InterfaceName is not null;
        return new FunctionDescription
        {
            Interfaces =
            [
                new InterfaceDescription
                {
                    Number = 0,
                    Class = UsbClass.Hid,
                    SubClass = _description.BootProtocol == HidBootProtocol.None ? (byte)0 : (byte)1,
                    Protocol = (byte)_description.BootProtocol,
                    NameIndex = named ? (byte)1 : (byte)0,
                    ClassDescriptors = [_hidDescriptor],
                    Endpoints = output is null ? [input] : [input, output],
                },
            ],
            Strings = named ? StringTable.Single(LanguageIds.EnglishUnitedStates, _description.InterfaceName!) : new StringTable(),
        };
    }

    /// <summary>
    /// The device's own work while the host has it enabled, for example reading a sensor and sending reports. Reports
    /// may also be sent from elsewhere (another service, a timer); then there is nothing to override.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the host disables the function or the app stops.</param>
    /// <returns>A task that ends when the work is done or <paramref name="cancellationToken"/> is cancelled.</returns>
    /// <remarks>The default does nothing and returns at once; the function stays attached and keeps answering the host.</remarks>
    protected virtual Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called with each output report the host sends (keyboard LEDs, for example), by SET_REPORT or on the OUT endpoint.</summary>
    /// <param name="report">The report as declared, starting with its report ID byte when the descriptor uses report IDs.</param>
    /// <remarks>
    /// Runs on the ep0 thread (SET_REPORT) or the AIO completion thread (OUT endpoint): keep it short and never block.
    /// The default does nothing; GET_REPORT answers with the latest output report either way.
    /// </remarks>
    protected virtual void OnOutputReport(ReadOnlySpan<byte> report)
    {
    }

    /// <summary>Called with each feature report the host writes with SET_REPORT, after it became the report's value.</summary>
    /// <param name="report">The report as declared, starting with its report ID byte when the descriptor uses report IDs.</param>
    /// <remarks>Runs on the ep0 thread: keep it short and never block. The default does nothing.</remarks>
    protected virtual void OnFeatureReport(ReadOnlySpan<byte> report)
    {
    }

    /// <summary>Called when the host selects a protocol with SET_PROTOCOL (boot devices only).</summary>
    /// <param name="protocol">The protocol now in effect, also in <see cref="Protocol"/>.</param>
    /// <remarks>Runs on the ep0 thread: keep it short and never block. The default does nothing.</remarks>
    protected virtual void OnProtocolChanged(HidProtocol protocol)
    {
    }

    async Task IGadgetFunction.RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        _logger = context.Logger;
        Volatile.Write(ref _input, context.GetInEndpoint(InEndpointNumber));

        // Runs on the ep0 thread the moment the host disables the function, before ep0 reads its next request, so what
        // the host set is reset before the next enable even while this run is still returning. Registered after the
        // endpoint is published: a run cancelled already clears it at once. Not disposed with the run: the reset is
        // owed even when RunAsync returns early; the runner disposes the source.
        cancellationToken.UnsafeRegister(static state => ((HidFunction)state!).ResetHostState(), this);

        OutEndpoint? outputEndpoint = _description.OutEndpoint ? context.GetOutEndpoint(OutEndpointNumber) : null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task run = StopAllOnFailureAsync(RunAsync(stop.Token), stop);
        Task outputs = outputEndpoint is not null
            ? StopAllOnFailureAsync(ReceiveOutputReportsAsync(outputEndpoint, stop.Token), stop)
            : Task.CompletedTask;
        await Task.WhenAll(run, outputs).ConfigureAwait(false);
    }

    bool IControlRequestHandler.AcceptsOutData(in ControlRequest request) =>
        IsForThisInterface(request)
        && request.Type == ControlRequestType.Class
        && request.Request == SetReportRequest
        && (HidReportType)(request.Value >> 8) is HidReportType.Output or HidReportType.Feature
        && request.Length == ExpectedLength((HidReportType)(request.Value >> 8), (byte)request.Value);

    ValueTask<ControlResponse> IControlRequestHandler.HandleControlRequestAsync(
        ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Answer(request, outData.Span));

    private ControlResponse Answer(in ControlRequest request, ReadOnlySpan<byte> outData)
    {
        if (!IsForThisInterface(request))
        {
            return ControlResponse.Stall;
        }

        byte high = (byte)(request.Value >> 8);
        byte low = (byte)request.Value;
        return (request.Type, request.Request, request.IsIn) switch
        {
            // wValue: descriptor type, index. There is one HID and one report descriptor, so the index is 0.
            (ControlRequestType.Standard, GetDescriptorRequest, true) when low == 0 => high switch
            {
                HidClassDescriptor.HidDescriptorType => ControlResponse.Data(_hidDescriptorBytes),
                HidClassDescriptor.ReportDescriptorType => ControlResponse.Data(_reportDescriptor),
                _ => ControlResponse.Stall,
            },

            // wValue: report type, report ID.
            (ControlRequestType.Class, GetReportRequest, true) => GetReport((HidReportType)high, low),
            (ControlRequestType.Class, SetReportRequest, false) => SetReport((HidReportType)high, low, outData),

            // wValue: 0 (GET) or duration in 4 ms steps (SET), report ID; report ID 0 means every report.
            (ControlRequestType.Class, GetIdleRequest, true) when high == 0 && IsIdleTarget(low) =>
                ControlResponse.Data(new[] { Volatile.Read(ref _idleRates[low]) }),
            (ControlRequestType.Class, SetIdleRequest, false) when request.Length == 0 && IsIdleTarget(low) => SetIdle(low, high),

            // Boot devices only (HID 1.11 §7.2.5–7.2.6); wValue is 0 (boot) or 1 (report) for SET, 0 for GET.
            (ControlRequestType.Class, GetProtocolRequest, true) when IsBootDevice && request.Value == 0 =>
                ControlResponse.Data(new[] { (byte)_protocol }),
            (ControlRequestType.Class, SetProtocolRequest, false) when IsBootDevice && request.Length == 0 && request.Value <= 1 =>
                SetProtocol((HidProtocol)request.Value),

            _ => ControlResponse.Stall,
        };
    }

    private ControlResponse GetReport(HidReportType type, byte id)
    {
        if (ExpectedLength(type, id) == 0 || !_reports.TryGetValue((type, id), out byte[]? current))
        {
            return ControlResponse.Stall;
        }

        // In boot protocol a boot keyboard's reports are the start of the declared ones.
        int length = Math.Min(ExpectedLength(type, id), current.Length);
        lock (_gate)
        {
            // A copy: the dispatcher writes it after this returns, while a sender may change the report.
            return ControlResponse.Data(current.AsSpan(0, length).ToArray());
        }
    }

    private ControlResponse SetReport(HidReportType type, byte id, ReadOnlySpan<byte> data)
    {
        if (type is not (HidReportType.Output or HidReportType.Feature) || data.Length == 0 || data.Length != ExpectedLength(type, id))
        {
            // The data stage was short (the host sent fewer bytes than wLength), or there was none: refuse it.
            return ControlResponse.Stall;
        }

        if (id != 0 && data[0] != id)
        {
            HidLog.ReportIdMismatch(_logger, Name, type, id, data[0]);
            return ControlResponse.Stall;
        }

        Store(type, id, data);
        if (type == HidReportType.Output)
        {
            OnOutputReport(data);
        }
        else
        {
            OnFeatureReport(data);
        }

        return ControlResponse.Ack;
    }

    private ControlResponse SetIdle(byte id, byte duration)
    {
        if (id == 0)
        {
            Array.Fill(_idleRates, duration);
        }
        else
        {
            Volatile.Write(ref _idleRates[id], duration);
        }

        HidLog.IdleSet(_logger, Name, id, TimeSpan.FromMilliseconds(4 * duration));
        return ControlResponse.Ack;
    }

    private ControlResponse SetProtocol(HidProtocol protocol)
    {
        HidProtocol previous = _protocol;
        _protocol = protocol;
        HidLog.ProtocolSelected(_logger, Name, protocol);
        if (previous != protocol)
        {
            OnProtocolChanged(protocol);
        }

        return ControlResponse.Ack;
    }

    private async Task ReceiveOutputReportsAsync(OutEndpoint endpoint, CancellationToken cancellationToken)
    {
        while (true)
        {
            using OutTransfer transfer = await endpoint.ReadAsync(cancellationToken).ConfigureAwait(false);
            switch (transfer.Status)
            {
                case EndpointStatus.Ok:
                    ReceiveOutputReport(transfer.Span);
                    break;
                case EndpointStatus.Failed:
                    HidLog.OutputReadFailed(_logger, Name, transfer.Error.ToString());
                    break;
                default:
                    return; // disabled or stopped: the next enable starts a new run
            }
        }
    }

    private void ReceiveOutputReport(ReadOnlySpan<byte> data)
    {
        byte id = ReportIdOf(data);
        if (data.Length == 0 || data.Length != ExpectedLength(HidReportType.Output, id))
        {
            HidLog.OutputReportIgnored(_logger, Name, data.Length, id);
            return;
        }

        Store(HidReportType.Output, id, data);
        OnOutputReport(data);
    }

    private void Store(HidReportType type, byte id, ReadOnlySpan<byte> data)
    {
        if (_reports.TryGetValue((type, id), out byte[]? current))
        {
            lock (_gate)
            {
                // A boot keyboard's 1-byte LED report fills the start of a longer declared output report.
                data[..Math.Min(data.Length, current.Length)].CopyTo(current);
            }
        }
    }

    internal void ResetHostState()
    {
        Volatile.Write(ref _input, null);
        Array.Clear(_idleRates);
        _protocol = HidProtocol.Report;
    }

    // The length a report of this type and ID has in the current protocol, or 0 when there is no such report.
    private int ExpectedLength(HidReportType type, byte id)
    {
        if (IsBootKeyboardInBootProtocol && id == 0)
        {
            if (type == HidReportType.Input)
            {
                return BootKeyboardInputLength;
            }

            if (type == HidReportType.Output)
            {
                return BootKeyboardOutputLength;
            }
        }

        return type is HidReportType.Input or HidReportType.Output or HidReportType.Feature ? _layout.LengthOf(type, id) : 0;
    }

    private bool IsBootDevice => _description.BootProtocol != HidBootProtocol.None;

    private bool IsBootKeyboardInBootProtocol => _description.BootProtocol == HidBootProtocol.Keyboard && _protocol == HidProtocol.Boot;

    private bool IsIdleTarget(byte id) => id == 0 || _layout.LengthOf(HidReportType.Input, id) != 0;

    private byte ReportIdOf(ReadOnlySpan<byte> report) => _layout.UsesReportIds && !report.IsEmpty ? report[0] : (byte)0;

    // Requests for the interface: FunctionFS has already mapped wIndex to the function's own interface number, 0.
    private static bool IsForThisInterface(in ControlRequest request) =>
        request.Recipient == ControlRecipient.Interface && request.Index == 0;

    private string DescribeMismatch(HidReportType type, byte id, int length)
    {
        string declared = string.Join(", ", _layout.Reports.Where(r => r.Type == type).Select(r =>
            _layout.UsesReportIds ? string.Create(CultureInfo.InvariantCulture, $"ID {r.Id}: {r.Length} bytes") : string.Create(CultureInfo.InvariantCulture, $"{r.Length} bytes")));
        string what = _layout.UsesReportIds
            ? string.Create(CultureInfo.InvariantCulture, $"A {length}-byte {type.ToString().ToLowerInvariant()} report starting with ID {id}")
            : string.Create(CultureInfo.InvariantCulture, $"A {length}-byte {type.ToString().ToLowerInvariant()} report");
        return declared.Length == 0
            ? $"{what} was given, but the report descriptor declares no {type.ToString().ToLowerInvariant()} report."
            : $"{what} does not match the report descriptor, which declares {declared}{(_layout.UsesReportIds ? " (the ID byte first)" : "")}.";
    }

    private static async Task StopAllOnFailureAsync(Task task, CancellationTokenSource stop)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The run and the output reader end together, so a failure is reported instead of a half-working device.
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Validate(HidDescription description, HidReportLayout layout)
    {
        if (layout.MaxInputLength == 0)
        {
            throw Invalid("HidDescription.ReportDescriptor declares no input report (no Input item with a Report Size and Report Count above 0): a HID function needs one to send.");
        }

        if (!Enum.IsDefined(description.BootProtocol))
        {
            throw Invalid($"HidDescription.BootProtocol = {description.BootProtocol} is not a boot protocol: use None, Keyboard or Mouse.");
        }

        if (description.BootProtocol != HidBootProtocol.None)
        {
            int bootLength = description.BootProtocol == HidBootProtocol.Keyboard ? BootKeyboardInputLength : BootMouseInputLength;
            if (layout.UsesReportIds || layout.MaxInputLength < bootLength)
            {
                throw Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"HidDescription.BootProtocol = {description.BootProtocol} needs a report descriptor whose input report starts with the {bootLength}-byte boot report and has no report IDs (HID 1.11 Appendix B); this one {(layout.UsesReportIds ? "uses report IDs" : $"has a {layout.MaxInputLength}-byte input report")}. Use HidReportDescriptors.BootKeyboard for a keyboard, or set BootProtocol = None."));
            }
        }

        if (description.PollingInterval < TimeSpan.FromMilliseconds(1) || description.PollingInterval > TimeSpan.FromMilliseconds(255))
        {
            throw Invalid($"HidDescription.PollingInterval = {description.PollingInterval} is out of range: use 1 ms to 255 ms, which every USB speed can express.");
        }

        if (description.OutEndpoint && layout.MaxOutputLength == 0)
        {
            throw Invalid("HidDescription.OutEndpoint is true, but the report descriptor declares no output report: add an Output item, or set OutEndpoint = false.");
        }

        if (description.OutEndpoint && layout.MaxOutputLength > MaxOutEndpointReportLength)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture,
                $"HidDescription.OutEndpoint carries each output report in one short packet of a 64-byte endpoint, so reports of at most 63 bytes; this report descriptor's longest output report is {layout.MaxOutputLength} bytes. Set OutEndpoint = false to take it with SET_REPORT."));
        }

        if (description.InterfaceName is { Length: 0 })
        {
            throw Invalid("HidDescription.InterfaceName is empty: give a name, or leave it null for no string.");
        }
    }

    private static ArgumentException Invalid(string message) => new(message, "description");
}
