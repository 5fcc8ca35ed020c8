using UsbGadget.Testing;

namespace UsbGadget.Benchmarks.Vm;

/// <summary>
/// Builds what the VM benchmarks run: the samples (JIT build and NativeAOT publish) and the native C baselines.
/// Everything lands under the repository (the guest sees the host's files at the same paths, but not the host's /tmp).
/// </summary>
internal sealed class BenchmarkArtifacts
{
    private BenchmarkArtifacts(string root) => RepositoryRoot = root;

    public string RepositoryRoot { get; }

    public string NativeDirectory => Path.Combine(RepositoryRoot, "artifacts", "native");

    /// <summary>The C reference gadget (tests/UsbGadget.Benchmarks/native/ffs-reference.c).</summary>
    public string FfsReference => Path.Combine(NativeDirectory, "ffs-reference");

    /// <summary>The asynchronous libusb host-side client (tests/UsbGadget.Benchmarks/native/usb-bench-host.c).</summary>
    public string UsbBenchHost => Path.Combine(NativeDirectory, "usb-bench-host");

    /// <summary>The pipeline benchmark's C baseline (tests/UsbGadget.Benchmarks/native/aio-loop.c).</summary>
    public string AioLoop => Path.Combine(NativeDirectory, "aio-loop");

    public string UsbGadgetScript => Path.Combine(RepositoryRoot, "configfs-scripts", "usb-gadget.sh");

    public string GuestScript(string name) => Path.Combine(RepositoryRoot, "tests", "UsbGadget.Benchmarks", "vm", name);

    public string JitDll(string sample) => Path.Combine(RepositoryRoot, "gadgets", sample, "bin", "Release", "net10.0", sample + ".dll");

    public string NativeAotExecutable(string sample) => Path.Combine(RepositoryRoot, "artifacts", "nativeaot", sample, sample);

    /// <summary>The framework's benchmark gadget (tests/UsbGadget.Benchmarks.Gadget), published with NativeAOT.</summary>
    public string BenchmarkGadget => NativeAotExecutable(BenchmarkGadgetName);

    public const string BenchmarkGadgetName = "UsbGadget.Benchmarks.Gadget";

    public string OutputDirectory => Path.Combine(RepositoryRoot, "artifacts", "benchmarks");

    public static BenchmarkArtifacts Locate() => new(RepositoryLayout.FindRoot("UsbGadget.sln"));

    /// <summary>Builds the native tools and each sample as JIT and NativeAOT (incremental after the first time).</summary>
    public async Task BuildAsync(IEnumerable<string> samples, bool nativeAot, TextWriter log)
    {
        log.WriteLine("== building the C baselines (make -C tests/UsbGadget.Benchmarks/native)");
        await MakeNativeAsync();
        foreach (string sample in samples)
        {
            string project = Path.Combine(RepositoryRoot, "gadgets", sample, sample + ".csproj");
            log.WriteLine($"== building {sample} (JIT)");
            await GadgetBuild.BuildAsync(project);
            if (nativeAot)
            {
                log.WriteLine($"== publishing {sample} with NativeAOT (about a minute the first time)");
                await GadgetBuild.PublishNativeAotAsync(project, Path.GetDirectoryName(NativeAotExecutable(sample))!);
            }
        }
    }

    /// <summary>Publishes tests/UsbGadget.Benchmarks.Gadget with NativeAOT (incremental after the first time).</summary>
    public async Task PublishBenchmarkGadgetAsync(TextWriter log)
    {
        log.WriteLine($"== publishing {BenchmarkGadgetName} with NativeAOT");
        string project = Path.Combine(RepositoryRoot, "tests", BenchmarkGadgetName, BenchmarkGadgetName + ".csproj");
        await GadgetBuild.PublishNativeAotAsync(project, Path.GetDirectoryName(BenchmarkGadget)!);
    }

    /// <summary>Builds the C programs under tests/UsbGadget.Benchmarks/native into <see cref="NativeDirectory"/>.</summary>
    public async Task MakeNativeAsync()
    {
        HostCommandResult make = await HostCommand.RunAsync(
            "make", ["-s", "-C", Path.Combine(RepositoryRoot, "tests", "UsbGadget.Benchmarks", "native"), $"OUT={NativeDirectory}"], TimeSpan.FromMinutes(5));
        if (!make.Succeeded)
        {
            throw new InvalidOperationException(
                $"Building the C baselines failed; they need gcc, make, pkg-config and libusb-1.0-0-dev (apt-get install gcc make pkg-config libusb-1.0-0-dev).{Environment.NewLine}{make.Describe()}");
        }
    }
}
