using UsbGadget.ConfigFs;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>
/// The kernel-facing operations the hosted service orders: configfs and FunctionFS. A seam, so the lifecycle ordering
/// can be checked by unit tests; <see cref="KernelGadgetBackend"/> is the real one.
/// </summary>
internal interface IGadgetBackend
{
    /// <summary>Creates the gadget (or attaches to it) with its functions in configuration order, every FunctionFS instance mounted.</summary>
    IPreparedGadget Prepare(UsbGadgetOptions options, IReadOnlyList<FunctionDefinition> functions);

    /// <summary>
    /// The root step of a least-privilege service: creates the gadget with FunctionFS mounted for <paramref name="uid"/> and
    /// <paramref name="gid"/> and its UDC attribute given to them, and leaves it in place.
    /// </summary>
    void SetUpForService(UsbGadgetOptions options, IReadOnlyList<FunctionDefinition> functions, uint uid, uint gid);

    /// <summary>The root step after the service stopped: removes what <see cref="SetUpForService"/> made; false when nothing was there.</summary>
    bool TearDownForService(UsbGadgetOptions options);

    /// <summary>Writes the descriptors to the instance's ep0, opens its endpoints and starts its ep0 loop.</summary>
    IRunningFunction StartFunction(string mountPath, FunctionFsDescriptors descriptors, FunctionFsOptions options, IControlRequestHandler handler);
}

/// <summary>A gadget in configfs with its FunctionFS instances mounted.</summary>
internal interface IPreparedGadget
{
    /// <summary>The UDC the gadget binds to.</summary>
    string UdcName { get; }

    /// <summary>Whether the gadget has the function directory <paramref name="directoryName"/> (<c>ffs.x</c>, <c>acm.y</c>).</summary>
    bool HasFunction(string directoryName);

    /// <summary>Where the FunctionFS instance <paramref name="instanceName"/> is mounted.</summary>
    string GetMountPath(string instanceName);

    /// <summary>Reads an attribute of one of the gadget's functions (<c>port_num</c>, <c>dev</c>, <c>ifname</c>).</summary>
    string ReadFunctionAttribute(string functionDirectoryName, string attribute);

    /// <summary>The UDC's <c>state</c> attribute (<c>not attached</c>, <c>default</c>, <c>addressed</c>, <c>configured</c>…), or null when it cannot be read.</summary>
    string? ReadUdcState();

    /// <summary>Writes the UDC name: the host sees the device.</summary>
    void Bind();

    /// <summary>Clears the UDC name: the host sees a disconnect.</summary>
    void Unbind();

    /// <summary>Removes what the app created, in reverse order, going on past failures.</summary>
    void Remove();
}

/// <summary>A started FunctionFS function.</summary>
internal interface IRunningFunction : IAsyncDisposable
{
    /// <summary>The current lifecycle state.</summary>
    FunctionFsState State { get; }

    /// <summary>Raised on the ep0 thread after every lifecycle transition.</summary>
    event EventHandler<FunctionFsStateChangedEventArgs>? StateChanged;

    /// <summary>Raised on the ep0 thread when the host suspends the bus.</summary>
    event EventHandler? Suspended;

    /// <summary>Raised on the ep0 thread when the host resumes the bus.</summary>
    event EventHandler? Resumed;

    /// <summary>The OUT endpoint with the given number.</summary>
    OutEndpoint GetOutEndpoint(byte number);

    /// <summary>The IN endpoint with the given number.</summary>
    InEndpoint GetInEndpoint(byte number);
}
