using System.Runtime.InteropServices;
using UsbGadget.Aio;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

/// <summary>
/// Records every submitted transfer and lets the test complete it, like the kernel would. CancelAll completes a file's
/// pending transfers with -ECONNRESET, as io_cancel on FunctionFS does.
/// </summary>
internal sealed class FakeEndpointIo : IEndpointIo
{
    private readonly object _gate = new();

    public List<Submission> Submissions { get; } = [];

    public IReadOnlyList<Submission> Pending
    {
        get
        {
            lock (_gate)
            {
                return Submissions.Where(s => !s.Completion.Task.IsCompleted).ToList();
            }
        }
    }

    /// <summary>
    /// Completions arrive on the test's thread, never the engine's: continuations hop as they would elsewhere. With
    /// <see cref="ActsAsCompletionThread"/>, the thread running a completion counts as the engine's while it runs it.
    /// </summary>
    public bool IsCompletionThread => ActsAsCompletionThread && t_completing;

    /// <summary>Whether the thread completing a transfer plays the engine's completion thread (off by default).</summary>
    public bool ActsAsCompletionThread { get; set; }

    [ThreadStatic]
    private static bool t_completing;

    public int ExclusiveRuns { get; private set; }

    public TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state)
    {
        ExclusiveRuns++;
        return action(state);
    }

    public int Reserved { get; private set; }

    public int Unreserved { get; private set; }

    public IEndpointRequest Reserve(IAioCompletionHandler handler)
    {
        Reserved++;
        return new Request(this, handler);
    }

    public int CancelAllCalls { get; private set; }

    public void CancelAll(SafeHandle file)
    {
        CancelAllCalls++;
        foreach (Submission submission in Pending.Where(s => ReferenceEquals(s.File, file)))
        {
            submission.Complete(-(long)Errno.ECONNRESET);
        }
    }

    /// <summary>One slot's reservation: records its starts, and refuses one while the last is pending, as the engine does.</summary>
    private sealed class Request(FakeEndpointIo io, IAioCompletionHandler handler) : IEndpointRequest
    {
        private Submission? _last;
        private bool _disposed;

        public void StartRead(SafeHandle file, AioBuffer buffer, int length) => Start(file, isRead: true, buffer, length);

        public void StartWrite(SafeHandle file, AioBuffer buffer, int length) => Start(file, isRead: false, buffer, length);

        public void Dispose()
        {
            Assert.False(_last is { Completion.Task.IsCompleted: false }, "A slot gave back its request while a transfer was in flight.");
            if (!_disposed)
            {
                _disposed = true;
                io.Unreserved++;
            }
        }

        private void Start(SafeHandle file, bool isRead, AioBuffer buffer, int length)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_last is { Completion.Task.IsCompleted: false })
            {
                throw new InvalidOperationException("This request is already in flight.");
            }

            _last = io.Add(file, isRead, buffer, length, handler);
        }
    }

    private Submission Add(SafeHandle file, bool isRead, AioBuffer buffer, int length, IAioCompletionHandler handler)
    {
        var submission = new Submission(file, isRead, buffer, length, buffer.Span[..length].ToArray(), handler);
        lock (_gate)
        {
            Submissions.Add(submission);
        }

        return submission;
    }

    internal sealed record Submission(SafeHandle File, bool IsRead, AioBuffer Buffer, int Length, byte[] DataAtSubmit, IAioCompletionHandler Handler)
    {
        public TaskCompletionSource<AioResult> Completion { get; } = new();

        /// <summary>Completes the transfer on the caller's thread, as the engine's completion thread would; once only.</summary>
        public void Complete(long result)
        {
            var aioResult = new AioResult(result, 0, cancelRequested: false);
            if (Completion.TrySetResult(aioResult))
            {
                bool outer = t_completing;
                t_completing = true;
                try
                {
                    Handler.OnAioCompleted(aioResult);
                }
                finally
                {
                    t_completing = outer;
                }
            }
        }

        public void CompleteRead(byte[] data)
        {
            data.CopyTo(Buffer.Span);
            Complete(data.Length);
        }
    }
}

internal static class TestEndpoints
{
    /// <summary>One vendor interface with bulk OUT 1 and bulk IN 1, listed by the Descriptors layer.</summary>
    public static IReadOnlyList<FunctionFsEndpoint> BulkPair()
    {
        var description = new FunctionDescription
        {
            Interfaces =
            [
                new InterfaceDescription
                {
                    Number = 0,
                    Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 1)],
                },
            ],
        };
        return FunctionFsDescriptors.Create(description).Endpoints;
    }

    public static UnixFileHandle NoFile() => new(-1, ownsHandle: false);
}

internal static class Eventually
{
    /// <summary>Completions arrive on another thread (as from the AIO engine): wait for their effect.</summary>
    public static async Task True(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 5 s.");
            await Task.Delay(5);
        }
    }
}
