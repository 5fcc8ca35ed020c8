using System.Diagnostics;
using UsbGadget.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace UsbGadget.EndToEnd.Tests.Arm64;

/// <summary>
/// One boot of the arm64 VM for the arm64 tests: Debian's arm64 kernel of <see cref="KernelSeries"/> on an emulated
/// Cortex-A72 (a Raspberry Pi 4's core) with 512 MiB (a Raspberry Pi Zero 2 W's memory), under software emulation.
/// </summary>
public sealed class Arm64VmFixture : IAsyncLifetime
{
    /// <summary>The kernel series booted: Raspberry Pi OS's current long-term series. Fixed, whatever USBGADGET_VM_KERNEL says for amd64.</summary>
    public const string KernelSeries = "6.18";

    /// <summary>Guest memory, as small as a Raspberry Pi Zero 2 W.</summary>
    public const int MemoryMiB = 512;

    private readonly IMessageSink _sink;
    private GadgetVm? _vm;

    public Arm64VmFixture(IMessageSink sink) => _sink = sink;

    public GadgetVm Vm => _vm ?? throw new InvalidOperationException("The arm64 VM fixture did not start.");

    public async Task InitializeAsync()
    {
        var options = new GadgetVmOptions
        {
            Architecture = GadgetVmArchitecture.Arm64,
            Kernel = KernelSeries,
            MemoryMiB = MemoryMiB,
            Log = Log,
        };
        var stopwatch = Stopwatch.StartNew();
        _vm = await GadgetVm.StartAsync(options);
        Log($"{_vm.KernelPackage} ready: preparation {_vm.PreparationTime.TotalSeconds:0.0} s, boot {_vm.BootTime.TotalSeconds:0.0} s, total {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    public async Task DisposeAsync()
    {
        if (_vm is not null)
        {
            await _vm.DisposeAsync();
        }
    }

    public void Log(string line) => _sink.OnMessage(new DiagnosticMessage($"[gadget-vm arm64] {line}"));
}

/// <summary>
/// The arm64 VM's tests. They run after the other collections, not beside them: two emulated machines at once would
/// halve each one's share of a CI runner, and the figures measured here would say more about the neighbour than the gadget.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Arm64VmCollection : ICollectionFixture<Arm64VmFixture>
{
    public const string Name = "GadgetVm arm64";
}
