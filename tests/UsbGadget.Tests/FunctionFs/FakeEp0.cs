using UsbGadget.Aio;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

/// <summary>
/// An ep0 that behaves like f_fs for one pending setup: the right-direction transfer succeeds (reads return
/// <see cref="OutData"/>, truncated to the request), the wrong-direction one stalls with EL2HLT. Errnos can be
/// scripted per call to simulate EIDRM, ESRCH or a busy EAGAIN.
/// </summary>
internal sealed class FakeEp0(ControlRequest pending) : IEp0Channel
{
    public List<string> Operations { get; } = [];

    public byte[] OutData { get; set; } = [];

    public byte[]? Written { get; private set; }

    public Queue<Errno> ScriptedErrors { get; } = new();

    public Errno TryRead(Span<byte> buffer, out int bytesRead)
    {
        Operations.Add($"read({buffer.Length})");
        bytesRead = 0;
        if (ScriptedErrors.TryDequeue(out Errno scripted))
        {
            return scripted;
        }

        if (pending.IsIn)
        {
            return Errno.EL2HLT;
        }

        int n = Math.Min(Math.Min(buffer.Length, pending.Length), OutData.Length);
        OutData.AsSpan(0, n).CopyTo(buffer);
        bytesRead = n;
        return Errno.None;
    }

    public Errno TryWrite(ReadOnlySpan<byte> buffer, out int bytesWritten)
    {
        Operations.Add($"write({buffer.Length})");
        bytesWritten = 0;
        if (ScriptedErrors.TryDequeue(out Errno scripted))
        {
            return scripted;
        }

        if (!pending.IsIn)
        {
            return Errno.EL2HLT;
        }

        Written = buffer.ToArray();
        bytesWritten = Math.Min(buffer.Length, pending.Length);
        return Errno.None;
    }
}

/// <summary>A handler built from delegates, recording what it saw.</summary>
internal sealed class TestHandler(Func<ControlRequest, ReadOnlyMemory<byte>, ControlResponse> answer, bool acceptsOutData = true) : IControlRequestHandler
{
    public List<(ControlRequest Request, byte[] Data)> Calls { get; } = [];

    public bool AcceptsOutData(in ControlRequest request) => acceptsOutData;

    public ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken)
    {
        Calls.Add((request, outData.ToArray()));
        return ValueTask.FromResult(answer(request, outData));
    }
}
