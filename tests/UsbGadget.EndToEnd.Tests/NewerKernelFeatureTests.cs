using System.Text.Json;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// Features Debian's 6.1 cannot run, proven on the kernels that have them with pyusb as the host (tests/vm/bos_msos_check.py),
/// and refused with one line naming the minimum version on those that do not. The gadget is
/// tests/UsbGadget.FunctionFsDemo (ConfigFs + FunctionFs layers, under the JIT: the kernel answers these requests itself).
/// <c>.ci/run</c> runs this class on every kernel of the matrix.
/// </summary>
[Trait("Category", "KernelMatrix")]
public sealed class NewerKernelFeatureTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const ushort VendorId = 0x1209;
    private const ushort ProductId = 0x0001;
    private const string LandingPage = "https://usbgadget.example/start";

    private Version Kernel => Version.Parse(Vm.KernelRelease.Split('-', '+')[0]);

    [Fact]
    public async Task WebUsb_From63On_HostReadsThePlatformCapabilityAndTheLandingPage_Before63_CreatingTheGadgetFailsNamingTheVersion()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartDemo("--webusb", LandingPage);

        if (Kernel < new Version(6, 3))
        {
            GuestCommandResult refused = await gadget.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(1, refused.ExitCode);
            string error = Assert.Single(refused.StandardError.Split('\n'), line => line.StartsWith("ERROR ", StringComparison.Ordinal));
            Assert.Contains("WebUSB was requested, but this kernel has no", error, StringComparison.Ordinal);
            Assert.Contains("Linux 6.3", error, StringComparison.Ordinal);
            return;
        }

        JsonElement host = await ReadAsHostAsync(gadget, "webusb");

        Fixture.Log($"WebUSB on {Vm.KernelRelease}: {host}");
        Assert.Equal("0201", host.GetProperty("bcdUSB").GetString()); // a high-speed device with a BOS: the gadget core raises 2.00 to 2.01
        Assert.Contains(5, host.GetProperty("capabilities").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal("0100", host.GetProperty("webusb_version").GetString());
        Assert.Equal(0x42, host.GetProperty("vendor_code").GetInt32());
        Assert.NotEqual(0, host.GetProperty("landing_page_index").GetInt32());
        Assert.Equal(3, host.GetProperty("url_descriptor_type").GetInt32());
        Assert.Equal(LandingPage, host.GetProperty("url").GetString());
    }

    [Fact]
    public async Task MicrosoftOs10_WithHeaderBcdVersion0x0100_From64On_HostReadsWinUsbAndTheInterfaceGuid_Before64_FailsNamingTheVersion()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartDemo("--ms-os", "0x0100");

        if (Kernel < new Version(6, 4))
        {
            GuestCommandResult refused = await gadget.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(1, refused.ExitCode);
            string error = Assert.Single(refused.StandardError.Split('\n'), line => line.StartsWith("ERROR ", StringComparison.Ordinal));
            Assert.Contains("EINVAL", error, StringComparison.Ordinal);
            Assert.Contains("bcdVersion 0x0100", error, StringComparison.Ordinal);
            Assert.Contains("needs Linux 6.4 or later", error, StringComparison.Ordinal);
            return;
        }

        JsonElement host = await ReadAsHostAsync(gadget, "msos");

        Fixture.Log($"MS OS 1.0 (header bcdVersion 0x0100) on {Vm.KernelRelease}: {host}");
        AssertWinUsb(host);
    }

    [Fact]
    public async Task MicrosoftOs10_WithTheDefaultHeaderBcdVersion0x0001_HostReadsWinUsbAndTheInterfaceGuid_OnEveryKernel()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartDemo("--ms-os", "0x0001");

        JsonElement host = await ReadAsHostAsync(gadget, "msos");

        Fixture.Log($"MS OS 1.0 (header bcdVersion 0x0001) on {Vm.KernelRelease}: {host}");
        AssertWinUsb(host);
    }

    /// <summary>What Windows reads: the OS string, WINUSB for interface 0, and its DeviceInterfaceGUID; the kernel writes bcdVersion 1.00 whatever the FunctionFS header said.</summary>
    private static void AssertWinUsb(JsonElement host)
    {
        Assert.Equal("MSFT100", host.GetProperty("signature").GetString());
        Assert.Equal(0xcd, host.GetProperty("vendor_code").GetInt32());
        Assert.Equal("0100", host.GetProperty("compat_bcd").GetString());
        Assert.Equal(0, host.GetProperty("compat_first_interface").GetInt32());
        Assert.Equal("WINUSB", host.GetProperty("compatible_id").GetString());
        Assert.Equal("0100", host.GetProperty("properties_bcd").GetString());
        Assert.Equal(
            "{3C4B1B0E-6A57-4F0E-9A55-2D3B7F7C9A10}",
            host.GetProperty("properties").GetProperty("DeviceInterfaceGUID").GetString(),
            ignoreCase: true);
    }

    private GuestProcess StartDemo(params string[] arguments)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.Combine(RepositoryLayout.FindRoot("UsbGadget.sln"), "tests", "UsbGadget.FunctionFsDemo", "bin", configuration, "net10.0", "UsbGadget.FunctionFsDemo.dll");
        Assert.True(File.Exists(dll), $"The FunctionFS demo is not built at {dll}: run 'dotnet build tests/UsbGadget.FunctionFsDemo -c {configuration}'.");
        return Vm.StartProcess(GuestShell.Join(["dotnet", dll, "--udc", GadgetVm.UdcName, .. arguments]));
    }

    private async Task<JsonElement> ReadAsHostAsync(GuestProcess gadget, string mode)
    {
        await gadget.WaitForOutputAsync("READY", TimeSpan.FromMinutes(2));
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(60), gadget);
        GuestCommandResult run = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", VmScript("bos_msos_check.py"), $"{VendorId:x4}", $"{ProductId:x4}", mode), TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, $"The host-side requests failed.{Environment.NewLine}{run.Describe()}{Environment.NewLine}Gadget:{Environment.NewLine}{gadget.DescribeOutput()}");
        return JsonDocument.Parse(run.StandardOutput).RootElement.Clone();
    }
}
