namespace UsbGadget.FunctionFs;

/// <summary>
/// An endpoint's own thread for resuming its copying reader: the completion thread hands it the read's result, and the
/// caller's code after <c>await</c> runs here instead of on the AIO completion thread.
/// </summary>
/// <remarks>
/// <para>Why not the thread pool: a reader that keeps up with the host waits for every transfer, so it is resumed once
/// per transfer, and a pool worker spins before it sleeps again. Measured, that spinning cost more CPU than the copy and
/// the wake together (about 90 µs per hand-over natively, more under emulation); this thread sleeps without spinning, so
/// a hand-over costs one wake.</para>
/// <para>Only an idle thread is handed a result: one still running the caller's code (which may block, even on its own
/// next read) is never waited for, and the caller is resumed on the thread pool instead.</para>
/// </remarks>
internal sealed class ResumeThread : IThreadPoolWorkItem
{
    private readonly AsyncHandoff<int> _handoff;
    private readonly object _gate = new();
    private bool _idle;
    private bool _pending;
    private bool _stopped;
    private int _result;
    private int _poolResult;

    /// <summary>Starts the thread, which resumes the waiter of <paramref name="handoff"/>.</summary>
    public ResumeThread(AsyncHandoff<int> handoff, string name)
    {
        _handoff = handoff;
        var thread = new Thread(static state => ((ResumeThread)state!).Run()) { IsBackground = true, Name = name };
        using (ExecutionContext.SuppressFlow())
        {
            thread.Start(this);
        }
    }

    /// <summary>
    /// Resumes the claimed waiter with <paramref name="result"/> on this thread if it is idle, else on the thread pool
    /// (as this work item: nothing is allocated). The caller holds no lock.
    /// </summary>
    public void Resume(int result)
    {
        lock (_gate)
        {
            if (_idle && !_pending && !_stopped)
            {
                _result = result;
                _pending = true;
                Monitor.Pulse(_gate);
                return;
            }
        }

        // One waiter at a time: the next can be claimed only after this one's continuation ran, which reads this first.
        _poolResult = result;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => _handoff.Complete(_poolResult, runContinuationInline: true);

    /// <summary>Lets the thread end once it is idle.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            int result;
            lock (_gate)
            {
                _idle = true;
                while (!_pending && !_stopped)
                {
                    Monitor.Wait(_gate);
                }

                _idle = false;
                if (!_pending)
                {
                    return;
                }

                _pending = false;
                result = _result;
            }

            _handoff.Complete(result, runContinuationInline: true);
        }
    }
}
