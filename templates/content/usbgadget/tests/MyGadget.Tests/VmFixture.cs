using System.Reflection;
using UsbGadget.Testing;

namespace MyGadget.Tests;

/// <summary>
/// One virtual machine for all the tests: Debian's own kernel under QEMU with dummy_hcd, a USB controller that has a
/// device side (where the gadget runs) and a host side (where lsusb and pyusb talk to it). The first run installs QEMU
/// and downloads the kernel (as root; otherwise it says which command to run); later boots take 10–40 s.
/// </summary>
public sealed class VmFixture : IAsyncLifetime
{
    private GadgetVm? _vm;

    public GadgetVm Vm => _vm ?? throw new InvalidOperationException("The VM did not start; see the first failing test.");

    /// <summary>The gadget's build output; the VM sees this machine's files at the same paths.</summary>
    public static string GadgetAssembly { get; } = typeof(VmFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "GadgetAssembly").Value!;

    public async Task InitializeAsync()
    {
        if (GadgetAssembly.StartsWith("/tmp/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Move the project out of /tmp: the VM mounts its own /tmp and cannot see {GadgetAssembly}.");
        }

        // Software emulation boots in 10–40 s, but on a machine busy with other builds and VMs (CI) it takes minutes.
        var options = new GadgetVmOptions { BootTimeout = TimeSpan.FromMinutes(10) };
        options.RequiredHostPackages.Add("python3-usb"); // pyusb, the host-side program of the test
        options.RequiredHostPackages.Add("usbutils");    // lsusb
        _vm = await GadgetVm.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (_vm is not null)
        {
            await _vm.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class VmCollection : ICollectionFixture<VmFixture>
{
    public const string Name = "vm";
}
