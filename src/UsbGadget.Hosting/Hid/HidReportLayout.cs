using System.Globalization;

namespace UsbGadget.Hosting.Hid;

/// <summary>
/// The reports a HID report descriptor declares, and their lengths on the wire, read from its items
/// (HID 1.11 §6.2.2): each Input, Output or Feature main item adds Report Size × Report Count bits to the report
/// whose Report ID is current. A report's length is its bits rounded up to bytes, plus the ID byte when it has an ID.
/// </summary>
internal sealed class HidReportLayout
{
    // Short item prefixes with the size bits masked off (HID 1.11 §6.2.2.2): bTag in bits 7..4, bType in bits 3..2.
    private const byte InputItem = 0x80;
    private const byte OutputItem = 0x90;
    private const byte FeatureItem = 0xB0;
    private const byte CollectionItem = 0xA0;
    private const byte EndCollectionItem = 0xC0;
    private const byte ReportSizeItem = 0x74;
    private const byte ReportIdItem = 0x84;
    private const byte ReportCountItem = 0x94;
    private const byte PushItem = 0xA4;
    private const byte PopItem = 0xB4;
    private const byte LongItemPrefix = 0xFE;

    private readonly Dictionary<(HidReportType Type, byte Id), int> _lengths;

    private HidReportLayout(Dictionary<(HidReportType, byte), int> lengths, bool usesReportIds)
    {
        _lengths = lengths;
        UsesReportIds = usesReportIds;
        MaxInputLength = MaxLength(HidReportType.Input);
        MaxOutputLength = MaxLength(HidReportType.Output);
    }

    /// <summary>Whether the descriptor has Report ID items: every report then starts with its ID byte.</summary>
    public bool UsesReportIds { get; }

    /// <summary>The longest input report in bytes, ID byte included.</summary>
    public int MaxInputLength { get; }

    /// <summary>The longest output report in bytes, ID byte included; 0 when there is none.</summary>
    public int MaxOutputLength { get; }

    /// <summary>Every declared report: its type, ID (0 without IDs) and length in bytes, ID byte included.</summary>
    public IEnumerable<(HidReportType Type, byte Id, int Length)> Reports =>
        _lengths.OrderBy(r => r.Key.Type).ThenBy(r => r.Key.Id).Select(r => (r.Key.Type, r.Key.Id, r.Value));

    /// <summary>The length of a declared report, or 0 when the descriptor declares no such report.</summary>
    public int LengthOf(HidReportType type, byte id) => _lengths.GetValueOrDefault((type, id));

    /// <summary>Reads a report descriptor.</summary>
    /// <exception cref="FormatException">The descriptor is malformed; the message says where and how.</exception>
    public static HidReportLayout Parse(ReadOnlySpan<byte> descriptor)
    {
        if (descriptor.IsEmpty)
        {
            throw new FormatException("the report descriptor is empty.");
        }

        var bits = new Dictionary<(HidReportType, byte), long>();
        var pushed = new Stack<(long Size, long Count, byte Id)>();
        long reportSize = 0, reportCount = 0;
        byte reportId = 0;
        bool usesReportIds = false;
        int collections = 0;
        int offset = 0;
        while (offset < descriptor.Length)
        {
            byte prefix = descriptor[offset];
            if (prefix == LongItemPrefix)
            {
                // Long item: bDataSize, bLongItemTag, data. None is defined; skip it whole.
                if (offset + 2 >= descriptor.Length || offset + 3 + descriptor[offset + 1] > descriptor.Length)
                {
                    throw Malformed(offset, prefix, "is a long item that runs past the end of the descriptor");
                }

                offset += 3 + descriptor[offset + 1];
                continue;
            }

            int size = (prefix & 0x03) == 3 ? 4 : prefix & 0x03;
            if (offset + 1 + size > descriptor.Length)
            {
                throw Malformed(offset, prefix, $"needs {size} data byte(s), but the descriptor ends after {descriptor.Length - offset - 1}");
            }

            uint data = 0;
            for (int i = size - 1; i >= 0; i--)
            {
                data = (data << 8) | descriptor[offset + 1 + i];
            }

            switch ((byte)(prefix & 0xFC))
            {
                case InputItem:
                    Add(HidReportType.Input);
                    break;
                case OutputItem:
                    Add(HidReportType.Output);
                    break;
                case FeatureItem:
                    Add(HidReportType.Feature);
                    break;
                case CollectionItem:
                    collections++;
                    break;
                case EndCollectionItem:
                    if (--collections < 0)
                    {
                        throw Malformed(offset, prefix, "is an End Collection without a Collection");
                    }
                    break;
                case ReportSizeItem:
                    reportSize = data;
                    break;
                case ReportCountItem:
                    reportCount = data;
                    break;
                case ReportIdItem:
                    if (data is 0 or > byte.MaxValue)
                    {
                        throw Malformed(offset, prefix, $"sets Report ID {data}; IDs are 1..255 (0 is reserved)");
                    }

                    reportId = (byte)data;
                    usesReportIds = true;
                    break;
                case PushItem:
                    pushed.Push((reportSize, reportCount, reportId));
                    break;
                case PopItem:
                    if (!pushed.TryPop(out var state))
                    {
                        throw Malformed(offset, prefix, "is a Pop without a Push");
                    }

                    (reportSize, reportCount, reportId) = state;
                    break;
            }

            offset += 1 + size;
        }

        if (collections != 0)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"the report descriptor leaves {collections} collection(s) open: add End Collection (0xC0) for each."));
        }

        var lengths = new Dictionary<(HidReportType Type, byte Id), int>();
        foreach (((HidReportType type, byte id), long reportBits) in bits)
        {
            long bytes = (reportBits + 7) / 8 + (id == 0 ? 0 : 1);
            if (bytes > ushort.MaxValue)
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{type} report {id} is {bytes} bytes long; a report fits a control transfer, at most 65535 bytes."));
            }

            lengths[(type, id)] = (int)bytes;
        }

        if (usesReportIds && lengths.Keys.Any(k => k.Id == 0))
        {
            throw new FormatException("the report descriptor declares reports both with and without a Report ID: once one report has an ID, every report needs one (put a Report ID item, 0x85 ID, before the first main item).");
        }

        return new HidReportLayout(lengths, usesReportIds);

        void Add(HidReportType type)
        {
            long added = reportSize * reportCount;
            if (added > 0)
            {
                bits[(type, reportId)] = bits.GetValueOrDefault((type, reportId)) + added;
            }
        }
    }

    private int MaxLength(HidReportType type) => _lengths.Where(r => r.Key.Type == type).Select(r => r.Value).DefaultIfEmpty(0).Max();

    private static FormatException Malformed(int offset, byte prefix, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"the report descriptor is malformed: the item at byte {offset} (0x{prefix:X2}) {problem}."));
}
