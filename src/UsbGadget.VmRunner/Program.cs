using System.Diagnostics;
using UsbGadget.Testing;

// Runs a sample gadget with no hardware: builds it, boots Debian's kernel in QEMU with dummy_hcd, starts the gadget
// there as root, and drives it from the same VM's USB host side with the sample's own host companion.
//   dotnet run -c Release --project src/UsbGadget.VmRunner -- [HidKeyboard|BulkLoopback] [--super-speed] [--kernel K] [--text "..."]
//   dotnet run -c Release --project src/UsbGadget.VmRunner -- exec [--super-speed] [--kernel K] 'shell command'
// "exec" boots the same VM and runs one shell command there as root (dummy_hcd loaded, host root shared read-only),
// printing its output and returning its exit code: for trying things against the real kernel by hand.
// --kernel K picks the guest kernel: stable (the default), a series such as 6.1, 6.12 or 6.18, or a kernel .deb
// (the same as USBGADGET_VM_KERNEL=K).
bool superSpeed = args.Contains("--super-speed");
string? kernel = null;
int kernelIndex = Array.IndexOf(args, "--kernel");
if (kernelIndex >= 0)
{
    if (kernelIndex + 1 >= args.Length || args[kernelIndex + 1].StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine("--kernel needs a value: stable, a series such as 6.12, or the path of a kernel .deb.");
        return 2;
    }

    kernel = args[kernelIndex + 1];
    args = [.. args[..kernelIndex], .. args[(kernelIndex + 2)..]];
}

if (args.Length > 0 && args[0] == "exec")
{
    string[] rest = args.Skip(1).Where(a => a != "--super-speed").ToArray();
    if (rest.Length != 1)
    {
        Console.Error.WriteLine("Usage: usbgadget-vm exec [--super-speed] [--kernel stable|6.12|path.deb] 'shell command'");
        return 2;
    }

    var execOptions = new GadgetVmOptions { Speed = superSpeed ? GadgetVmSpeed.Super : GadgetVmSpeed.High, Kernel = kernel, Log = line => Console.Error.WriteLine($"   {line}") };
    execOptions.RequiredHostPackages.Add("python3-usb");
    execOptions.RequiredHostPackages.Add("usbutils");
    GadgetVm? startedExecVm = await StartVmAsync(execOptions);
    if (startedExecVm is null)
    {
        return 1;
    }

    await using GadgetVm execVm = startedExecVm;
    GuestCommandResult result = await execVm.RunAsync(rest[0], TimeSpan.FromHours(2));
    Console.Write(result.StandardOutput);
    Console.Error.Write(result.StandardError);
    return result.ExitCode;
}

string sample = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "HidKeyboard";
int textIndex = Array.IndexOf(args, "--text");
string text = textIndex >= 0 && textIndex + 1 < args.Length ? args[textIndex + 1] : "Hello from UsbGadget!";
if (sample is not ("HidKeyboard" or "BulkLoopback"))
{
    Console.Error.WriteLine($"Unknown sample '{sample}': choose HidKeyboard or BulkLoopback.");
    return 2;
}

string root = RepositoryLayout.FindRoot("UsbGadget.sln");
string project = Path.Combine(root, "gadgets", sample);
Console.WriteLine($"== building {sample}");
if (Run("dotnet", $"build \"{project}\" -c Release --nologo -v q") != 0)
{
    Console.Error.WriteLine($"Building {project} failed; see above.");
    return 1;
}
string dll = Path.Combine(project, "bin", "Release", "net10.0", sample + ".dll");

Console.WriteLine("== starting the VM (first run downloads QEMU, busybox and Debian's kernel; later runs use the cache)");
var options = new GadgetVmOptions { Speed = superSpeed ? GadgetVmSpeed.Super : GadgetVmSpeed.High, Kernel = kernel, Log = line => Console.WriteLine($"   {line}") };
options.RequiredHostPackages.Add("python3-usb");
options.RequiredHostPackages.Add("usbutils");
GadgetVm? startedVm = await StartVmAsync(options);
if (startedVm is null)
{
    return 1;
}

await using GadgetVm vm = startedVm;
Console.WriteLine($"   {vm.KernelPackage}: booted in {vm.BootTime.TotalSeconds:0.0} s");

var gadgetOptions = new GuestCommandOptions { WorkingDirectory = Path.GetDirectoryName(dll)! };
gadgetOptions.Environment["DOTNET_NOLOGO"] = "1";
string input = "/tmp/keyboard-input.txt";
string command = sample == "HidKeyboard"
    ? $": > {input}; tail -f {input} | dotnet {GuestShell.Quote(dll)}"
    : $"dotnet {GuestShell.Quote(dll)}";
Console.WriteLine($"== running {sample} in the VM as root");
await using GuestProcess gadget = vm.StartProcess(command, gadgetOptions);
ushort productId = sample == "HidKeyboard" ? (ushort)0x0104 : (ushort)0x0105;
var stopwatch = Stopwatch.StartNew();
GuestUsbDevice device = await vm.WaitForDeviceAsync(0x1d6b, productId, TimeSpan.FromSeconds(120), gadget);
Console.WriteLine($"   the VM's host side enumerated {device.LsusbId} at {device.SpeedMbps} Mbit/s after {stopwatch.Elapsed.TotalSeconds:0.0} s");
Console.WriteLine((await vm.RunAsync($"lsusb -d {device.LsusbId}")).StandardOutput.TrimEnd());

bool ok;
if (sample == "HidKeyboard")
{
    await using GuestProcess reader = vm.StartProcess(GuestShell.Join("/usr/bin/python3", Path.Combine(project, "host", "read_keys.py"), "--lines", "1", "--timeout", "60"));
    await reader.WaitForOutputAsync("ready", TimeSpan.FromSeconds(30));
    Console.WriteLine($"== typing \"{text}\" on the gadget; the host's usbhid driver delivers:");
    await vm.RunAsync($"printf '%s\\n' {GuestShell.Quote(text)} >> {input}");
    GuestCommandResult typed = await reader.WaitForExitAsync(TimeSpan.FromSeconds(90));
    string received = typed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).FirstOrDefault() ?? "";
    Console.WriteLine($"   \"{received}\"");
    ok = typed.ExitCode == 0 && received == text;
}
else
{
    Console.WriteLine("== host companion: gadgets/BulkLoopback/host/loopback.py (pyusb)");
    GuestCommandResult loop = await vm.RunAsync(GuestShell.Join("/usr/bin/python3", Path.Combine(project, "host", "loopback.py"), "--mib", "8"), TimeSpan.FromMinutes(5));
    Console.WriteLine(loop.StandardOutput.TrimEnd());
    Console.Error.Write(loop.StandardError);
    ok = loop.ExitCode == 0;
}

Console.WriteLine("== stopping the gadget with SIGTERM");
GuestCommandResult stopped = await gadget.StopAsync(TimeSpan.FromSeconds(10));
string leftovers = (await vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true")).StandardOutput.Trim();
Console.WriteLine($"   exit code {stopped.ExitCode}; configfs gadgets and FunctionFS mounts left: {(leftovers.Length == 0 ? "none" : leftovers)}");
Console.WriteLine("== gadget log");
Console.WriteLine(gadget.StandardOutput.TrimEnd());
ok &= stopped.ExitCode == 0 && leftovers.Length == 0;
Console.WriteLine(ok ? "== OK" : "== FAILED");
return ok ? 0 : 1;

static int Run(string file, string arguments)
{
    using Process process = Process.Start(new ProcessStartInfo(file, arguments))!;
    process.WaitForExit();
    return process.ExitCode;
}

// A bad kernel choice, a missing package or a failed boot is one clear message, not a stack trace.
static async Task<GadgetVm?> StartVmAsync(GadgetVmOptions options)
{
    try
    {
        return await GadgetVm.StartAsync(options);
    }
    catch (GadgetVmException ex)
    {
        Console.Error.WriteLine($"usbgadget-vm: {ex.Message}");
        return null;
    }
}
