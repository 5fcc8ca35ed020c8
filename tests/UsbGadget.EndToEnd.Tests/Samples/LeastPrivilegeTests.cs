using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// Least privilege on the real kernel: a root setup step creates the gadget and mounts FunctionFS for a dedicated user,
/// the BulkLoopback sample (NativeAOT) serves it as that user, and a root teardown step removes it. The VM has no
/// systemd, so the privilege split is the same three commands the hardened unit runs
/// (<c>configfs-scripts/systemd/usbgadget-unprivileged@.service</c>): <c>ExecStartPre=+app --UsbGadget:Mode=Setup</c>
/// as root, <c>ExecStart=app --UsbGadget:Mode=Attach</c> with <c>User=</c> (here a uid switch with setpriv, which also
/// drops every supplementary group and capability), and <c>ExecStopPost=+app --UsbGadget:Mode=Teardown</c> as root.
/// </summary>
public sealed class LeastPrivilegeTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    // A dedicated service user as `useradd --system` makes one. The guest's root is the host's, read-only, so the user is
    // added to copies of /etc/passwd and /etc/group in the guest's tmpfs, bind-mounted over the originals for the test.
    private const string User = "usbgadget-svc";
    private const int Uid = 4242;
    private const string AsServiceUser = "setpriv --reuid=4242 --regid=4242 --clear-groups --inh-caps=-all --bounding-set=-all";
    private const string Gadget = "svcloop";
    private const string Instance = "svcloop-loopback"; // derived from the gadget and function names, as the setup step names it
    private const string Gadgets = "/sys/kernel/config/usb_gadget";
    private const string Copy = "/tmp/usbgadget-least-privilege";
    private static readonly string Script = Path.Combine(Sample.RepositoryRoot, "configfs-scripts", "usb-gadget.sh");

    [Fact]
    public async Task SetupAsRoot_AppAsServiceUser_ServesTheHost_CannotTouchAnotherGadget_TeardownLeavesNothing()
    {
        await PrepareAsync();
        try
        {
            // ExecStartPre=+: root creates the gadget for the user and exits.
            GuestCommandResult setup = await RunCopyAsync(null, "--UsbGadget:Mode=Setup", $"--UsbGadget:ServiceUser={User}");
            Assert.True(setup.ExitCode == 0, setup.Describe());
            Assert.Contains($"Gadget '{Gadget}' set up for service user '{User}' (uid {Uid}, gid {Uid})", setup.StandardOutput, StringComparison.Ordinal);
            GuestCommandResult owners = await Vm.RunAsync(
                $"stat -c '%n %u:%g %a' /run/usbgadget/ffs/{Instance} /run/usbgadget/ffs/{Instance}/ep0 {Gadgets}/{Gadget}/UDC");
            Assert.Equal(
                [$"/run/usbgadget/ffs/{Instance} {Uid}:{Uid} 550", $"/run/usbgadget/ffs/{Instance}/ep0 {Uid}:{Uid} 660", $"{Gadgets}/{Gadget}/UDC {Uid}:{Uid} 644"],
                owners.EnsureSuccess().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // ExecStart= with User=: the app, unprivileged, writes its descriptors, binds through the UDC attribute it was
            // given, and serves the host.
            await using GuestProcess app = StartCopy(AsServiceUser, "--UsbGadget:Mode=Attach");
            await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), app);
            GuestCommandResult identity = await Vm.RunAsync(
                "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = BulkLoopback ] && grep -E '^(Uid|CapEff|CapBnd):' $p/status; done; true");
            Assert.Equal([$"Uid:\t{Uid}\t{Uid}\t{Uid}\t{Uid}", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000"],
                identity.EnsureSuccess().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            GuestCommandResult loop = await Vm.RunAsync(
                GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "2"), TimeSpan.FromMinutes(2));
            Assert.True(loop.ExitCode == 0, $"{loop.Describe()}{app.DescribeOutput()}");

            await AssertTheServiceUserCannotTouchAnotherGadgetAsync();

            // SIGTERM: the app unbinds through its UDC attribute and leaves the gadget for the teardown step.
            GuestCommandResult stopped = await app.StopAsync(TimeSpan.FromSeconds(10));
            Assert.True(stopped.ExitCode == 0, app.DescribeOutput());
            GuestCommandResult kept = await Vm.RunAsync($"cat {Gadgets}/{Gadget}/UDC; grep -c '^{Instance} ' /proc/mounts || true");
            Assert.Equal(["", "1"], kept.StandardOutput.Split('\n')[..2]);

            // ExecStopPost=+: root removes the gadget, its mounts, its mount points and its state file.
            GuestCommandResult teardown = await RunCopyAsync(null, "--UsbGadget:Mode=Teardown");
            Assert.True(teardown.ExitCode == 0, teardown.Describe());
            GuestCommandResult leftovers = await Vm.RunAsync(
                $"ls {Gadgets}/; grep functionfs /proc/mounts; ls /run/usbgadget/ffs/ /run/usbgadget/ | grep {Gadget}; true");
            Assert.True(leftovers.StandardOutput.Trim().Length == 0, $"left behind by the teardown step:{Environment.NewLine}{leftovers.StandardOutput}");

            // A second teardown (ExecStopPost= after a setup that failed) finds nothing and still succeeds.
            GuestCommandResult again = await RunCopyAsync(null, "--UsbGadget:Mode=Teardown");
            Assert.True(again.ExitCode == 0, again.Describe());
            Assert.Contains($"gadget '{Gadget}' was not there", again.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task TheScriptsServiceUser_LetsTheAppServeItsGadgetUnprivileged()
    {
        await PrepareAsync();
        const string Settings = $"GADGET_NAME={Gadget} GADGET_FUNCTIONS=loopback GADGET_PID=0x0105 GADGET_SERVICE_USER={User}";
        try
        {
            (await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(Script)} setup")).EnsureSuccess();

            await using GuestProcess app = StartCopy(AsServiceUser, "--UsbGadget:Mode=Attach");
            await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), app);
            GuestCommandResult loop = await Vm.RunAsync(
                GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "1"), TimeSpan.FromMinutes(2));
            Assert.True(loop.ExitCode == 0, $"{loop.Describe()}{app.DescribeOutput()}");
            GuestCommandResult stopped = await app.StopAsync(TimeSpan.FromSeconds(10));
            Assert.True(stopped.ExitCode == 0, app.DescribeOutput());

            (await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(Script)} teardown")).EnsureSuccess();
            GuestCommandResult leftovers = await Vm.RunAsync($"ls {Gadgets}/; grep functionfs /proc/mounts; true");
            Assert.True(leftovers.StandardOutput.Trim().Length == 0, leftovers.StandardOutput);
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task AServiceUserThatDoesNotExist_StopsTheSetupStepWithOneLine_AndCreatesNothing()
    {
        await PrepareAsync();
        try
        {
            GuestCommandResult setup = await RunCopyAsync(null, "--UsbGadget:Mode=Setup", "--UsbGadget:ServiceUser=gadgetd");

            Assert.True(setup.ExitCode == 2, setup.Describe());
            Assert.Equal(
                [
                    "Invalid configuration; fix these settings (appsettings.json, UsbGadget__* environment variables or --UsbGadget:* arguments):",
                    "  UsbGadget:ServiceUser = 'gadgetd' is not a user in /etc/passwd: create it ('useradd --system --no-create-home gadgetd') or name an existing one.",
                ],
                setup.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("", (await Vm.RunAsync($"ls {Gadgets}/; grep functionfs /proc/mounts; true")).StandardOutput.Trim());
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task TheUnprivilegedAppWithoutASetupStep_SaysToRunIt_InOneLine()
    {
        await PrepareAsync();
        try
        {
            GuestCommandResult run = await RunCopyAsync(AsServiceUser, "--UsbGadget:Mode=Attach");

            AssertStartFailed(run, Gadget,
                $"No gadget named '{Gadget}' at {Gadgets}/{Gadget}: nothing has set it up for this process (uid {Uid}). Run the setup step as root first");
        }
        finally
        {
            await RestoreAsync();
        }
    }

    /// <summary>
    /// The kernel refuses the service user everything outside its own gadget (mkdir, rmdir, writing another gadget's UDC,
    /// opening another gadget's ep0), and the app run as that user against another gadget, or to create one, stops with one line.
    /// </summary>
    private async Task AssertTheServiceUserCannotTouchAnotherGadgetAsync()
    {
        const string Other = "GADGET_NAME=other GADGET_FUNCTIONS=otherfn GADGET_PID=0x0106";
        (await Vm.RunAsync($"{Other} sh {GuestShell.Quote(Script)} setup")).EnsureSuccess();
        try
        {
            foreach (string attempt in new[]
            {
                $"mkdir {Gadgets}/intruder",
                $"rmdir {Gadgets}/other/strings/0x409",
                $"rmdir {Gadgets}/{Gadget}/strings/0x409",
                $"echo dummy_udc.0 > {Gadgets}/other/UDC",
                $"echo 0x0107 > {Gadgets}/{Gadget}/idProduct",
                "cat /run/usbgadget/ffs/otherfn/ep0",
            })
            {
                GuestCommandResult refused = await Vm.RunAsync($"{AsServiceUser} sh -c {GuestShell.Quote(attempt)}");
                Assert.True(refused.ExitCode != 0 && refused.StandardError.Contains("Permission denied", StringComparison.Ordinal),
                    $"the service user could '{attempt}':{Environment.NewLine}{refused.Describe()}");
            }

            GuestCommandResult attach = await RunCopyAsync(AsServiceUser, "--UsbGadget:Mode=Attach", "--UsbGadget:Name=other", "--UsbGadget:FunctionInstances:loopback=otherfn");
            AssertStartFailed(attach, "other",
                $"Gadget 'other' was not set up for this process (uid {Uid}): /run/usbgadget/ffs/otherfn/ep0 belongs to another user (EACCES).");

            GuestCommandResult create = await RunCopyAsync(AsServiceUser, "--UsbGadget:Name=intruder");
            AssertStartFailed(create, "intruder", $"Creating a USB gadget needs root: configfs and mount(2) refuse effective user id {Uid}.", "--UsbGadget:Mode=Setup");

            GuestCommandResult untouched = await Vm.RunAsync($"ls {Gadgets}/; cat {Gadgets}/other/UDC {Gadgets}/{Gadget}/idProduct");
            Assert.Equal(["other", Gadget, "", "0x0105"], untouched.StandardOutput.Split('\n')[..4]);
        }
        finally
        {
            (await Vm.RunAsync($"{Other} sh {GuestShell.Quote(Script)} teardown")).EnsureSuccess();
        }
    }

    private static void AssertStartFailed(GuestCommandResult run, string gadget, params string[] message)
    {
        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode}, not 1.{Environment.NewLine}{run.Describe()}");
        string failure = run.StandardOutput.Split($"Gadget '{gadget}' could not start: ", 2) is [_, string rest]
            ? rest[..rest.IndexOf('\n', StringComparison.Ordinal)]
            : throw new Xunit.Sdk.XunitException($"No 'could not start' line.{Environment.NewLine}{run.Describe()}");
        foreach (string part in message)
        {
            Assert.Contains(part, failure, StringComparison.Ordinal);
        }
        Assert.False((run.StandardOutput + run.StandardError).Contains("   at ", StringComparison.Ordinal), $"a stack trace in the output:{Environment.NewLine}{run.Describe()}");
    }

    /// <summary>
    /// Adds the service user, and copies the NativeAOT sample and its settings to a world-readable directory in the guest's
    /// tmpfs (a service's files sit in /opt; the repository's directories need not be open to other users).
    /// </summary>
    private async Task PrepareAsync()
    {
        string executable = Sample.NativeExecutable("BulkLoopback");
        string settings = Path.Combine(Path.GetDirectoryName(executable)!, "appsettings.json");
        await EnsureAsync(
            $"grep -q '^{User}:' /etc/passwd || {{ cp /etc/passwd /tmp/lp-passwd && cp /etc/group /tmp/lp-group "
            + $"&& echo '{User}:x:{Uid}:{Uid}::/nonexistent:/usr/sbin/nologin' >> /tmp/lp-passwd && echo '{User}:x:{Uid}:' >> /tmp/lp-group "
            + "&& mount --bind /tmp/lp-passwd /etc/passwd && mount --bind /tmp/lp-group /etc/group; }");
        await EnsureAsync(
            $"rm -rf {Copy} && mkdir -p {Copy} /run/usbgadget/ffs && cp {GuestShell.Join(executable, settings)} {Copy}/ "
            + $"&& chmod 755 {Copy} {Copy}/BulkLoopback && chmod 644 {Copy}/appsettings.json");
    }

    /// <summary>Puts the guest back: no service user, no state file or mount point of the test's gadget.</summary>
    private async Task RestoreAsync()
    {
        await Vm.CleanUpAsync();
        await EnsureAsync(
            $"rm -rf {Copy} /run/usbgadget/{Gadget}.pid /run/usbgadget/ffs/{Instance} /run/usbgadget/ffs/loopback /run/usbgadget/ffs/otherfn; "
            + "! grep -q ' /etc/passwd ' /proc/mounts || umount /etc/passwd; ! grep -q ' /etc/group ' /proc/mounts || umount /etc/group");
    }

    private GuestProcess StartCopy(string? wrapper, params string[] arguments)
    {
        var options = new GuestCommandOptions { WorkingDirectory = "/" };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Logging__Console__FormatterName"] = "simple";
        options.Environment["UsbGadget__Name"] = Gadget;
        string command = GuestShell.Join([$"{Copy}/BulkLoopback", .. arguments]);
        return Vm.StartProcess(wrapper is null ? command : $"{wrapper} {command}", options);
    }

    private async Task<GuestCommandResult> RunCopyAsync(string? wrapper, params string[] arguments)
    {
        await using GuestProcess process = StartCopy(wrapper, arguments);
        return await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task EnsureAsync(string command) => (await Vm.RunAsync(command, TimeSpan.FromSeconds(30))).EnsureSuccess();
}
