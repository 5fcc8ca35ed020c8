using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Cli;

/// <summary>
/// usbgadget doctor, list and cleanup on the real kernel: a healthy guest, the three bad environments the issue names
/// (no configfs, a UDC held by another gadget, a missing module) each with its fix in one line, a running UsbGadget app,
/// and the gadget of an app killed with SIGKILL, which cleanup removes while it leaves a foreign gadget alone.
/// </summary>
public sealed class UsbGadgetToolTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const string ConfigFs = "/sys/kernel/config";

    [Fact]
    public async Task Doctor_OnAHealthyGuest_Exits0_AndFindsTheModulesConfigFsAndAFreeDummyUdc()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);

        GuestCommandResult doctor = await UsbGadgetTool.RunAsync(Vm, "doctor");

        Assert.True(doctor.ExitCode == 0, doctor.Describe());
        string text = doctor.StandardOutput;
        Assert.Contains("ok    user         root", text, StringComparison.Ordinal);
        Assert.Contains($"ok    kernel       {Vm.KernelRelease}: FunctionFS v2", text, StringComparison.Ordinal);
        Assert.Contains("ok    configfs     mounted", text, StringComparison.Ordinal);
        Assert.Contains("ok    module       libcomposite", text, StringComparison.Ordinal);
        Assert.Contains("ok    module       usb_f_fs", text, StringComparison.Ordinal);
        Assert.Contains("ok    udc          dummy_udc.0 (driver dummy_udc, up to high-speed): free", text, StringComparison.Ordinal);
        Assert.Contains("ok    budget       dummy_udc.0: dummy_udc, 24 endpoints: 12 IN (3 of them interrupt only) and 12 OUT", text, StringComparison.Ordinal);
        Assert.Contains("ready: nothing stands in the way of a gadget", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFsNotMounted_DoctorExits1_AndListSaysHowToMountIt_InOneLine()
    {
        await EnsureAsync($"umount {ConfigFs}");
        try
        {
            GuestCommandResult doctor = await UsbGadgetTool.RunAsync(Vm, "doctor");
            GuestCommandResult list = await UsbGadgetTool.RunAsync(Vm, "list");

            Assert.True(doctor.ExitCode == 1, doctor.Describe());
            Assert.Equal($"sudo mount -t configfs none {ConfigFs}", UsbGadgetTool.FixOf(doctor, $"FAIL  configfs     not mounted at {ConfigFs}"));
            Assert.True(list.ExitCode == 1, list.Describe());
            Assert.Equal(
                $"usbgadget list: configfs is not mounted at {ConfigFs}; fix: sudo mount -t configfs none {ConfigFs}\n",
                list.StandardError);
            UsbGadgetTool.AssertNoStackTrace(doctor);
            UsbGadgetTool.AssertNoStackTrace(list);
        }
        finally
        {
            await EnsureAsync($"grep -q ' {ConfigFs} configfs ' /proc/mounts || mount -t configfs configfs {ConfigFs}");
        }
    }

    [Fact]
    public async Task UdcHeldByAScriptsGadget_DoctorExits1_WithTheUnbindCommand_AndListShowsThatGadget()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess other = await KernelGadget.StartAsync(Vm, "other", 0x000b, "Loopback", german: false);
        await Vm.WaitForDeviceAsync(KernelGadget.VendorId, 0x000b, gadget: other);

        GuestCommandResult doctor = await UsbGadgetTool.RunAsync(Vm, "doctor");
        GuestCommandResult list = await UsbGadgetTool.RunAsync(Vm, "list");

        Assert.True(doctor.ExitCode == 1, doctor.Describe());
        string unbind = $"echo '' > {ConfigFs}/usb_gadget/other/UDC";
        Assert.Equal($"to free it, unbind that gadget: {unbind}", UsbGadgetTool.FixOf(doctor, "dummy_udc.0 (driver dummy_udc, up to high-speed): held by gadget 'other'"));
        Assert.Equal(unbind, UsbGadgetTool.FixOf(doctor, "FAIL  udc          no free UDC: a new gadget cannot bind (dummy_udc.0 busy)"));
        Assert.True(list.ExitCode == 0, list.Describe());
        Assert.Equal(
            [
                "other  1209:000b  bound to dummy_udc.0 (configured)  no state file (made by a script, another tool, or an app in Attach mode)",
                "  function  Loopback.0  kernel function",
                "  config    c.1: Loopback.0",
            ],
            list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await KernelGadget.StopAndAssertRemovedAsync(other);
    }

    [Fact]
    public async Task UsbFfsModuleMissing_DoctorExits1_SayingToLoadIt()
    {
        await EnsureAsync("\"$USBGADGET_VM_BUSYBOX\" rmmod usb_f_fs && ! grep -q '^usb_f_fs ' /proc/modules");
        try
        {
            GuestCommandResult doctor = await UsbGadgetTool.RunAsync(Vm, "doctor");

            Assert.True(doctor.ExitCode == 1, doctor.Describe());
            Assert.Equal(
                "sudo modprobe usb_f_fs (and add 'usb_f_fs' to /etc/modules to load it at every boot)",
                UsbGadgetTool.FixOf(doctor, "FAIL  module       usb_f_fs (FunctionFS, which every UsbGadget function runs on) is not loaded"));
            Assert.Contains("1 problem to fix before a gadget can run", doctor.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            // The guest has no /lib/modules for its kernel: load the module from the harness's unpacked copy, by its path
            // (a find over the 9p share can outlast the timeout under load), decompressing it for newer kernels' .ko.xz.
            string module = $"{Vm.GuestModulesDirectory}/kernel/drivers/usb/gadget/function/usb_f_fs.ko";
            await EnsureAsync(
                $"f={GuestShell.Quote(module)}; [ -e \"$f\" ] || {{ xz -dc \"$f.xz\" > /run/usb_f_fs.ko && f=/run/usb_f_fs.ko; }}; "
                + "\"$USBGADGET_VM_BUSYBOX\" insmod \"$f\" && grep -q '^usb_f_fs ' /proc/modules",
                TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public async Task ARunningApp_IsListedWithItsProcessAndEndpoints_DoctorIsReady_AndCleanupLeavesItAlone()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess app = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit);
        await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), app);

        GuestCommandResult list = await UsbGadgetTool.RunAsync(Vm, "list");
        GuestCommandResult doctor = await UsbGadgetTool.RunAsync(Vm, "doctor");
        GuestCommandResult cleanup = await UsbGadgetTool.RunAsync(Vm, "cleanup");

        string[] lines = list.EnsureSuccess().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^bulkloopback  1d6b:0105  bound to dummy_udc\.0 \(configured\)  UsbGadget process \d+ \(dotnet\), running$", lines[0]);
        Assert.Equal("  function  ffs.bulkloopback-loopback  FunctionFS at /run/usbgadget/ffs/bulkloopback-loopback, descriptors written, 2 endpoints", lines[1]);
        Assert.True(doctor.ExitCode == 0, doctor.Describe());
        Assert.Contains("dummy_udc.0 (driver dummy_udc, up to high-speed): serving gadget 'bulkloopback' of UsbGadget process", doctor.StandardOutput, StringComparison.Ordinal);
        Assert.True(cleanup.ExitCode == 0, cleanup.Describe());
        Assert.Matches(@"left alone: 'bulkloopback' \(UsbGadget process \d+ \(dotnet\), running\)", cleanup.StandardOutput);
        Assert.Contains("nothing to clean up", cleanup.StandardOutput, StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, app);
    }

    [Fact]
    public async Task AKilledApp_IsListedAsStale_DoctorSaysCleanup_AndCleanupRemovesItButNotAForeignGadget()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess app = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit);
        await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), app);
        await app.SignalAsync("KILL");
        await app.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await EnsureAsync($"mkdir {ConfigFs}/usb_gadget/foreign");

        GuestCommandResult list = await UsbGadgetTool.RunAsync(Vm, "list");
        GuestCommandResult doctor = await UsbGadgetTool.RunAsync(Vm, "doctor");
        GuestCommandResult dryRun = await UsbGadgetTool.RunAsync(Vm, "cleanup", "--dry-run");
        GuestCommandResult cleanup = await UsbGadgetTool.RunAsync(Vm, "cleanup");
        GuestCommandResult after = await Vm.RunAsync($"ls {ConfigFs}/usb_gadget; grep functionfs /proc/mounts; find /run/usbgadget -name '*.pid' -o -name loopback");
        GuestCommandResult doctorAfter = await UsbGadgetTool.RunAsync(Vm, "doctor");

        Assert.Matches(@"bulkloopback  1d6b:0105  unbound  stale: UsbGadget process \d+ is gone", list.EnsureSuccess().StandardOutput);
        Assert.Contains("  function  ffs.bulkloopback-loopback  FunctionFS at /run/usbgadget/ffs/bulkloopback-loopback", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("foreign  ", list.StandardOutput, StringComparison.Ordinal);
        Assert.True(doctor.ExitCode == 1, doctor.Describe());
        Assert.Equal("sudo usbgadget cleanup", UsbGadgetTool.FixOf(doctor, "'bulkloopback' is left over from UsbGadget process"));
        Assert.Matches(@"would remove 'bulkloopback' of UsbGadget process \d+, which is gone \(/sys/kernel/config/usb_gadget/bulkloopback, /run/usbgadget/ffs/bulkloopback-loopback\)", dryRun.StandardOutput);
        Assert.True(cleanup.ExitCode == 0, cleanup.Describe());
        Assert.Matches(@"removed 'bulkloopback' of UsbGadget process \d+, which is gone", cleanup.StandardOutput);
        Assert.Contains("left alone: 'foreign' (no state file", cleanup.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("foreign", after.StandardOutput.Trim()); // no bulkloopback, no functionfs mount, no state file or mount point
        Assert.True(doctorAfter.ExitCode == 0, doctorAfter.Describe());
    }

    private async Task EnsureAsync(string command, TimeSpan? timeout = null) => (await Vm.RunAsync(command, timeout ?? TimeSpan.FromSeconds(30))).EnsureSuccess();
}
