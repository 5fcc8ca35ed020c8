using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace UsbGadget.Hosting;

/// <summary>
/// Checks every kernel function's settings before anything reaches configfs, one line per wrong setting saying what is
/// wrong and how to fix it. The limits are the kernel's (drivers/usb/gadget/function/f_*.c, u_ether_configfs.h).
/// </summary>
internal sealed class KernelFunctionsOptionsValidator : IValidateOptions<KernelFunctionsOptions>
{
    private const int MaxLuns = 16;               // FSG_MAX_LUNS
    private const int MaxMidiPorts = 16;          // MAX_PORTS in f_midi.c
    private const int MaxAlsaCards = 32;          // SNDRV_CARDS
    private const int MaxInquiryLength = 28;      // vendor 8 + product 16 + revision 4
    private const int MaxFunctionDirectory = 39;  // configfs item name: MAX_NAME_LEN 40 with the NUL

    public ValidateOptionsResult Validate(string? name, KernelFunctionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>(options.UnreadableSettings);
        var names = new HashSet<string>(StringComparer.Ordinal);

        foreach (SerialFunctionOptions serial in options.Serial)
        {
            CheckName(problems, names, "Serial", "acm", serial.Name);
        }
        foreach (NetworkFunctionOptions network in options.Network)
        {
            string where = CheckName(problems, names, "Network", KernelFunctionMap.TypeOf(network.Kind), network.Name);
            if (!Enum.IsDefined(network.Kind))
            {
                problems.Add($"{where}: Kind {(int)network.Kind} is not a network kind: use Ncm, Ecm or Rndis.");
            }
            CheckMac(problems, where, nameof(network.DeviceAddress), network.DeviceAddress);
            CheckMac(problems, where, nameof(network.HostAddress), network.HostAddress);
            if (!string.IsNullOrEmpty(network.DeviceAddress) && string.Equals(network.DeviceAddress, network.HostAddress, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{where}: DeviceAddress and HostAddress are both {network.DeviceAddress}; the two ends of the link need different MAC addresses.");
            }
            if (network.QueueMultiplier is int qmult && qmult is < 1 or > 255)
            {
                problems.Add($"{where}: QueueMultiplier {qmult} is outside 1–255 (qmult is a byte; the kernel's default is 5).");
            }
        }
        foreach (MassStorageFunctionOptions storage in options.MassStorage)
        {
            string where = CheckName(problems, names, "MassStorage", "mass_storage", storage.Name);
            if (storage.Luns.Count is 0 or > MaxLuns)
            {
                problems.Add($"{where}: has {storage.Luns.Count} LUNs; give 1 to {MaxLuns}, each with the File behind it (Luns: [{{ \"File\": \"/srv/usb/disk.img\" }}]).");
            }
            for (int i = 0; i < storage.Luns.Count; i++)
            {
                CheckLun(problems, $"{where} Luns[{i}]", storage.Luns[i]);
            }
        }
        foreach (HidDeviceOptions hid in options.HidDevices)
        {
            string where = CheckName(problems, names, "HidDevices", "hid", hid.Name);
            if (string.IsNullOrWhiteSpace(hid.ReportDescriptor))
            {
                problems.Add($"{where}: ReportDescriptor is missing; give the HID report descriptor as hex bytes, such as \"05 01 09 06 a1 01 … c0\".");
            }
            else if (!KernelFunctionMap.TryParseHex(hid.ReportDescriptor, out _, out string? error))
            {
                problems.Add($"{where}: ReportDescriptor {error}");
            }
            if (hid.ReportLength is < 1 or > 1024)
            {
                problems.Add($"{where}: ReportLength {hid.ReportLength} is outside 1–1024 (it becomes the interrupt endpoints' wMaxPacketSize; a boot keyboard's is 8).");
            }
            CheckByte(problems, where, nameof(hid.Protocol), hid.Protocol, "1 keyboard, 2 mouse, 0 none");
            CheckByte(problems, where, nameof(hid.SubClass), hid.SubClass, "1 boot interface, 0 none");
        }
        foreach (MidiFunctionOptions midi in options.Midi)
        {
            string where = CheckName(problems, names, "Midi", "midi", midi.Name);
            if (midi.InPorts is < 1 or > MaxMidiPorts) { problems.Add($"{where}: InPorts {midi.InPorts} is outside 1–{MaxMidiPorts}."); }
            if (midi.OutPorts is < 1 or > MaxMidiPorts) { problems.Add($"{where}: OutPorts {midi.OutPorts} is outside 1–{MaxMidiPorts}."); }
            if (midi.CardIndex is int index && index is < 0 or >= MaxAlsaCards) { problems.Add($"{where}: CardIndex {index} is outside 0–{MaxAlsaCards - 1}; leave it empty for the first free card."); }
            if (midi.CardId is { Length: > 0 } id && (id.Length > 15 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
            {
                problems.Add($"{where}: CardId '{id}' must be up to 15 ASCII letters, digits or '_' (an ALSA card id).");
            }
            if (midi.BufferLength is int buflen && buflen is < 1 or > 65536) { problems.Add($"{where}: BufferLength {buflen} is outside 1–65536 bytes."); }
            if (midi.QueueLength is int qlen && qlen is < 1 or > 1024) { problems.Add($"{where}: QueueLength {qlen} is outside 1–1024."); }
        }

        var ordered = new HashSet<string>(StringComparer.Ordinal);
        foreach (string entry in options.FunctionOrder)
        {
            if (!ordered.Add(entry))
            {
                problems.Add($"KernelFunctions:FunctionOrder lists '{entry}' twice; name each function once.");
            }
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static string CheckName(List<string> problems, HashSet<string> names, string kind, string type, string? name)
    {
        string where = $"KernelFunctions:{kind} '{name}'";
        if (string.IsNullOrEmpty(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            problems.Add($"{where}: Name must be letters, digits, '-' or '_' (it names the configfs instance {type}.<Name>).");
        }
        else if (type.Length + 1 + name.Length > MaxFunctionDirectory)
        {
            problems.Add($"{where}: Name is too long; '{type}.{name}' may have at most {MaxFunctionDirectory} characters.");
        }
        else if (!names.Add(name))
        {
            problems.Add($"{where}: another kernel function is named '{name}' too; give each function its own Name.");
        }
        return where;
    }

    private static void CheckMac(List<string> problems, string where, string setting, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }
        if (!KernelFunctionMap.TryParseMac(value, out byte first))
        {
            problems.Add($"{where}: {setting} '{value}' is not a MAC address: write six hex pairs separated by ':', such as 02:00:00:00:00:01.");
        }
        else if ((first & 1) != 0)
        {
            problems.Add($"{where}: {setting} '{value}' is a multicast address (the first byte is odd); use a locally administered unicast one such as 02:00:00:00:00:01.");
        }
    }

    private static void CheckByte(List<string> problems, string where, string setting, int value, string meaning)
    {
        if (value is < 0 or > 255)
        {
            problems.Add($"{where}: {setting} {value} is outside 0–255 ({meaning}).");
        }
    }

    private static void CheckLun(List<string> problems, string where, MassStorageLunOptions lun)
    {
        if (string.IsNullOrEmpty(lun.File))
        {
            if (!lun.Removable)
            {
                problems.Add($"{where}: File is missing; a fixed (Removable: false) drive needs the image file or block device behind it.");
            }
        }
        else if (!Path.IsPathFullyQualified(lun.File))
        {
            problems.Add($"{where}: File '{lun.File}' is not an absolute path; the kernel opens it from its own root, so write the full path.");
        }
        else if (Directory.Exists(lun.File))
        {
            problems.Add($"{where}: File '{lun.File}' is a directory; give an image file (make one with 'truncate -s 64M {lun.File.TrimEnd('/')}.img' and 'mkfs.vfat' it) or a block device.");
        }
        else if (!File.Exists(lun.File))
        {
            problems.Add($"{where}: File '{lun.File}' does not exist; create the image first (for example 'truncate -s 64M {lun.File}' then 'mkfs.vfat {lun.File}').");
        }
        if (lun.InquiryString is { } inquiry && (inquiry.Length > MaxInquiryLength || !Ascii.IsValid(inquiry)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{where}: InquiryString '{inquiry}' must be at most {MaxInquiryLength} ASCII characters (vendor 8, product 16, revision 4)."));
        }
    }
}
