using System.Text.Json;
using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// Kernel functions declared through hosting configuration (UsbGadget:KernelFunctions, here as environment variables) beside
/// the BulkLoopback sample's FunctionFS vendor function, proven with the host's own class drivers in the VM: cdc_acm,
/// cdc_ncm/cdc_ether/rndis_host, usb-storage + sd_mod, usbhid + hidraw and snd-usb-audio.
/// </summary>
public sealed partial class KernelFunctionHostingTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    /// <summary>Loaded at boot by <see cref="GadgetVmFixture"/>: the gadget's function drivers, then the host's class drivers.</summary>
    public static IReadOnlyList<string> Modules { get; } =
    [
        "usb_f_acm", "usb_f_ecm", "usb_f_ncm", "usb_f_rndis", "usb_f_mass_storage", "usb_f_midi",
        "cdc-acm", "cdc_ether", "cdc_ncm", "rndis_host", "usb-storage", "sd_mod", "snd-usb-audio",
    ];

    private const ushort VendorId = 0x1d6b;
    private const ushort ProductId = 0x0105;
    private const string Section = "UsbGadget__KernelFunctions__";

    private static readonly string[] s_keyboardSettings =
    [
        "HidDevices__0__Name=keys",
        "HidDevices__0__Protocol=1",
        "HidDevices__0__SubClass=1",
        // A boot keyboard: modifiers, reserved, six key codes; LED output report.
        "HidDevices__0__ReportDescriptor=05 01 09 06 a1 01 05 07 19 e0 29 e7 15 00 25 01 75 01 95 08 81 02 95 01 75 08 81 03 95 05 75 01 05 08 19 01 29 05 91 02 95 01 75 03 91 03 95 06 75 08 15 00 25 65 05 07 19 00 29 65 81 00 c0",
    ];

    private GuestProcess StartGadget(params string[] settings) =>
        Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit, stdinCommand: null,
            [.. settings.Select(s => (Section + s[..s.IndexOf('=', StringComparison.Ordinal)], s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..]))]);

    private async Task<GuestUsbDevice> WaitForGadgetAsync(GuestProcess gadget)
    {
        GuestUsbDevice device = await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(300), gadget);
        return device;
    }

    /// <summary>The device path the app's KernelFunctionDevices found, from its log line (event 4151).</summary>
    private static async Task<string> DeviceFromLogAsync(GuestProcess gadget, string function)
    {
        string prefix = $"Kernel function '{function}' is ";
        await gadget.WaitForOutputAsync(prefix, TimeSpan.FromSeconds(30));
        Match match = Regex.Match(gadget.StandardOutput, Regex.Escape(prefix) + @"(?:network interface )?(\S+)");
        Assert.True(match.Success, gadget.DescribeOutput());
        return match.Groups[1].Value;
    }

    /// <summary>Every interface of the device with the host driver bound to it, "1-1:1.0 cdc_acm", once <paramref name="expected"/> are all bound.</summary>
    private async Task<string> WaitForDriversAsync(GuestUsbDevice device, params string[] expected)
    {
        string listing = "";
        for (int attempt = 0; attempt < 100; attempt++)
        {
            GuestCommandResult result = await Vm.RunAsync(
                $"for i in {device.SysfsPath}/*:*; do d=$(readlink $i/driver); echo \"$(basename $i) $(basename \"${{d:-none}}\")\"; done");
            listing = result.StandardOutput;
            if (expected.All(e => listing.Contains(' ' + e + '\n', StringComparison.Ordinal)))
            {
                return listing;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"The host bound [{string.Join(", ", expected)}] not all within 20 s; interfaces and drivers:{Environment.NewLine}{listing}");
        return listing;
    }

    private async Task<string> HostChildAsync(GuestUsbDevice device, string pattern)
    {
        GuestCommandResult result = await Vm.RunAsync($"for i in $(seq 100); do set -- {device.SysfsPath}/*:*/{pattern}; [ -e \"$1\" ] && break; sleep 0.2; done; basename \"$1\"");
        string name = result.StandardOutput.Trim();
        Assert.False(name.Length == 0 || name.Contains('*', StringComparison.Ordinal), $"no {pattern} under {device.SysfsPath}: {result.Describe()}");
        return name;
    }

    private async Task<GuestCommandResult> SerialRoundTripAsync(GuestUsbDevice device, GuestProcess gadget, string function)
    {
        string gadgetTty = await DeviceFromLogAsync(gadget, function);
        string hostTty = await HostChildAsync(device, "tty/ttyACM*");
        return await Vm.RunAsync(GuestShell.Join("/usr/bin/python3", VmScript("serial_roundtrip.py"), "/dev/" + hostTty, gadgetTty), TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGTERM, exit 0, and no gadget or FunctionFS mount left; a longer grace than the samples' own tests, since a
    /// kernel function's unbind (an RNDIS host interface going away) took 21 s of a 2-core emulator at load average 50.</summary>
    private async Task StopsCleanlyAsync(GuestProcess gadget)
    {
        GuestCommandResult stopped = await gadget.StopAsync(TimeSpan.FromSeconds(60));
        Assert.True(stopped.ExitCode == 0, $"the gadget exited with {stopped.ExitCode} on SIGTERM, not 0.{Environment.NewLine}{gadget.DescribeOutput()}");
        Match stop = Regex.Match(gadget.StandardOutput, @"stopped and torn down in (\d+) ms");
        Fixture.Log($"stop: {(stop.Success ? stop.Groups[1].Value + " ms" : "no teardown line")}");
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.True(leftovers.StandardOutput.Trim().Length == 0, $"left behind after SIGTERM:{Environment.NewLine}{leftovers.StandardOutput}");
    }

    [Fact]
    public async Task Serial_TextRoundTripsBetweenTheHostsTtyAcmAndTheGadgetsTtyGs()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartGadget("Serial__0__Name=console");
        GuestUsbDevice device = await WaitForGadgetAsync(gadget);
        await WaitForDriversAsync(device, "cdc_acm");

        GuestCommandResult roundTrip = await SerialRoundTripAsync(device, gadget, "acm.console");

        Assert.True(roundTrip.ExitCode == 0, $"{roundTrip.Describe()}{gadget.DescribeOutput()}");
        Assert.Equal(["host->gadget: 940 bytes ok", "gadget->host: 780 bytes ok"], roundTrip.StandardOutput.Trim().Split('\n'));
        Assert.Matches(@"Kernel function 'acm\.console' is /dev/ttyGS\d+", gadget.StandardOutput);
        await StopsCleanlyAsync(gadget);
    }

    [Theory]
    [InlineData("Ncm", "cdc_ncm")]
    [InlineData("Ecm", "cdc_ether")]
    [InlineData("Rndis", "rndis_host")]
    public async Task Network_TheHostsDriverBringsItsInterfaceUp_AndATcpEchoCrossesTheLinkToTheGadgetsUsb0(string kind, string hostDriver)
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartGadget(
            "Network__0__Name=net", $"Network__0__Kind={kind}",
            "Network__0__DeviceAddress=02:00:00:00:00:01", "Network__0__HostAddress=02:00:00:00:00:02");
        GuestUsbDevice device = await WaitForGadgetAsync(gadget);
        await WaitForDriversAsync(device, hostDriver);
        string gadgetInterface = await DeviceFromLogAsync(gadget, $"{kind.ToLowerInvariant()}.net");
        string hostInterface = await HostChildAsync(device, "net/*");
        GuestCommandResult hostMac = await Vm.RunAsync($"cat /sys/class/net/{hostInterface}/address");
        Assert.Equal("02:00:00:00:00:02", hostMac.StandardOutput.Trim());

        // Both ends live in this one kernel: the host's end goes into its own namespace, or the traffic would never touch USB.
        // The addresses are link-local and exist only inside the VM's namespaces.
        (await Vm.RunAsync(string.Join(" && ",
            "ip netns add usbhost",
            $"ip link set {hostInterface} netns usbhost",
            $"ip -n usbhost addr add 169.254.77.2/24 dev {hostInterface}",
            $"ip -n usbhost link set {hostInterface} up",
            $"ip addr add 169.254.77.1/24 dev {gadgetInterface}",
            $"ip link set {gadgetInterface} up"))).EnsureSuccess();
        try
        {
            GuestProcess server = Vm.StartProcess(GuestShell.Join("/usr/bin/python3", VmScript("net_echo.py"), "server", "169.254.77.1", "7777"));
            await server.WaitForOutputAsync("listening", TimeSpan.FromSeconds(30));
            GuestCommandResult echo = await Vm.RunAsync(
                GuestShell.Join("ip", "netns", "exec", "usbhost", "/usr/bin/python3", VmScript("net_echo.py"), "client", "169.254.77.1", "7777", "1048576", "20261204"),
                TimeSpan.FromSeconds(90));
            Assert.True(echo.ExitCode == 0, $"{echo.Describe()}{server.DescribeOutput()}{gadget.DescribeOutput()}");
            using JsonDocument json = JsonDocument.Parse(echo.StandardOutput);
            Assert.Equal(1048576, json.RootElement.GetProperty("bytes").GetInt32());
            Fixture.Log($"{kind} ({hostDriver} <-> {gadgetInterface}): 1 MiB TCP echo in {json.RootElement.GetProperty("seconds")} s");
            (await server.WaitForExitAsync(TimeSpan.FromSeconds(30))).EnsureSuccess();
        }
        finally
        {
            await Vm.RunAsync("ip netns delete usbhost");
        }
        await StopsCleanlyAsync(gadget);
    }

    [Fact]
    public async Task MassStorage_TheHostSeesEachLunAsABlockDevice_WithItsFlags_AndReadsBackTheImage()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        (await Vm.RunAsync(string.Join(" && ",
            GuestShell.Join("/usr/bin/python3", VmScript("block_pattern.py"), "write", "/tmp/lun0.img", "4", "lun0"),
            GuestShell.Join("/usr/bin/python3", VmScript("block_pattern.py"), "write", "/tmp/lun1.img", "2", "lun1")))).EnsureSuccess();
        await using GuestProcess gadget = StartGadget(
            "MassStorage__0__Name=disk",
            "MassStorage__0__Luns__0__File=/tmp/lun0.img", "MassStorage__0__Luns__0__ReadOnly=true",
            "MassStorage__0__Luns__1__File=/tmp/lun1.img", "MassStorage__0__Luns__1__Removable=false");
        GuestUsbDevice device = await WaitForGadgetAsync(gadget);
        await WaitForDriversAsync(device, "usb-storage");

        // One line per LUN, in LUN order: "<h:c:t:lun> sdX ro removable size".
        GuestCommandResult disks = await Vm.RunAsync(
            $"for i in $(seq 150); do n=$(ls -d {device.SysfsPath}/*:*/host*/target*/*/block/sd* 2>/dev/null | wc -l); [ $n -ge 2 ] && break; sleep 0.2; done; " +
            $"for b in {device.SysfsPath}/*:*/host*/target*/*/block/sd*; do s=$(basename $b); " +
            "echo \"$(basename $(dirname $(dirname $b))) $s $(cat $b/ro) $(cat $b/removable) $(cat $b/size)\"; done | sort");
        string[] lines = disks.EnsureSuccess().StandardOutput.Trim().Split('\n');
        Assert.True(lines.Length == 2, disks.Describe());
        string[] lun0 = lines[0].Split(' ');
        string[] lun1 = lines[1].Split(' ');
        Assert.Equal(["1", "1", "8192"], lun0[2..]);   // read-only, removable, 4 MiB in 512-byte sectors
        Assert.Equal(["0", "0", "4096"], lun1[2..]);   // writable, fixed, 2 MiB

        GuestCommandResult read = await Vm.RunAsync(string.Join(" && ",
            GuestShell.Join("/usr/bin/python3", VmScript("block_pattern.py"), "check", "/dev/" + lun0[1], "4", "lun0"),
            GuestShell.Join("/usr/bin/python3", VmScript("block_pattern.py"), "check", "/dev/" + lun1[1], "2", "lun1")), TimeSpan.FromMinutes(2));
        Assert.True(read.ExitCode == 0, $"{read.Describe()}{gadget.DescribeOutput()}");
        await StopsCleanlyAsync(gadget);
    }

    [Fact]
    public async Task Composite_AcmPlusFunctionFsVendorPlusKernelHid_EnumeratesInTheGivenOrder_AndAllThreeWorkAtOnce()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartGadget(
        [
            "Serial__0__Name=console",
            .. s_keyboardSettings,
            // Not the default order (FunctionFS first, then serial, then HID): the vendor function stays interface 0 for loopback.py.
            "FunctionOrder__0=loopback", "FunctionOrder__1=keys", "FunctionOrder__2=console",
        ]);
        GuestUsbDevice device = await WaitForGadgetAsync(gadget);
        string drivers = await WaitForDriversAsync(device, "usbhid", "cdc_acm");
        // The vendor function (no kernel driver), then the keyboard, then ACM's two interfaces.
        Assert.Matches(@":1\.0 none\n[^\n]*:1\.1 usbhid\n[^\n]*:1\.2 cdc_acm\n[^\n]*:1\.3 cdc_acm\n", drivers);
        string hidg = await DeviceFromLogAsync(gadget, "hid.keys");
        string hidraw = await HostChildAsync(device, "*/hidraw/hidraw*");

        // All three at once: the serial round trip, the vendor loopback (pyusb) and a key press through hidg -> hidraw.
        Task<GuestCommandResult> serial = SerialRoundTripAsync(device, gadget, "acm.console");
        Task<GuestCommandResult> loopback = Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "2", "--seed", "20261204"), TimeSpan.FromMinutes(3));
        Task<GuestCommandResult> key = Vm.RunPythonAsync(
            "import os, select, sys\n" +
            $"host = os.open('/dev/{hidraw}', os.O_RDONLY | os.O_NONBLOCK)\n" +
            $"gadget = os.open('{hidg}', os.O_WRONLY)\n" +
            "os.write(gadget, bytes([0, 0, 4, 0, 0, 0, 0, 0]))\n" +
            "r, _, _ = select.select([host], [], [], 10)\n" +
            "print(os.read(host, 64).hex() if r else 'nothing')\n" +
            "os.write(gadget, bytes(8))\n");

        GuestCommandResult[] results = await Task.WhenAll(serial, loopback, key);
        Assert.True(results.All(r => r.ExitCode == 0), string.Join(Environment.NewLine, results.Select(r => r.Describe())) + gadget.DescribeOutput());
        Assert.Contains("gadget->host: 780 bytes ok", results[0].StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"loopback: \d+ transfers, \d+ bytes verified", results[1].StandardOutput);
        Assert.Equal("0000040000000000", results[2].StandardOutput.Trim());
        await StopsCleanlyAsync(gadget);
    }

    [Fact]
    public async Task Midi_EnumeratesAsAnAlsaCardOnBothSides()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartGadget("Midi__0__Name=synth", "Midi__0__InPorts=2", "Midi__0__OutPorts=2", "Midi__0__CardId=UsbGadgetMidi");
        GuestUsbDevice device = await WaitForGadgetAsync(gadget);
        await WaitForDriversAsync(device, "snd-usb-audio");

        GuestCommandResult cards = await Vm.RunAsync("cat /proc/asound/cards");
        Assert.Contains("UsbGadgetMidi", cards.StandardOutput, StringComparison.Ordinal);      // the gadget's f_midi card
        Assert.Contains("USB-Audio", cards.StandardOutput, StringComparison.Ordinal);          // the host's snd-usb-audio card
        await StopsCleanlyAsync(gadget);
    }

    [Fact]
    public async Task BadSettings_AMissingDriveImageAndANonMacHostAddress_EachGetOneLine_AndNothingIsCreated()
    {
        await using GuestProcess gadget = StartGadget(
            "MassStorage__0__Name=disk", "MassStorage__0__Luns__0__File=/srv/nonexistent.img",
            "Network__0__Name=net", "Network__0__HostAddress=not-a-mac");

        GuestCommandResult exited = await gadget.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exited.ExitCode);
        Assert.Contains("  KernelFunctions:MassStorage 'disk' Luns[0]: File '/srv/nonexistent.img' does not exist;", exited.StandardError, StringComparison.Ordinal);
        Assert.Contains("  KernelFunctions:Network 'net': HostAddress 'not-a-mac' is not a MAC address:", exited.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", exited.StandardError + exited.StandardOutput, StringComparison.Ordinal);
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.Equal("", leftovers.StandardOutput.Trim());
    }

    [Fact]
    public async Task ADriveTheKernelRefuses_StopsTheStartWithOneLine_AndRemovesEverythingCreated()
    {
        // /dev/null exists, so only the kernel can refuse it (fsg_lun_open: not a regular file or block device).
        await using GuestProcess gadget = StartGadget("Serial__0__Name=console", "MassStorage__0__Name=disk", "MassStorage__0__Luns__0__File=/dev/null");

        GuestCommandResult exited = await gadget.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exited.ExitCode == 1, gadget.DescribeOutput());
        Assert.Contains("The kernel could not open '/dev/null' as the medium of /sys/kernel/config/usb_gadget/bulkloopback/functions/mass_storage.disk/lun.0", exited.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", exited.StandardOutput + exited.StandardError, StringComparison.Ordinal);
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.Equal("", leftovers.StandardOutput.Trim());
    }

    private static readonly string s_script = Path.Combine(Sample.RepositoryRoot, "configfs-scripts", "usb-gadget.sh");

    [Fact]
    public async Task Script_CreatesKernelFunctionsBesideFunctionFs_TheAppServesInAttachMode_TeardownLeavesNothing()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        const string Settings = "GADGET_NAME=scripted GADGET_FUNCTIONS=loopback GADGET_PID=0x0105 " +
            "GADGET_KERNEL_FUNCTIONS='ncm.net acm.console' GADGET_ATTRS='ncm.net/host_addr=02:00:00:00:00:02'";
        (await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(s_script)} setup")).EnsureSuccess();
        GuestCommandResult compatible = await Vm.RunAsync("cat /sys/kernel/config/usb_gadget/scripted/functions/ncm.net/os_desc/interface.ncm/compatible_id");
        // The kernel shows the whole 8-byte field, zero-padded.
        Assert.Equal("WINNCM\0\0", compatible.EnsureSuccess().StandardOutput.TrimEnd('\n'));

        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit, stdinCommand: null,
            ("UsbGadget__Mode", "Attach"), ("UsbGadget__Name", "scripted"));
        GuestUsbDevice device = await WaitForGadgetAsync(gadget);
        string drivers = await WaitForDriversAsync(device, "cdc_ncm", "cdc_acm");
        // The script links kernel functions first, in the order given, then the FunctionFS ones.
        Assert.Matches(@":1\.0 cdc_ncm\n[^\n]*:1\.1 cdc_ncm\n[^\n]*:1\.2 cdc_acm\n[^\n]*:1\.3 cdc_acm\n[^\n]*:1\.4 none\n", drivers);
        GuestCommandResult stopped = await gadget.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(stopped.ExitCode == 0, gadget.DescribeOutput());

        (await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(s_script)} teardown")).EnsureSuccess();
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.Equal("", leftovers.StandardOutput.Trim());
    }

    [Fact]
    public async Task Script_BadKernelFunctionSettings_AreListedOneLineEach_BeforeAnythingIsCreated()
    {
        GuestCommandResult setup = await Vm.RunAsync(
            "GADGET_NAME=scripted GADGET_FUNCTIONS= GADGET_KERNEL_FUNCTIONS='mass_storage.disk ncm.net' " +
            $"GADGET_ATTRS='mass_storage.disk/lun.0/file=/srv/nonexistent.img ncm.net/host_addr=not-a-mac' sh {GuestShell.Quote(s_script)} setup");

        Assert.NotEqual(0, setup.ExitCode);
        Assert.Equal(
            [
                "usb-gadget.sh: invalid kernel-function settings; nothing was created:",
                "  GADGET_ATTRS: 'mass_storage.disk/lun.0/file=/srv/nonexistent.img': file '/srv/nonexistent.img' does not exist; create the image first (truncate -s 64M /srv/nonexistent.img; mkfs.vfat /srv/nonexistent.img)",
                "  GADGET_ATTRS: 'ncm.net/host_addr=not-a-mac': 'not-a-mac' is not a MAC address; write six hex pairs such as 02:00:00:00:00:01",
            ],
            setup.StandardError.Trim().Split('\n'));
        Assert.Equal("", (await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/")).StandardOutput.Trim());
    }

    [Fact]
    public async Task Script_AValueTheKernelRefusesMidSetup_RemovesWhatWasCreated()
    {
        GuestCommandResult setup = await Vm.RunAsync(
            $"GADGET_NAME=scripted GADGET_FUNCTIONS=loopback GADGET_KERNEL_FUNCTIONS='acm.console midi.synth' GADGET_ATTRS='midi.synth/in_ports=99' sh {GuestShell.Quote(s_script)} setup");

        Assert.NotEqual(0, setup.ExitCode);
        Assert.Contains("writing '99' to /sys/kernel/config/usb_gadget/scripted/functions/midi.synth/in_ports failed", setup.StandardError, StringComparison.Ordinal);
        Assert.Contains("setup failed; removing what it created", setup.StandardError, StringComparison.Ordinal);
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.Equal("", leftovers.StandardOutput.Trim());
    }
}
