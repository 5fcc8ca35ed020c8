namespace UsbGadget.Testing;

/// <summary>Reads <c>modules.dep</c> and orders modules so each loads after its dependencies.</summary>
internal sealed class KernelModules
{
    private readonly Dictionary<string, (string Path, string[] Dependencies)> _byName;
    private readonly HashSet<string> _builtIn;
    private readonly string _kernel;

    private KernelModules(Dictionary<string, (string, string[])> byName, HashSet<string> builtIn, string kernel)
    {
        _byName = byName;
        _builtIn = builtIn;
        _kernel = kernel;
    }

    /// <summary>Parses the text of a <c>modules.dep</c> file ("path: dep-path dep-path ...") and of <c>modules.builtin</c> (one path a line).</summary>
    /// <param name="modulesDep">The text of <c>modules.dep</c>.</param>
    /// <param name="modulesBuiltin">The text of <c>modules.builtin</c>: modules compiled into the kernel, which need no loading.</param>
    /// <param name="kernel">The kernel's name for error messages.</param>
    public static KernelModules Parse(string modulesDep, string modulesBuiltin = "", string kernel = "the VM kernel")
    {
        var builtIn = new HashSet<string>(
            modulesBuiltin.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(NameOf),
            StringComparer.Ordinal);
        var byName = new Dictionary<string, (string, string[])>(StringComparer.Ordinal);
        foreach (string rawLine in modulesDep.Split('\n'))
        {
            string line = rawLine.Trim();
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string path = line[..colon];
            string[] dependencies = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(NameOf).ToArray();
            byName[NameOf(path)] = (path, dependencies);
        }

        return new KernelModules(byName, builtIn, kernel);
    }

    /// <summary>The module name of a path such as <c>kernel/drivers/usb/gadget/udc/udc-core.ko</c>, normalised to underscores.</summary>
    public static string NameOf(string path)
    {
        string file = path[(path.LastIndexOf('/') + 1)..];
        int dot = file.IndexOf(".ko", StringComparison.Ordinal);
        return Normalize(dot < 0 ? file : file[..dot]);
    }

    /// <summary>The kernel treats '-' and '_' in module names alike.</summary>
    public static string Normalize(string name) => name.Replace('-', '_');

    public bool Contains(string name) => _byName.ContainsKey(Normalize(name));

    /// <summary>Whether the module is compiled into the kernel (listed in <c>modules.builtin</c>), so there is nothing to load.</summary>
    public bool IsBuiltIn(string name) => _builtIn.Contains(Normalize(name)) && !_byName.ContainsKey(Normalize(name));

    /// <summary>The path (relative to the modules directory) of a module.</summary>
    public string PathOf(string name) =>
        _byName.TryGetValue(Normalize(name), out (string Path, string[] Dependencies) entry)
            ? entry.Path
            : throw Missing(name);

    /// <summary>
    /// The wanted modules and everything they depend on, dependencies first (depth-first post-order, so
    /// e.g. virtio_ring precedes virtio). Wanted modules keep their relative order otherwise.
    /// Built-in modules (<c>modules.builtin</c>) are left out: the kernel has them already.
    /// </summary>
    public IReadOnlyList<string> LoadOrder(IEnumerable<string> wanted)
    {
        var order = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in wanted)
        {
            Visit(Normalize(name));
        }

        return order;

        void Visit(string name)
        {
            if (done.Contains(name) || IsBuiltIn(name))
            {
                return;
            }

            if (!visiting.Add(name))
            {
                throw new GadgetVmException($"modules.dep has a dependency cycle through '{name}'.");
            }

            if (!_byName.TryGetValue(name, out (string Path, string[] Dependencies) entry))
            {
                throw Missing(name);
            }

            // modules.dep lists the deepest dependency last; visiting from the end loads it first.
            for (int i = entry.Dependencies.Length - 1; i >= 0; i--)
            {
                Visit(entry.Dependencies[i]);
            }

            visiting.Remove(name);
            done.Add(name);
            order.Add(name);
        }
    }

    private GadgetVmException Missing(string name) =>
        new($"The kernel {_kernel} has no module '{name}': it is neither in modules.dep nor built in (modules.builtin). " +
            "Check the name, or pick a kernel flavour that has it (the generic amd64 flavour has every module the harness needs; cloud flavours lack dummy_hcd).");
}
