using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// The benchmark gadget (tests/UsbGadget.Benchmarks.Gadget, 1d6b:0107) run in the VM under the JIT: a source/sink or a
/// loopback on the framework's public API, which writes its transfer count to a stats file once a second.
/// </summary>
internal static partial class BenchmarkGadget
{
    public const ushort VendorId = 0x1d6b;
    public const ushort ProductId = 0x0107;

    /// <summary>Starts it with <paramref name="settings"/> as environment variables and waits until the host has enumerated it.</summary>
    public static async Task<GuestProcess> StartAsync(GadgetVm vm, string statsFile, params (string Name, string Value)[] settings)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.Combine(Sample.RepositoryRoot, "tests", "UsbGadget.Benchmarks.Gadget", "bin", configuration, "net10.0", "UsbGadget.Benchmarks.Gadget.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built: run 'dotnet build tests/UsbGadget.Benchmarks.Gadget -c {configuration}'.");
        var options = new GuestCommandOptions { WorkingDirectory = Path.GetDirectoryName(dll)! };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Benchmark__StatsFile"] = statsFile;
        foreach ((string name, string value) in settings)
        {
            options.Environment[name] = value;
        }

        GuestProcess gadget = vm.StartProcess(GuestShell.Join("dotnet", dll), options);
        try
        {
            await vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);
        }
        catch
        {
            await gadget.DisposeAsync();
            throw;
        }

        return gadget;
    }

    /// <summary>Unbinds the gadget from its UDC and binds it again: the host sees an unplug and a new device.</summary>
    public static async Task ReconnectAsync(GadgetVm vm, GuestProcess gadget)
    {
        GuestCommandResult cycle = await vm.RunAsync(
            "udc=/sys/kernel/config/usb_gadget/usbbench/UDC; name=$(cat $udc); echo > $udc; sleep 1; echo $name > $udc");
        Assert.True(cycle.ExitCode == 0, cycle.Describe());
        await vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(60), gadget);
    }

    /// <summary>
    /// The gadget's transfer count (OUT reads plus IN sends or fills) from its stats file, once it reaches
    /// <paramref name="atLeast"/>, waiting up to 10 s.
    /// </summary>
    public static async Task<long> WaitForTransfersAsync(GadgetVm vm, string statsFile, long atLeast, GuestProcess gadget)
    {
        long transfers = -1;
        for (int attempt = 0; attempt < 20 && transfers < atLeast; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(0.5));
            GuestCommandResult stats = await vm.RunAsync($"tail -n 1 {statsFile}");
            Match match = TransfersLine().Match(stats.StandardOutput);
            transfers = match.Success ? long.Parse(match.Groups[1].Value) : -1;
        }

        Assert.True(transfers >= atLeast, $"the gadget counted {transfers} transfers, not at least {atLeast}.{Environment.NewLine}{gadget.DescribeOutput()}");
        return transfers;
    }

    [GeneratedRegex(@"transfers=(\d+)")]
    private static partial Regex TransfersLine();
}
