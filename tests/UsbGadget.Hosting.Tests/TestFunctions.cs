using UsbGadget.Descriptors;
using UsbGadget.Hosting;

namespace UsbGadget.Hosting.Tests;

/// <summary>A minimal valid function whose RunAsync records how often and how it ran.</summary>
internal class RecordingFunction(string name = "fn") : IGadgetFunction
{
    private int _runs;
    private int _cancelledRuns;

    public string Name { get; } = name;

    public int Runs => Volatile.Read(ref _runs);

    public int CancelledRuns => Volatile.Read(ref _cancelledRuns);

    public TaskCompletionSource Started { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public virtual FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 2)],
            },
        ],
    };

    public virtual async Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runs);
        TaskCompletionSource started = Started;
        Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        started.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelledRuns);
            throw;
        }
    }
}

/// <summary>A function that ignores cancellation: a user bug the framework must survive at stop.</summary>
internal sealed class StubbornFunction : RecordingFunction
{
    public override Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
}

/// <summary>A function whose endpoint numbers collide, which the descriptor validator must reject.</summary>
internal sealed class MisdescribedFunction : RecordingFunction
{
    public override FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.Out, 1)],
            },
        ],
    };
}

/// <summary>A function whose first <paramref name="failures"/> runs throw; later runs wait for cancellation.</summary>
internal sealed class FailingFunction(int failures) : RecordingFunction
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public override Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        int call = Interlocked.Increment(ref _calls);
        return call <= failures ? throw new InvalidOperationException($"broken run {call}") : base.RunAsync(context, cancellationToken);
    }
}

/// <summary>A function that records the suspend and resume events its context raises.</summary>
internal sealed class SuspendWatchingFunction : RecordingFunction
{
    private readonly List<string> _events = [];

    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public GadgetFunctionContext? Context { get; private set; }

    public override Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        Context = context;
        context.Suspended += (_, _) => Record($"suspended {context.IsSuspended}");
        context.Resumed += (_, _) => Record($"resumed {context.IsSuspended}");
        return base.RunAsync(context, cancellationToken);
    }

    private void Record(string e)
    {
        lock (_events)
        {
            _events.Add(e);
        }
    }
}
