using System.Collections.Concurrent;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>How a sample is built for a test: the ordinary JIT build, or a NativeAOT publish for linux-x64.</summary>
public enum SampleBuild
{
    /// <summary><c>dotnet Sample.dll</c> from the solution's build output.</summary>
    Jit,

    /// <summary>The single native executable from <c>dotnet publish -r linux-x64 -p:PublishAot=true</c>.</summary>
    NativeAot,

    /// <summary>
    /// The single native executable from <c>dotnet publish -r linux-arm64 -p:PublishAot=true</c>, as README tells a
    /// Raspberry Pi user; only the arm64 VM runs it.
    /// </summary>
    NativeAotArm64,
}

/// <summary>Locates a sample gadget's build output (the guest sees the host's files at the same paths) and starts it in the VM.</summary>
internal static class Sample
{
    public static string RepositoryRoot { get; } = RepositoryLayout.FindRoot("UsbGadget.sln");

    // The samples are built with the configuration the tests were built with: .../bin/<Configuration>/net10.0/.
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>The built sample's dll; <c>dotnet test UsbGadget.sln</c> builds the samples with the tests.</summary>
    public static string Dll(string name)
    {
        string path = Path.Combine(RepositoryRoot, "gadgets", name, "bin", Configuration, "net10.0", name + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Sample {name} is not built at {path}: run 'dotnet build gadgets/{name} -c {Configuration}'.", path);
    }

    /// <summary>A host-side companion script of a sample (gadgets/NAME/host/...).</summary>
    public static string HostScript(string sample, string script) => Path.Combine(RepositoryRoot, "gadgets", sample, "host", script);

    /// <summary>Starts the sample, built as <paramref name="build"/> says, as the gadget would run on a board: root, no arguments.</summary>
    public static GuestProcess Start(GadgetVm vm, string name, SampleBuild build, string? stdinCommand = null, params (string Name, string Value)[] environment) =>
        Start(vm, name, build, stdinCommand, wrapper: null, environment);

    /// <summary>Starts the sample behind <paramref name="wrapper"/>, a command prefix such as <c>setpriv --reuid=65534 ...</c>.</summary>
    public static GuestProcess StartWrapped(GadgetVm vm, string name, SampleBuild build, string wrapper, params (string Name, string Value)[] environment) =>
        Start(vm, name, build, stdinCommand: null, wrapper, environment);

    private static GuestProcess Start(GadgetVm vm, string name, SampleBuild build, string? stdinCommand, string? wrapper, (string Name, string Value)[] environment)
    {
        (string command, GuestCommandOptions options) = Command(name, build, environment);
        if (wrapper is not null)
        {
            command = $"{wrapper} {command}";
        }
        if (stdinCommand is not null)
        {
            command = $"{stdinCommand} | {command}";
        }
        return vm.StartProcess(command, options);
    }

    /// <summary>
    /// The shell command that runs the sample as <c>Start</c> does, and the options to run it with (working directory,
    /// environment), for a test that builds its own command line around it.
    /// </summary>
    public static (string Command, GuestCommandOptions Options) Command(string name, SampleBuild build, params (string Name, string Value)[] environment)
    {
        string program = build switch
        {
            SampleBuild.Jit => Dll(name),
            SampleBuild.NativeAotArm64 => NativeExecutable(name, "linux-arm64"),
            _ => NativeExecutable(name),
        };
        string command = build == SampleBuild.Jit ? GuestShell.Join(["dotnet", program]) : GuestShell.Quote(program);
        var options = new GuestCommandOptions { WorkingDirectory = Path.GetDirectoryName(program)! };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Logging__Console__FormatterName"] = "simple";
        options.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach ((string variable, string value) in environment)
        {
            options.Environment[variable] = value;
        }
        return (command, options);
    }

    /// <summary>Publishes the sample with NativeAOT (once per test run) and returns its executable.</summary>
    /// <remarks>
    /// The output goes to artifacts/nativeaot/NAME under the repository, which the guest sees through the shared root
    /// (the host's /tmp would be hidden by the guest's tmpfs). A second run republishes incrementally.
    /// </remarks>
    public static string NativeExecutable(string name, string runtimeIdentifier = "linux-x64") =>
        s_nativePublishes.GetOrAdd((name, runtimeIdentifier), static key => new Lazy<string>(() => PublishNativeAot(key.Name, key.RuntimeIdentifier))).Value;

    private static readonly ConcurrentDictionary<(string Name, string RuntimeIdentifier), Lazy<string>> s_nativePublishes = new();

    private static string PublishNativeAot(string name, string runtimeIdentifier) =>
        GadgetBuild.PublishNativeAotAsync(
            Path.Combine(RepositoryRoot, "gadgets", name, name + ".csproj"),
            // linux-x64 keeps its old place (artifacts/nativeaot/NAME), which other tools use.
            runtimeIdentifier == "linux-x64"
                ? Path.Combine(RepositoryRoot, "artifacts", "nativeaot", name)
                : Path.Combine(RepositoryRoot, "artifacts", $"nativeaot-{runtimeIdentifier}", name),
            Configuration,
            runtimeIdentifier).GetAwaiter().GetResult();

    /// <summary>Stops the gadget with SIGTERM and checks it exited 0 and left no configfs gadget and no FunctionFS mount behind.</summary>
    public static async Task AssertStopsCleanlyAsync(GadgetVm vm, GuestProcess gadget)
    {
        GuestCommandResult stopped = await gadget.StopAsync(TimeSpan.FromSeconds(10));
        Assert.True(stopped.ExitCode == 0,
            $"the gadget exited with {stopped.ExitCode} on SIGTERM (after {stopped.Duration.TotalSeconds:0.0} s in all), not 0.{Environment.NewLine}{gadget.DescribeOutput()}");
        GuestCommandResult leftovers = await vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.True(leftovers.StandardOutput.Trim().Length == 0, $"left behind after SIGTERM:{Environment.NewLine}{leftovers.StandardOutput}");
    }
}
