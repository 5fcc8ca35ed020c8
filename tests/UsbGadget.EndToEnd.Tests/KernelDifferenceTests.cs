using System.Text;
using System.Text.Json;
using UsbGadget.Descriptors;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// What differs between the kernels the matrix boots (6.1, 6.12, 6.18; docs/kernels.md), each checked against the
/// kernel actually running: the expectation follows from <see cref="GadgetVm.KernelRelease"/>, so the same test pins
/// the old behaviour on 6.1 and the new one on 6.12 and 6.18. <c>.ci/run</c> runs this class on every kernel of the matrix.
/// </summary>
[Trait("Category", "KernelMatrix")]
public sealed class KernelDifferenceTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private static readonly Guid s_interfaceGuid = new("3c4b1b0e-6a57-4f0e-9a55-2d3b7f7c9a10");

    private Version Kernel => ParseRelease(Vm.KernelRelease);

    [Fact]
    public async Task MicrosoftOsHeaderBcdVersion_0x0001_IsAcceptedByEveryKernel_WithAWarningFrom64On_0x0100_OnlyFrom64On()
    {
        string directory = CasesDirectory("kernel-msos-bcd");
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.Full | UsbSpeeds.High,
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(0, s_interfaceGuid)],
        };
        (string, ushort)[] cases = [("legacy", FunctionFsWriterOptions.MicrosoftOsBcdVersionLegacy), ("spec", FunctionFsWriterOptions.MicrosoftOsBcdVersion1_0)];

        Dictionary<string, string> answers = await WriteDescriptorsAsync(
            directory, cases.Select(c => (c.Item1, FunctionFsDescriptors.Create(description, new FunctionFsWriterOptions { MicrosoftOsBcdVersion = c.Item2 }))));

        Fixture.Log($"MS OS header bcdVersion on {Vm.KernelRelease}: 0x0001 {answers["legacy"]}, 0x0100 {answers["spec"]}");
        Assert.Equal("ok", answers["legacy"]);
        Assert.Equal(Kernel >= new Version(6, 4) ? "ok" : "EINVAL (22)", answers["spec"]);

        // 6.4+ names the fix in the kernel log when it meets 0x0001; 6.1 has no such message.
        string log = await Vm.GetKernelLogAsync();
        Assert.Equal(Kernel >= new Version(6, 4), log.Contains("bcdVersion must be 0x0100", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConfigFsWebUsbGroup_ExistsFrom63On_AndNotBefore()
    {
        const string Gadget = "/sys/kernel/config/usb_gadget/kernel-matrix";
        GuestCommandResult run = await Vm.RunAsync($"mkdir {Gadget} && ls {Gadget}; status=$?; rmdir {Gadget}; exit $status");

        string[] entries = run.EnsureSuccess().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Fixture.Log($"configfs gadget groups on {Vm.KernelRelease}: {string.Join(' ', entries)}");
        Assert.Contains("os_desc", entries);
        Assert.Equal(Kernel >= new Version(6, 3), entries.Contains("webusb"));
    }

    [Fact]
    public async Task KernelRelease_IsTheChosenSeries()
    {
        string? chosen = Environment.GetEnvironmentVariable("USBGADGET_VM_KERNEL");
        GuestCommandResult uname = await Vm.RunAsync("uname -r");

        Assert.Equal(Vm.KernelRelease, uname.EnsureSuccess().StandardOutput.Trim());
        if (chosen is not null && Version.TryParse(chosen, out Version? series))
        {
            Assert.Equal((series.Major, series.Minor), (Kernel.Major, Kernel.Minor));
        }
    }

    /// <summary>"6.1.0-57-amd64" → 6.1.0; "6.12.118+deb12-amd64" → 6.12.118.</summary>
    private static Version ParseRelease(string release) => Version.Parse(release.Split('-', '+')[0]);

    /// <summary>Writes each case's blobs to a fresh FunctionFS ep0 in the guest (tests/vm/ffs_descriptor_check.py) and returns the kernel's answer to the descriptors.</summary>
    private async Task<Dictionary<string, string>> WriteDescriptorsAsync(string directory, IEnumerable<(string Name, FunctionFsDescriptors Blobs)> cases)
    {
        var manifest = new StringBuilder();
        foreach ((string name, FunctionFsDescriptors blobs) in cases)
        {
            await File.WriteAllBytesAsync(Path.Combine(directory, name + ".desc"), blobs.DescriptorsBlob.ToArray());
            await File.WriteAllBytesAsync(Path.Combine(directory, name + ".strings"), blobs.StringsBlob.ToArray());
            manifest.Append(name).Append("\t0\n");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "manifest.tsv"), manifest.ToString());
        GuestCommandResult run = await Vm.RunAsync(GuestShell.Join("/usr/bin/python3", VmScript("ffs_descriptor_check.py"), directory), TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, $"The guest check itself failed.{Environment.NewLine}{run.Describe()}");
        return run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(r => r.GetProperty("case").GetString()!, r => r.GetProperty("descriptors").GetString()!);
    }

    /// <summary>A directory in the test's build output: the guest sees the host root at the same path (but not the host's /tmp).</summary>
    private static string CasesDirectory(string name)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, name);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        return directory;
    }
}
