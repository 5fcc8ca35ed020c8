using System.Globalization;
using System.Text.RegularExpressions;

namespace UsbGadget.Testing;

/// <summary>Which kernel the VM boots: parsed from <see cref="GadgetVmOptions.Kernel"/> or <c>USBGADGET_VM_KERNEL</c>.</summary>
internal abstract partial record KernelChoice
{
    /// <summary>The environment variable read when <see cref="GadgetVmOptions.Kernel"/> is not set.</summary>
    public const string EnvironmentVariable = "USBGADGET_VM_KERNEL";

    private KernelChoice()
    {
    }

    /// <summary>Debian stable's kernel: the package the machine's <c>linux-image-amd64</c> depends on.</summary>
    public sealed record Stable : KernelChoice
    {
        public override string ToString() => "stable";
    }

    /// <summary>The newest package of a series (<c>6.12</c>) found in the kernel suites.</summary>
    public sealed record Series(int Major, int Minor) : KernelChoice
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");
    }

    /// <summary>A kernel image <c>.deb</c> on disk.</summary>
    public sealed record DebFile(string Path) : KernelChoice
    {
        public override string ToString() => Path;
    }

    /// <summary>
    /// Parses a kernel choice: empty or <c>stable</c>, a series <c>MAJOR.MINOR</c>, or a path ending in <c>.deb</c>.
    /// </summary>
    /// <param name="value">The text; <see langword="null"/> or empty means stable.</param>
    /// <param name="source">Where the text came from, for the error message.</param>
    /// <returns>The choice.</returns>
    /// <exception cref="GadgetVmException">The text is none of the three forms, or the <c>.deb</c> does not exist.</exception>
    public static KernelChoice Parse(string? value, string source)
    {
        string text = value?.Trim() ?? "";
        if (text.Length == 0 || text.Equals("stable", StringComparison.OrdinalIgnoreCase))
        {
            return new Stable();
        }

        Match series = SeriesPattern().Match(text);
        if (series.Success)
        {
            return new Series(int.Parse(series.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(series.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        if (text.EndsWith(".deb", StringComparison.Ordinal))
        {
            string path = System.IO.Path.GetFullPath(text);
            return File.Exists(path)
                ? new DebFile(path)
                : throw new GadgetVmException($"{source}: the kernel package '{path}' does not exist.");
        }

        throw new GadgetVmException(
            $"{source}: '{text}' is not a kernel choice. Use 'stable' (Debian stable's kernel), a series such as 6.1, 6.12 or 6.18, or the path of a kernel image .deb.");
    }

    [GeneratedRegex(@"^([0-9]+)\.([0-9]+)$")]
    private static partial Regex SeriesPattern();
}

/// <summary>A Debian kernel image package name taken apart, e.g. <c>linux-image-6.12.90+deb12.1-amd64</c>.</summary>
/// <param name="Name">The package name.</param>
/// <param name="Version">Upstream version plus Debian ABI/revision numbers, for ordering: 6.1.0-57 → 6.1.0.57; 6.12.90+deb12.1 → 6.12.90.0.12.1.</param>
internal sealed partial record DebianKernelPackage(string Name, int[] Version)
{
    /// <summary>The series, e.g. <c>6.12</c>.</summary>
    public string Series => string.Create(CultureInfo.InvariantCulture, $"{Version[0]}.{Version[1]}");

    /// <summary>
    /// Parses the plain-flavour image package of an architecture (<c>linux-image-…-amd64</c>, not <c>-cloud-amd64</c>,
    /// <c>-rt-amd64</c>, <c>-amd64-unsigned</c> or <c>-dbg</c>).
    /// </summary>
    /// <param name="name">A package name.</param>
    /// <param name="flavour">The flavour suffix, e.g. <c>amd64</c> or <c>arm64</c>.</param>
    /// <param name="package">The parsed package.</param>
    /// <returns>Whether the name is such a package.</returns>
    public static bool TryParse(string name, string flavour, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DebianKernelPackage? package)
    {
        package = null;
        if (!name.EndsWith("-" + flavour, StringComparison.Ordinal))
        {
            return false;
        }

        Match match = NamePattern().Match(name[..^(flavour.Length + 1)]);
        if (!match.Success)
        {
            return false;
        }

        int[] version =
        [
            Number(match.Groups["major"]), Number(match.Groups["minor"]), Number(match.Groups["patch"]), Number(match.Groups["abi"]),
            Number(match.Groups["deb"]), Number(match.Groups["rebuild"]),
        ];
        package = new DebianKernelPackage(name, version);
        return true;

        static int Number(Group group) => group.Success ? int.Parse(group.Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Orders packages oldest first.</summary>
    public static int Compare(DebianKernelPackage x, DebianKernelPackage y)
    {
        for (int i = 0; i < x.Version.Length; i++)
        {
            int c = x.Version[i].CompareTo(y.Version[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    [GeneratedRegex(@"^linux-image-(?<major>[0-9]+)\.(?<minor>[0-9]+)\.(?<patch>[0-9]+)(?:-(?<abi>[0-9]+))?(?:\+deb(?<deb>[0-9]+)(?:\.(?<rebuild>[0-9]+))?)?$")]
    private static partial Regex NamePattern();
}
