using UsbGadget.ConfigFs;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;
using UsbGadget.Linux;

namespace UsbGadget.Hosting.Tests;

/// <summary>Records the order of kernel-facing steps and lets a test raise ep0 state changes; functions are keyed by instance name.</summary>
internal sealed class FakeBackend : IGadgetBackend, IPreparedGadget
{
    private readonly List<string> _steps = [];

    public IReadOnlyList<string> Steps
    {
        get
        {
            lock (_steps)
            {
                return [.. _steps];
            }
        }
    }

    public Dictionary<string, FakeFunction> Functions { get; } = [];

    public Exception? BindFailure { get; set; }

    public string UdcName => "dummy_udc.0";

    private void Record(string step)
    {
        lock (_steps)
        {
            _steps.Add(step);
        }
    }

    /// <summary>Attribute values <see cref="ReadFunctionAttribute"/> answers, by "directory/attribute".</summary>
    public Dictionary<string, string> Attributes { get; } = [];

    public IPreparedGadget Prepare(UsbGadgetOptions options, IReadOnlyList<FunctionDefinition> functions)
    {
        Record($"prepare {options.Name} [{string.Join(',', functions.Select(f => f.IsFunctionFs ? f.Instance : f.DirectoryName))}]");
        PreparedFunctions = functions;
        return this;
    }

    public IReadOnlyList<FunctionDefinition> PreparedFunctions { get; private set; } = [];

    public string ReadFunctionAttribute(string functionDirectoryName, string attribute) =>
        Attributes.TryGetValue($"{functionDirectoryName}/{attribute}", out string? value)
            ? value
            : throw new ConfigFsException(ConfigFsError.AttributeNotSupported, $"no {functionDirectoryName}/{attribute} in the fake", Linux.Errno.ENOENT);

    public IRunningFunction StartFunction(string mountPath, FunctionFsDescriptors descriptors, FunctionFsOptions options, IControlRequestHandler handler)
    {
        Record($"start {options.Name} at {mountPath}");
        var function = new FakeFunction(options.Name, Record);
        Functions[options.Name] = function;
        return function;
    }

    public string GetMountPath(string instanceName) => "/run/usbgadget/ffs/" + instanceName;

    public void Bind()
    {
        Record("bind");
        if (BindFailure is not null)
        {
            throw BindFailure;
        }
    }

    public void Unbind() => Record("unbind");

    public void Remove() => Record("remove");

    internal sealed class FakeFunction(string name, Action<string> record) : IRunningFunction
    {
        public FunctionFsState State { get; private set; } = FunctionFsState.DescriptorsWritten;

        public event EventHandler<FunctionFsStateChangedEventArgs>? StateChanged;

        public event EventHandler? Suspended;

        public event EventHandler? Resumed;

        public void Suspend() => Suspended?.Invoke(this, EventArgs.Empty);

        public void Resume() => Resumed?.Invoke(this, EventArgs.Empty);

        public void MoveTo(FunctionFsState state)
        {
            FunctionFsState from = State;
            State = state;
            StateChanged?.Invoke(this, new FunctionFsStateChangedEventArgs(from, state));
        }

        public OutEndpoint GetOutEndpoint(byte number) => throw new NotSupportedException();

        public InEndpoint GetInEndpoint(byte number) => throw new NotSupportedException();

        public ValueTask DisposeAsync()
        {
            record($"close {name}");
            return ValueTask.CompletedTask;
        }
    }
}
