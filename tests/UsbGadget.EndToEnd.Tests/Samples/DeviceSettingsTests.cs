using System.Text.RegularExpressions;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// The device-level settings reach the host's view of the device: ids written as hex in environment variables, the device
/// class triple and the configuration string, read back with lsusb from the BulkLoopback sample.
/// </summary>
public sealed class DeviceSettingsTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task IdsDeviceClassAndConfigurationString_FromEnvironmentVariables_AreWhatTheHostSees()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit, stdinCommand: null,
            ("UsbGadget__ProductId", "0x0115"), ("UsbGadget__DeviceVersion", "0x0203"),
            ("UsbGadget__DeviceClass", "0xff"), ("UsbGadget__DeviceSubClass", "0x00"), ("UsbGadget__DeviceProtocol", "0"),
            ("UsbGadget__ConfigurationName", "Echo configuration"));

        GuestUsbDevice device = await Vm.WaitForDeviceAsync(0x1d6b, 0x0115, TimeSpan.FromSeconds(90), gadget);
        string lsusb = (await Vm.RunAsync($"lsusb -v -d {device.LsusbId}")).EnsureSuccess().StandardOutput;

        Assert.Matches(@"bDeviceClass\s+255\b", lsusb);
        Assert.Matches(@"bDeviceSubClass\s+0\b", lsusb);
        Assert.Matches(@"bDeviceProtocol\s+0\b", lsusb);
        Assert.Matches(@"bcdDevice\s+2\.03\b", lsusb);
        Assert.True(Regex.IsMatch(lsusb, @"iConfiguration\s+\d+ Echo configuration"), lsusb);
        Assert.Contains("Gadget 'bulkloopback' is 1d6b:0115", gadget.StandardOutput, StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
