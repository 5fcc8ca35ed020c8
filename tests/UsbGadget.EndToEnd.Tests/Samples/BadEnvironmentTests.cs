using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// A gadget started with wrong settings or in an environment that cannot host it stops at once: an exit code, a message
/// that names the problem and how to fix it, no stack trace, and the guest exactly as it was before the start (no configfs
/// gadget, no FunctionFS mount, no state file, no mount-point directory). The BulkLoopback sample (NativeAOT) on the real
/// kernel; each test puts the guest back the way it found it, whatever happens.
/// </summary>
public sealed class BadEnvironmentTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const string DummyUdcDriver = "/sys/bus/platform/drivers/dummy_udc";
    private const string ConfigFs = "/sys/kernel/config";
    // The instance name is derived from the gadget and function names (bulkloopback, loopback).
    private const string MountPoint = "/run/usbgadget/ffs/bulkloopback-loopback";

    // A copy of the published sample in the guest's own tmpfs, world-readable: the tests must not assume that other users
    // can traverse the directory the repository sits in (Debian creates home directories with mode 0700).
    private const string Copy = "/tmp/usbgadget-bad-environment";

    [Fact]
    public async Task WrongSettings_Exit2_WithOneLinePerWrongSetting()
    {
        GuestCommandResult run = await RunSampleAsync(
            ("UsbGadget__VendorId", "acme"), ("UsbGadget__Udc", "a/b"), ("UsbGadget__Endpoints__OutQueueDepth", "lots"), ("UsbGadget__Endpoints__InTransferSize", "1000"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            [
                "Invalid configuration; fix these settings (appsettings.json, UsbGadget__* environment variables or --UsbGadget:* arguments):",
                "  UsbGadget:Endpoints:OutQueueDepth = 'lots' is not a whole number: write it in decimal digits, such as 8.",
                "  UsbGadget:VendorId = 'acme' is not a 16-bit number: write it in hex, such as 0x1d6b.",
                "  UsbGadget:Udc = 'a/b' is not a UDC name: use a name from /sys/class/udc, such as 'fe980000.usb', or leave it empty to use the only one.",
                "  UsbGadget:Endpoints:InTransferSize = 1000 must be a multiple of 1024 between 1024 and 1048576 (16384 is a good choice).",
            ],
            run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task NoUdc_Exit1_SayingHowToPutThePortInDeviceMode()
    {
        // Unbinding the platform device removes dummy_udc.0 from /sys/class/udc and keeps dummy_hcd loaded with its parameters.
        await EnsureAsync($"echo dummy_udc.0 > {DummyUdcDriver}/unbind && [ -z \"$(ls /sys/class/udc)\" ]");
        try
        {
            GuestCommandResult run = await RunSampleAsync();

            AssertStartFailed(run, "No USB device controller (UDC) in /sys/class/udc.", "dtoverlay=dwc2", "peripheral mode", "modprobe dummy_hcd");
        }
        finally
        {
            await EnsureAsync($"echo dummy_udc.0 > {DummyUdcDriver}/bind && [ -e /sys/class/udc/dummy_udc.0 ]");
        }
    }

    [Fact]
    public async Task AUdcThatDoesNotExist_Exit1_ListingThePresentOnesAndTheSetting()
    {
        GuestCommandResult run = await RunSampleAsync(("UsbGadget__Udc", "musb-hdrc.0"));

        AssertStartFailed(run,
            "The USB device controller 'musb-hdrc.0' does not exist in /sys/class/udc; present: dummy_udc.0.",
            "Set the UsbGadget:Udc setting");
    }

    [Fact]
    public async Task UdcBoundByAnotherGadget_Exit1_NamingThatGadgetAndHowToUnbindIt()
    {
        await using GuestProcess other = await KernelGadget.StartAsync(Vm, "other", 0x000a, "Loopback", german: false);
        try
        {
            GuestCommandResult run = await RunSampleAsync();

            AssertStartFailed(run,
                "UDC 'dummy_udc.0' is busy, bound by gadget 'other'.",
                "Unbind that gadget with \"echo '' > /sys/kernel/config/usb_gadget/other/UDC\"");
        }
        finally
        {
            await KernelGadget.StopAndAssertRemovedAsync(other);
        }
    }

    [Fact]
    public async Task NotRoot_Exit1_SayingToRunAsRoot()
    {
        string program = await CopySampleAsync();

        GuestCommandResult run = await RunAsync(() => StartCopy($"{NotRoot} {program}"));

        AssertStartFailed(run, "Creating a USB gadget needs root", "effective user id 65534", "Run as root");
    }

    [Fact]
    public async Task SettingsFileThisUserCannotRead_Exit2_InOneLine()
    {
        string program = await CopySampleAsync();
        await EnsureAsync($"chmod 600 {Copy}/appsettings.json");

        GuestCommandResult run = await RunAsync(() => StartCopy($"{NotRoot} {program}"));

        Assert.True(run.ExitCode == 2, $"exit code {run.ExitCode}, not 2.{Environment.NewLine}{run.Describe()}");
        string line = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Cannot read the settings in {Copy}/: ", line, StringComparison.Ordinal);
        Assert.Contains("appsettings.json", line, StringComparison.Ordinal);
        Assert.Contains("denied", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AContentRootThatDoesNotExist_Exit2_InOneLine()
    {
        string program = await CopySampleAsync();

        GuestCommandResult run = await RunAsync(() => StartCopy($"{program} --contentRoot=/nonexistent"));

        Assert.True(run.ExitCode == 2, $"exit code {run.ExitCode}, not 2.{Environment.NewLine}{run.Describe()}");
        Assert.Equal(
            "Cannot read the settings: the content root given by --contentRoot or DOTNET_CONTENTROOT, /nonexistent, is not a directory this user can enter. "
            + "Check that it exists and that every directory above it is searchable (chmod o+x), run as root (sudo), or give another directory with --contentRoot=DIR.",
            run.StandardError.Trim());
    }

    private const string NotRoot = "setpriv --reuid=65534 --regid=65534 --clear-groups";

    /// <summary>Copies the NativeAOT sample and its settings to <see cref="Copy"/>; returns the executable there.</summary>
    private async Task<string> CopySampleAsync()
    {
        string executable = Sample.NativeExecutable("BulkLoopback");
        string settings = Path.Combine(Path.GetDirectoryName(executable)!, "appsettings.json");
        await EnsureAsync($"rm -rf {Copy} && mkdir -p {Copy} && cp {GuestShell.Join(executable, settings)} {Copy}/ && chmod 755 {Copy} {Copy}/BulkLoopback && chmod 644 {Copy}/appsettings.json");
        return $"{Copy}/BulkLoopback";
    }

    /// <summary>Starts a command from the root directory, as a service or a user elsewhere would.</summary>
    private GuestProcess StartCopy(string command)
    {
        var options = new GuestCommandOptions { WorkingDirectory = "/" };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Logging__Console__FormatterName"] = "simple";
        return Vm.StartProcess(command, options);
    }

    [Fact]
    public async Task ConfigFsNotMounted_Exit1_SayingHowToMountIt()
    {
        await EnsureAsync($"umount {ConfigFs}");
        try
        {
            GuestCommandResult run = await RunSampleAsync();

            AssertStartFailed(run, $"configfs is not mounted at {ConfigFs}.", $"mount -t configfs none {ConfigFs}", "modprobe libcomposite");
        }
        finally
        {
            await EnsureAsync($"grep -q ' {ConfigFs} configfs ' /proc/mounts || mount -t configfs configfs {ConfigFs}");
        }
    }

    [Fact]
    public async Task SomethingMountedOnTheFunctionFsMountPoint_Exit1_InsteadOfMountingOverIt()
    {
        await EnsureAsync($"mkdir -p {MountPoint} && mount -t tmpfs scratch {MountPoint}");
        try
        {
            GuestCommandResult run = await RunSampleAsync();

            AssertStartFailed(run,
                $"Cannot mount FunctionFS instance 'bulkloopback-loopback' at {MountPoint}: tmpfs 'scratch' is already mounted there",
                $"umount {MountPoint}",
                "UsbGadget:FunctionFsMountRoot");
        }
        finally
        {
            await EnsureAsync($"umount {MountPoint}; rmdir {MountPoint}");
        }
    }

    /// <summary>
    /// Runs the sample until it exits and checks that the guest is exactly as it was before: same gadgets, same mounts, same
    /// files under /run/usbgadget. That directory exists beforehand, as systemd's RuntimeDirectory makes it for the service.
    /// </summary>
    private Task<GuestCommandResult> RunSampleAsync(params (string Name, string Value)[] environment) =>
        RunAsync(() => Sample.Start(Vm, "BulkLoopback", SampleBuild.NativeAot, stdinCommand: null, environment));

    private async Task<GuestCommandResult> RunAsync(Func<GuestProcess> start)
    {
        await EnsureAsync("mkdir -p /run/usbgadget/ffs");
        string before = await SnapshotAsync();

        await using GuestProcess gadget = start();
        GuestCommandResult run = await gadget.WaitForExitAsync(TimeSpan.FromSeconds(60));

        string after = await SnapshotAsync();
        Assert.True(before == after, $"The failed start changed the guest.{Environment.NewLine}before:{Environment.NewLine}{before}after:{Environment.NewLine}{after}{run.Describe()}");
        Assert.DoesNotContain("functionfs", after, StringComparison.Ordinal);
        // Neither the gadget nor its state file; only what a test itself mounted on the mount point may carry the name.
        Assert.DoesNotContain(after.Split('\n'), line => line.Contains("bulkloopback", StringComparison.Ordinal) && !line.Contains(MountPoint, StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", run.StandardError, StringComparison.Ordinal);
        return run;
    }

    /// <summary>A start that failed on the environment: exit code 1, and one critical log line that says what and how to fix it.</summary>
    private static void AssertStartFailed(GuestCommandResult run, params string[] message)
    {
        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode}, not 1.{Environment.NewLine}{run.Describe()}");
        string failure = run.StandardOutput.Split("Gadget 'bulkloopback' could not start: ", 2) is [_, string rest]
            ? rest[..rest.IndexOf('\n', StringComparison.Ordinal)]
            : throw new Xunit.Sdk.XunitException($"No 'could not start' line.{Environment.NewLine}{run.Describe()}");
        foreach (string part in message)
        {
            Assert.Contains(part, failure, StringComparison.Ordinal);
        }
        Assert.False((run.StandardOutput + run.StandardError).Contains("   at ", StringComparison.Ordinal), $"a stack trace in the output:{Environment.NewLine}{run.Describe()}");
    }

    private Task<string> SnapshotAsync() => RunCheckedAsync(
        "echo '# gadgets'; ls -A /sys/kernel/config/usb_gadget 2>&1; echo '# UDCs'; ls /sys/class/udc; " +
        "echo '# mounts'; cat /proc/mounts; echo '# /run/usbgadget'; find /run/usbgadget | sort");

    private async Task EnsureAsync(string command) => await RunCheckedAsync(command);

    private async Task<string> RunCheckedAsync(string command) => (await Vm.RunAsync(command, TimeSpan.FromSeconds(30))).EnsureSuccess().StandardOutput;
}
