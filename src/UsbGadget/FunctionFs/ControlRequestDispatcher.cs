using Microsoft.Extensions.Logging;
using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>How a control request ended, as seen from the gadget side.</summary>
internal enum ControlOutcome
{
    /// <summary>IN data was written to ep0.</summary>
    DataSent,
    /// <summary>The request was accepted: zero-length status (or IN data) stage, or OUT data read.</summary>
    Acknowledged,
    /// <summary>ep0 was halted; the host saw a STALL.</summary>
    Stalled,
    /// <summary>EIDRM: a newer event superseded the request before it was answered. Nothing to do.</summary>
    Superseded,
    /// <summary>ESRCH: the kernel had no setup pending (already answered or cancelled).</summary>
    NoSetupPending,
    /// <summary>ep0 I/O failed with another errno (logged).</summary>
    Failed,
}

/// <summary>
/// Turns one SETUP event into the ep0 operations FunctionFS expects (f_fs.c <c>ffs_ep0_read</c>/<c>ffs_ep0_write</c>):
/// <list type="bullet">
/// <item>IN data: write to ep0; the kernel also truncates to <c>wLength</c>, we do it first so the log is exact.</item>
/// <item>OUT data: read <c>wLength</c> bytes from ep0 (this completes the transfer).</item>
/// <item>No data: a zero-length transfer in the request's direction (a zero-length read for OUT) runs the status stage.</item>
/// <item>Stall: I/O in the opposite direction (read on an IN setup, write on an OUT setup); the call fails with EL2HLT, which means success.</item>
/// </list>
/// The default answer to anything unhandled, refused or failing is a stall, so the host never waits for a timeout.
/// </summary>
internal sealed class ControlRequestDispatcher
{
    // The kernel may return EAGAIN when ep0 is non-blocking and its mutex is briefly held (by poll, for example).
    private const int MaxBusyRetries = 1000;

    private readonly IEp0Channel _ep0;
    private readonly ILogger _logger;
    private readonly byte[] _outData = new byte[ushort.MaxValue];

    public ControlRequestDispatcher(IEp0Channel ep0, ILogger logger)
    {
        _ep0 = ep0;
        _logger = logger;
    }

    public async ValueTask<ControlOutcome> DispatchAsync(ControlRequest request, IControlRequestHandler? handler, CancellationToken cancellationToken)
    {
        FunctionFsLog.ControlRequestReceived(_logger, request);
        if (handler is null)
        {
            FunctionFsLog.ControlUnhandled(_logger, request);
            return Stall(request);
        }

        ReadOnlyMemory<byte> outData = ReadOnlyMemory<byte>.Empty;
        bool dataStageDone = false;
        if (!request.IsIn && request.Length > 0)
        {
            bool accepts;
            try
            {
                accepts = handler.AcceptsOutData(request);
            }
            catch (Exception ex)
            {
                FunctionFsLog.ControlHandlerFailed(_logger, request, ex);
                return Stall(request);
            }

            if (!accepts)
            {
                FunctionFsLog.ControlUnhandled(_logger, request);
                return Stall(request);
            }

            Errno readError = Transfer(isRead: true, _outData.AsSpan(0, request.Length), out int received);
            if (readError != Errno.None)
            {
                return Report(request, "read OUT data", readError);
            }

            outData = _outData.AsMemory(0, received);
            dataStageDone = true;
        }

        ControlResponse response;
        try
        {
            response = await handler.HandleControlRequestAsync(request, outData, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FunctionFsLog.ControlHandlerFailed(_logger, request, ex);
            if (dataStageDone)
            {
                FunctionFsLog.ControlLateDecision(_logger, request, ControlResponseKind.Stall);
                return ControlOutcome.Acknowledged;
            }

            return Stall(request);
        }

        if (dataStageDone)
        {
            if (response.Kind != ControlResponseKind.Ack)
            {
                FunctionFsLog.ControlLateDecision(_logger, request, response.Kind);
            }

            return ControlOutcome.Acknowledged;
        }

        switch (response.Kind)
        {
            case ControlResponseKind.Ack:
                // A zero-length transfer in the request's own direction: a read runs the status stage of an OUT/no-data
                // request, a write sends a zero-length IN data stage.
                Errno ackError = Transfer(isRead: !request.IsIn, Span<byte>.Empty, out _);
                return ackError == Errno.None ? ControlOutcome.Acknowledged : Report(request, "acknowledge", ackError);

            case ControlResponseKind.Data when request.IsIn:
                ReadOnlySpan<byte> payload = response.Payload.Span;
                if (payload.Length > request.Length)
                {
                    FunctionFsLog.ControlDataTruncated(_logger, request, payload.Length);
                    payload = payload[..request.Length];
                }

                Errno writeError = TransferWrite(payload, out _);
                return writeError == Errno.None ? ControlOutcome.DataSent : Report(request, "write IN data", writeError);

            case ControlResponseKind.Data:
                FunctionFsLog.ControlDataOnOutRequest(_logger, request);
                return Stall(request);

            default:
                return Stall(request);
        }
    }

    private ControlOutcome Stall(ControlRequest request)
    {
        // Opposite direction: read on an IN setup, write on an OUT setup. f_fs halts ep0 and returns EL2HLT.
        Errno error = Transfer(isRead: request.IsIn, Span<byte>.Empty, out _);
        if (error == Errno.EL2HLT)
        {
            FunctionFsLog.ControlStalled(_logger, request);
            return ControlOutcome.Stalled;
        }

        return error == Errno.None ? Report(request, "stall", Errno.EIO, unexpectedSuccess: true) : Report(request, "stall", error);
    }

    private ControlOutcome Report(ControlRequest request, string operation, Errno error, bool unexpectedSuccess = false)
    {
        switch (error)
        {
            case Errno.EIDRM:
                FunctionFsLog.ControlSuperseded(_logger, request);
                return ControlOutcome.Superseded;
            case Errno.ESRCH:
                FunctionFsLog.ControlNoSetupPending(_logger, request, operation);
                return ControlOutcome.NoSetupPending;
            default:
                if (unexpectedSuccess)
                {
                    FunctionFsLog.ControlStallNotHonoured(_logger, request);
                }
                else
                {
                    FunctionFsLog.ControlIoFailed(_logger, request, operation, error.Describe());
                }

                return ControlOutcome.Failed;
        }
    }

    private Errno Transfer(bool isRead, Span<byte> buffer, out int transferred)
        => isRead ? TransferRead(buffer, out transferred) : TransferWrite(buffer, out transferred);

    private Errno TransferRead(Span<byte> buffer, out int transferred)
    {
        for (int attempt = 0; ; attempt++)
        {
            Errno error = _ep0.TryRead(buffer, out transferred);
            if (!IsTransient(error, attempt))
            {
                return error;
            }
        }
    }

    private Errno TransferWrite(ReadOnlySpan<byte> buffer, out int transferred)
    {
        for (int attempt = 0; ; attempt++)
        {
            Errno error = _ep0.TryWrite(buffer, out transferred);
            if (!IsTransient(error, attempt))
            {
                return error;
            }
        }
    }

    private static bool IsTransient(Errno error, int attempt)
    {
        if (error == Errno.EINTR)
        {
            return true;
        }

        if (error == Errno.EAGAIN && attempt < MaxBusyRetries)
        {
            Thread.Sleep(attempt < 10 ? 0 : 1);
            return true;
        }

        return false;
    }
}
