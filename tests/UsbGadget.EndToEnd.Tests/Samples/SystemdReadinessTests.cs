using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// A sample run as systemd runs a <c>Type=notify</c> unit: <c>NOTIFY_SOCKET</c> names a datagram socket, and READY=1
/// must arrive only once the host has configured the device; SIGTERM then sends STOPPING=1 and tears everything down.
/// </summary>
public sealed class SystemdReadinessTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    // Plays systemd's part: receives sd_notify datagrams and, for each, records whether the host had configured the
    // device at that moment (its bConfigurationValue in sysfs), so "ready" can be checked against what the host saw.
    private const string NotifyListener = """
        import glob, os, socket, sys
        path = sys.argv[1]
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        print("listening", flush=True)
        def configured():
            for d in glob.glob("/sys/bus/usb/devices/*"):
                try:
                    ids = open(d + "/idVendor").read().strip() + ":" + open(d + "/idProduct").read().strip()
                    if ids == "1d6b:0105":
                        return open(d + "/bConfigurationValue").read().strip() or "0"
                except OSError:
                    pass
            return "absent"
        while True:
            message = s.recv(4096).decode()
            for line in message.split("\n"):
                print(f"{line} configured={configured()}", flush=True)
            if "STOPPING=1" in message:
                break
        """;

    [Theory]
    [InlineData(SampleBuild.Jit)]
    [InlineData(SampleBuild.NativeAot)]
    public async Task ReadyIsSentOnlyOnceTheHostHasConfiguredTheDevice_AndStoppingOnSigterm(SampleBuild build)
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        string script = Vm.WriteSharedFile("notify_listener.py", NotifyListener);
        await using GuestProcess systemd = Vm.StartProcess(GuestShell.Join("/usr/bin/python3", "-u", script, "/tmp/notify.sock"));
        await systemd.WaitForOutputAsync("listening", TimeSpan.FromSeconds(30));

        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", build, stdinCommand: null, environment: ("NOTIFY_SOCKET", "/tmp/notify.sock"));
        await systemd.WaitForOutputAsync("READY=1", TimeSpan.FromSeconds(120));

        Assert.Contains("READY=1 configured=1", systemd.StandardOutput, StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
        GuestCommandResult notifications = await systemd.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("STOPPING=1", notifications.StandardOutput, StringComparison.Ordinal);
    }
}
