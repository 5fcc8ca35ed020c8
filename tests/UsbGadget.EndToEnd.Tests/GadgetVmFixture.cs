using System.Diagnostics;
using UsbGadget.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// One VM boot shared by every end-to-end test (a boot costs 10–15 s under software emulation).
/// If the VM cannot be prepared or booted, every test in the collection fails with the harness's message.
/// </summary>
public sealed class GadgetVmFixture : IAsyncLifetime
{
    private readonly IMessageSink _sink;
    private GadgetVm? _vm;

    public GadgetVmFixture(IMessageSink sink) => _sink = sink;

    public GadgetVm Vm => _vm ?? throw new InvalidOperationException("The VM fixture did not start.");

    public async Task InitializeAsync()
    {
        var options = new GadgetVmOptions
        {
            Log = line => _sink.OnMessage(new DiagnosticMessage($"[gadget-vm] {line}")),
        };
        options.RequiredHostPackages.Add("python3-usb");
        options.RequiredHostPackages.Add("usbutils");
        options.RequiredHostPackages.Add("iproute2");
        // Kernel functions on the gadget side and the host's own class drivers for them (KernelFunctionHostingTests).
        foreach (string module in KernelFunctionHostingTests.Modules)
        {
            options.ExtraModules.Add(module);
        }
        var stopwatch = Stopwatch.StartNew();
        _vm = await GadgetVm.StartAsync(options);
        _sink.OnMessage(new DiagnosticMessage(
            $"[gadget-vm] {_vm.KernelPackage} ready: preparation {_vm.PreparationTime.TotalSeconds:0.0} s, boot {_vm.BootTime.TotalSeconds:0.0} s, total {stopwatch.Elapsed.TotalSeconds:0.0} s"));
    }

    public async Task DisposeAsync()
    {
        if (_vm is not null)
        {
            await _vm.DisposeAsync();
        }
    }

    public void Log(string line) => _sink.OnMessage(new DiagnosticMessage($"[gadget-vm] {line}"));
}

[CollectionDefinition(Name)]
public sealed class GadgetVmCollection : ICollectionFixture<GadgetVmFixture>
{
    public const string Name = "GadgetVm";
}
