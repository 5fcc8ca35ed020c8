namespace UsbGadget.ConfigFs;

/// <summary>Finds USB device controllers and which gadget holds one.</summary>
internal sealed class UdcDirectory
{
    private readonly ConfigFsOptions _options;
    private readonly IConfigFsIo _io;

    public UdcDirectory(ConfigFsOptions options, IConfigFsIo io)
    {
        _options = options;
        _io = io;
    }

    /// <summary>The UDC names in /sys/class/udc, sorted; empty when the directory does not exist.</summary>
    public IReadOnlyList<string> List() =>
        _io.DirectoryExists(_options.UdcClassPath)
            ? _io.List(_options.UdcClassPath).Select(e => e.Name).ToList()
            : [];

    /// <summary>The configured UDC if it exists, else the only one present; otherwise an error that lists them.</summary>
    public string Select()
    {
        IReadOnlyList<string> udcs = List();
        if (_options.UdcName is { } wanted)
        {
            return udcs.Contains(wanted, StringComparer.Ordinal)
                ? wanted
                : throw ConfigFsErrors.UdcNotFound(wanted, _options.UdcClassPath, udcs);
        }
        return udcs.Count switch
        {
            0 => throw ConfigFsErrors.NoUdc(_options.UdcClassPath),
            1 => udcs[0],
            _ => throw ConfigFsErrors.UdcAmbiguous(udcs),
        };
    }

    /// <summary>
    /// Who holds <paramref name="udc"/>, other than <paramref name="exceptGadget"/>: a configfs gadget whose UDC file names it,
    /// else the driver named by the UDC's <c>function</c> attribute (legacy gadgets such as g_ether show up there only).
    /// </summary>
    /// <returns>The holder and, for a configfs gadget, its UDC file; null when the UDC is free.</returns>
    public (string Holder, string? UdcFile)? FindHolder(string udc, string exceptGadget)
    {
        if (_io.DirectoryExists(_options.GadgetsPath))
        {
            foreach (ConfigFsEntry gadget in _io.List(_options.GadgetsPath))
            {
                if (gadget.Kind != ConfigFsEntryKind.Directory || gadget.Name == exceptGadget)
                {
                    continue;
                }
                string udcFile = Path.Combine(gadget.FullPath, "UDC");
                if (TryRead(udcFile) == udc)
                {
                    return (gadget.Name, udcFile);
                }
            }
        }
        string? function = TryRead(Path.Combine(_options.UdcClassPath, udc, "function"));
        return string.IsNullOrEmpty(function) || function == exceptGadget ? null : (function, null);
    }

    private string? TryRead(string path)
    {
        try
        {
            return _io.EntryExists(path) ? _io.ReadAttribute(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
