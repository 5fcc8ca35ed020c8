using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using UsbGadget.ConfigFs;

namespace UsbGadget.Hosting;

/// <summary>Maps validated <see cref="KernelFunctionsOptions"/> to configfs function definitions and orders the gadget's functions.</summary>
internal static class KernelFunctionMap
{
    public static string TypeOf(NetworkKind kind) => kind switch
    {
        NetworkKind.Ecm => "ecm",
        NetworkKind.Rndis => "rndis",
        _ => "ncm",
    };

    /// <summary>Every kernel function as a definition, in the default order: serial, network, mass storage, HID, MIDI.</summary>
    public static List<FunctionDefinition> ToDefinitions(KernelFunctionsOptions options)
    {
        var functions = new List<FunctionDefinition>();
        functions.AddRange(options.Serial.Select(s => FunctionDefinition.Acm(s.Name)));
        foreach (NetworkFunctionOptions n in options.Network)
        {
            string? device = NullIfEmpty(n.DeviceAddress);
            string? host = NullIfEmpty(n.HostAddress);
            byte? qmult = (byte?)n.QueueMultiplier;
            functions.Add(n.Kind switch
            {
                NetworkKind.Ecm => FunctionDefinition.Ecm(n.Name, device, host, qmult),
                NetworkKind.Rndis => FunctionDefinition.Rndis(n.Name, device, host, qmult),
                _ => FunctionDefinition.Ncm(n.Name, device, host, qmult),
            });
        }
        foreach (MassStorageFunctionOptions m in options.MassStorage)
        {
            MassStorageLun[] luns = [.. m.Luns.Select(l => new MassStorageLun(NullIfEmpty(l.File))
            {
                ReadOnly = l.ReadOnly || l.CdRom,
                Removable = l.Removable,
                CdRom = l.CdRom,
                IgnoreForceUnitAccess = l.IgnoreForceUnitAccess,
                InquiryString = NullIfEmpty(l.InquiryString),
            })];
            functions.Add(FunctionDefinition.MassStorage(m.Name, luns, m.Stall));
        }
        foreach (HidDeviceOptions h in options.HidDevices)
        {
            _ = TryParseHex(h.ReportDescriptor ?? "", out byte[] descriptor, out _);
            FunctionDefinition hid = FunctionDefinition.Hid(h.Name, (byte)h.Protocol, (byte)h.SubClass, (ushort)h.ReportLength, descriptor);
            // Written only when asked for: kernels before 5.19 have no such attribute.
            functions.Add(h.NoOutEndpoint ? hid with { Attributes = [.. hid.Attributes, ConfigFsAttribute.Flag("no_out_endpoint", true)] } : hid);
        }
        functions.AddRange(options.Midi.Select(m => FunctionDefinition.Midi(
            m.Name, m.InPorts, m.OutPorts, m.CardIndex, NullIfEmpty(m.CardId), m.BufferLength, m.QueueLength)));
        return functions;
    }

    /// <summary>
    /// The gadget's functions in configuration order: the names in <paramref name="order"/> first, then FunctionFS
    /// functions as registered, then kernel functions in their default order.
    /// </summary>
    /// <exception cref="GadgetStartException">A name in <paramref name="order"/> names no function.</exception>
    public static IReadOnlyList<FunctionDefinition> Order(
        IReadOnlyList<string> functionFsNames, IReadOnlyList<string> functionFsInstances, IReadOnlyList<FunctionDefinition> kernelFunctions, IReadOnlyList<string> order)
    {
        // FunctionOrder names a FunctionFS function by its IGadgetFunction.Name, whatever instance name it was given.
        List<(string Name, FunctionDefinition Function)> all =
        [
            .. functionFsNames.Select((name, i) => (name, FunctionDefinition.FunctionFs(functionFsInstances[i]))),
            .. kernelFunctions.Select(function => (function.Instance, function)),
        ];
        var result = new List<FunctionDefinition>(all.Count);
        foreach (string name in order)
        {
            FunctionDefinition function = all.FirstOrDefault(f => f.Name == name).Function
                ?? throw new GadgetStartException(
                    $"KernelFunctions:FunctionOrder names '{name}', but the gadget has no function of that name; its functions are: {string.Join(", ", all.Select(f => f.Name))}.");
            result.Add(function);
        }
        result.AddRange(all.Select(f => f.Function).Where(f => !result.Contains(f)));
        return result;
    }

    /// <summary>Parses hex bytes, optionally separated by spaces, commas or '-', with or without 0x prefixes.</summary>
    public static bool TryParseHex(string text, out byte[] bytes, [NotNullWhen(false)] out string? error)
    {
        var result = new List<byte>();
        foreach (string token in text.Split([' ', ',', '-', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            string digits = token.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? token[2..] : token;
            if (digits.Length == 0 || digits.Length % 2 != 0)
            {
                bytes = [];
                error = $"has '{token}', which is not whole bytes of hex: write two hex digits per byte, such as \"05 01 09 06\".";
                return false;
            }
            for (int i = 0; i < digits.Length; i += 2)
            {
                if (!byte.TryParse(digits.AsSpan(i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value))
                {
                    bytes = [];
                    error = $"has '{token}', which is not hex: use the digits 0-9 and a-f, such as \"05 01 09 06\".";
                    return false;
                }
                result.Add(value);
            }
        }
        bytes = [.. result];
        error = bytes.Length == 0 ? "is empty; give the HID report descriptor's bytes." : null;
        return error is null;
    }

    /// <summary>Parses six hex pairs separated by ':' (the form the kernel's get_ether_addr_str reads), giving the first byte.</summary>
    public static bool TryParseMac(string text, out byte first)
    {
        first = 0;
        string[] parts = text.Split(':');
        if (parts.Length != 6)
        {
            return false;
        }
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value))
            {
                return false;
            }
            if (i == 0)
            {
                first = value;
            }
        }
        return true;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
