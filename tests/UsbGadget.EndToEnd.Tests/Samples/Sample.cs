using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>Locates a sample gadget's build output (the guest sees the host's files at the same paths) and starts it in the VM.</summary>
internal static class Sample
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

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

    /// <summary>Starts the sample as the gadget would run on a board: root, no arguments, with extra shell redirections if given.</summary>
    public static GuestProcess Start(GadgetVm vm, string name, string? stdinCommand = null, params string[] arguments)
    {
        string command = GuestShell.Join(["dotnet", Dll(name), .. arguments]);
        if (stdinCommand is not null)
        {
            command = $"{stdinCommand} | {command}";
        }
        var options = new GuestCommandOptions { WorkingDirectory = Path.GetDirectoryName(Dll(name))! };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Logging__Console__FormatterName"] = "simple";
        return vm.StartProcess(command, options);
    }

    private static string FindRepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "UsbGadget.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException($"UsbGadget.sln not found above {AppContext.BaseDirectory}.");
    }
}
