using System.Text.Json;
using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Reliability;

/// <summary>What the reliability drills share: the gadget under test, its guest pid, the drill script and the kernel's verdict.</summary>
internal static partial class Drill
{
    public const ushort VendorId = 0x1d6b;
    public const ushort ProductId = 0x0105;

    /// <summary>Starts the NativeAOT BulkLoopback (the build a board runs) and waits until the host has enumerated it.</summary>
    public static async Task<GuestProcess> StartLoopbackAsync(GadgetVm vm)
    {
        await vm.SetSpeedAsync(GadgetVmSpeed.High);
        GuestProcess gadget = Sample.Start(vm, "BulkLoopback", SampleBuild.NativeAot);
        await vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);
        return gadget;
    }

    /// <summary>The guest pid of the gadget program itself (the started command may be a shell around it).</summary>
    public static async Task<int> GadgetPidAsync(GadgetVm vm, string program = "BulkLoopback")
    {
        GuestCommandResult result = (await vm.RunAsync($"pidof {program}")).EnsureSuccess();
        return int.Parse(result.StandardOutput.Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs tests/vm/reliability.py with <paramref name="arguments"/> and returns its closing JSON line.</summary>
    public static async Task<(GuestCommandResult Result, JsonElement Figures)> RunAsync(GadgetVm vm, GuestProcess gadget, TimeSpan timeout, params string[] arguments)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "vm", "reliability.py");
        GuestCommandResult result = await vm.RunAsync(GuestShell.Join(["/usr/bin/python3", "-u", script, .. arguments]), timeout);
        string last = result.StandardOutput.Trim().Split('\n')[^1];
        Assert.True(result.ExitCode == 0 && last.StartsWith('{'), $"reliability.py {string.Join(' ', arguments)} failed.{Environment.NewLine}{result.Describe()}{gadget.DescribeOutput()}");
        using JsonDocument document = JsonDocument.Parse(last);
        return (result, document.RootElement.Clone());
    }

    /// <summary>Kernel WARN/BUG/oops reports, which must never appear while a gadget runs.</summary>
    public static async Task<string[]> KernelFaultsAsync(GadgetVm vm) =>
        KernelFault().Matches(await vm.GetKernelLogAsync()).Select(m => m.Value).ToArray();

    /// <summary>A resource figure from the drill's summary: its first sample, its last and its maximum.</summary>
    public static (long First, long Last, long Max) Resource(JsonElement figures, string name)
    {
        JsonElement r = figures.GetProperty("resources").GetProperty(name);
        return (r.GetProperty("first").GetInt64(), r.GetProperty("last").GetInt64(), r.GetProperty("max").GetInt64());
    }

    /// <summary>
    /// Asserts the gadget's fds and AIO contexts ended where they began, its threads grew by at most 2, and its RSS
    /// levelled off: less than 4 MiB of growth in all, and less than 512 KiB over the second half of the samples once
    /// its largest single step is set aside. A leak grows sample after sample; the GC committing a region grows RSS in
    /// one step of about 1-2 MiB (quick soaks stepped 2.1 MiB once and 1 MiB in their last sample once).
    /// </summary>
    public static void AssertResourcesFlat(JsonElement figures)
    {
        string text = figures.GetProperty("resources").GetRawText();
        Assert.True(Resource(figures, "fds").Last == Resource(figures, "fds").First, $"open fds drifted: {text}");
        Assert.True(Resource(figures, "aio_nr").Last == Resource(figures, "aio_nr").First, $"AIO contexts drifted: {text}");
        Assert.True(Resource(figures, "threads").Last <= Resource(figures, "threads").First + 2, $"threads drifted: {text}");
        long[] rss = figures.GetProperty("resources").GetProperty("rss_kb").GetProperty("samples").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        long[] steps = rss[(rss.Length / 2)..].Zip(rss[(rss.Length / 2 + 1)..], (before, after) => after - before).ToArray();
        long largestStep = steps.DefaultIfEmpty(0).Max();
        Assert.True(rss[^1] - rss[rss.Length / 2] - Math.Max(0, largestStep) < 512, $"RSS still grew over the second half of the run: {text}");
        Assert.True(rss[^1] - rss[0] < 4096, $"RSS grew by 4 MiB or more: {text}");
    }

    [GeneratedRegex(@"^.*(WARNING:|BUG:|Oops|general protection fault|Call Trace:).*$", RegexOptions.Multiline)]
    private static partial Regex KernelFault();
}
