using System.Globalization;
using System.Text;

namespace UsbGadget.ConfigFs;

/// <summary>Mount options of a FunctionFS instance (see <c>ffs_fs_parse_param</c> in f_fs.c).</summary>
public sealed record FunctionFsMountOptions
{
    /// <summary>Owner of the ep files, or null for root.</summary>
    /// <remarks>Defaults to null.</remarks>
    public uint? Uid { get; init; }

    /// <summary>Group of the ep files, or null for root.</summary>
    /// <remarks>Defaults to null.</remarks>
    public uint? Gid { get; init; }

    /// <summary>Mode of the root directory and of the files (<c>mode=</c>), or null for the kernel's default.</summary>
    /// <remarks>Defaults to null.</remarks>
    public uint? Mode { get; init; }

    /// <summary>Mode of the root directory only (<c>rmode=</c>), or null.</summary>
    /// <remarks>Defaults to null.</remarks>
    public uint? RootMode { get; init; }

    /// <summary>Mode of ep0 and the epN files (<c>fmode=</c>), or null.</summary>
    /// <remarks>Defaults to null.</remarks>
    public uint? FileMode { get; init; }

    /// <summary>Keep the function alive when ep0 is closed (<c>no_disconnect=1</c>).</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool NoDisconnect { get; init; }

    /// <summary>The data string passed to mount(2), or null when every option is at its default.</summary>
    public string? ToMountData()
    {
        var parts = new List<string>();
        if (Uid is uint uid) { parts.Add(string.Create(CultureInfo.InvariantCulture, $"uid={uid}")); }
        if (Gid is uint gid) { parts.Add(string.Create(CultureInfo.InvariantCulture, $"gid={gid}")); }
        if (Mode is uint mode) { parts.Add(Octal("mode", mode)); }
        if (RootMode is uint rmode) { parts.Add(Octal("rmode", rmode)); }
        if (FileMode is uint fmode) { parts.Add(Octal("fmode", fmode)); }
        if (NoDisconnect) { parts.Add("no_disconnect=1"); }
        return parts.Count == 0 ? null : string.Join(',', parts);
    }

    // Newer kernels parse the modes as octal (fsparam_u32oct); 6.1 parses them with fsparam_u32, base 0, where "550" is
    // decimal (it mounted the root as 0044, seen in the VM). A leading 0 means octal to both.
    private static string Octal(string name, uint value)
    {
        var sb = new StringBuilder(name).Append("=0");
        sb.Append(Convert.ToString(value, 8));
        return sb.ToString();
    }
}
