using System.Globalization;
using UsbGadget.Descriptors;

namespace UsbGadget.ConfigFs;

/// <summary>
/// The endpoints a USB device controller offers, and a replay of how the kernel hands them out when a gadget binds, so
/// that a gadget asking for more than the controller has is refused with its budget and each function's need before
/// anything reaches configfs, instead of the kernel's bare ENOTSUPP (or, since Linux 5.19, EBUSY) at bind time.
/// </summary>
/// <remarks>
/// The replay follows <c>usb_ep_autoconfig_ss</c> (drivers/usb/gadget/epautoconf.c) and <c>usb_gadget_ep_match_desc</c>
/// (udc/core.c): each function, in configuration order, asks for its endpoints in its driver's order; each gets the
/// first unclaimed endpoint of the controller's list whose direction, type and packet-size limit fit. Endpoints whose
/// name carries no number ("ep-a…") are numbered from a counter per direction that may not pass 15.
/// Only controllers whose endpoint list is fixed and known are modelled: see <see cref="ForUdc"/>.
/// </remarks>
public sealed class UdcEndpointBudget
{
    private readonly IReadOnlyList<UdcEndpoint> _endpoints;

    private UdcEndpointBudget(string name, string summary, IReadOnlyList<UdcEndpoint> endpoints)
    {
        Name = name;
        Summary = summary;
        _endpoints = endpoints;
    }

    /// <summary>The controller model, such as <c>dummy_udc</c> or <c>dwc2 (Raspberry Pi)</c>.</summary>
    public string Name { get; }

    /// <summary>What the controller offers, in a few words: counts per direction and the types they take.</summary>
    public string Summary { get; }

    /// <summary>The number of endpoints besides ep0.</summary>
    public int Count => _endpoints.Count;

    /// <summary>
    /// dummy_hcd's UDC (<c>dummy_udc.N</c>), as <c>ep_info</c> in drivers/usb/gadget/udc/dummy_hcd.c lists it: nine
    /// fixed-function endpoints like a pxa250 (three of them interrupt only), two like an sa1100, and thirteen generic ones
    /// ("ep-aout"…"ep-mout", bulk or interrupt). No isochronous endpoint; no packet-size limit.
    /// </summary>
    public static UdcEndpointBudget DummyUdc { get; } = new(
        "dummy_udc",
        "24 endpoints: 12 IN (3 of them interrupt only) and 12 OUT, bulk or interrupt, none isochronous",
        [
            Fixed("ep1in-bulk", EndpointDirection.In, Types.Bulk, 1),
            Fixed("ep2out-bulk", EndpointDirection.Out, Types.Bulk, 2),
            Fixed("ep5in-int", EndpointDirection.In, Types.Interrupt, 5),
            Fixed("ep6in-bulk", EndpointDirection.In, Types.Bulk, 6),
            Fixed("ep7out-bulk", EndpointDirection.Out, Types.Bulk, 7),
            Fixed("ep10in-int", EndpointDirection.In, Types.Interrupt, 10),
            Fixed("ep11in-bulk", EndpointDirection.In, Types.Bulk, 11),
            Fixed("ep12out-bulk", EndpointDirection.Out, Types.Bulk, 12),
            Fixed("ep15in-int", EndpointDirection.In, Types.Interrupt, 15),
            Fixed("ep1out-bulk", EndpointDirection.Out, Types.Bulk, 1),
            Fixed("ep2in-bulk", EndpointDirection.In, Types.Bulk, 2),
            .. "abcdefghijklm".Select(letter => "begjl".Contains(letter, StringComparison.Ordinal)
                ? new UdcEndpoint($"ep-{letter}in", EndpointDirection.In, Types.Bulk | Types.Interrupt, ushort.MaxValue, FixedNumber: null)
                : new UdcEndpoint($"ep-{letter}out", EndpointDirection.Out, Types.Bulk | Types.Interrupt, ushort.MaxValue, FixedNumber: null)),
        ]);

    /// <summary>
    /// The Raspberry Pi's dwc2 (BCM2835/2836/2837/2711): seven hardware endpoints besides ep0, each usable in both
    /// directions, so dwc2 lists ep1in, ep1out … ep7in, ep7out; every one takes bulk, interrupt and isochronous up to
    /// 1024 bytes. The device trees give one TX FIFO per IN endpoint (<c>g-tx-fifo-size = &lt;256 256 512 512 512 768 768&gt;</c>
    /// in bcm283x-rpi-usb-peripheral.dtsi and the dwc2 overlay), so all seven IN endpoints can be enabled.
    /// </summary>
    public static UdcEndpointBudget RaspberryPiDwc2 { get; } = new(
        "dwc2 (Raspberry Pi)",
        "14 endpoints: 7 IN and 7 OUT (ep1 to ep7), bulk, interrupt or isochronous",
        [
            .. Enumerable.Range(1, 7).SelectMany(n => new[]
            {
                Fixed($"ep{n}in", EndpointDirection.In, Types.Bulk | Types.Interrupt | Types.Isochronous, (byte)n, 1024),
                Fixed($"ep{n}out", EndpointDirection.Out, Types.Bulk | Types.Interrupt | Types.Isochronous, (byte)n, 1024),
            }),
        ]);

    // The SoCs' register bases name the platform device, hence the UDC: BCM2835 (Zero, 1), BCM2836/7 (2, 3), BCM2711 (4, 400, CM4).
    private static readonly string[] s_raspberryPiUdcs = ["20980000.usb", "3f980000.usb", "fe980000.usb"];

    /// <summary>The budget of a UDC chosen by its name, or null when the controller is not one whose endpoints are known.</summary>
    /// <param name="udcName">The name in /sys/class/udc: <c>dummy_udc.0</c>, <c>fe980000.usb</c>…</param>
    /// <returns><see cref="DummyUdc"/>, <see cref="RaspberryPiDwc2"/>, or null.</returns>
    public static UdcEndpointBudget? ForUdc(string udcName)
    {
        ArgumentNullException.ThrowIfNull(udcName);
        if (udcName.StartsWith("dummy_udc.", StringComparison.Ordinal))
        {
            return DummyUdc;
        }
        return s_raspberryPiUdcs.Contains(udcName, StringComparer.Ordinal) ? RaspberryPiDwc2 : null;
    }

    /// <summary>
    /// Replays the kernel's endpoint assignment for one configuration's functions.
    /// </summary>
    /// <param name="functions">The functions linked into the configuration, in link order.</param>
    /// <returns>Null when every function gets its endpoints; otherwise the first function and endpoint left without one.</returns>
    public EndpointShortfall? FindShortfall(IReadOnlyList<FunctionDefinition> functions) => Assign(functions, out _);

    /// <summary>
    /// The endpoint number each function's needs get when the kernel binds them: what the host sees in bEndpointAddress
    /// for kernel functions and for FunctionFS functions without virtual addresses.
    /// </summary>
    /// <param name="functions">The functions linked into the configuration, in link order.</param>
    /// <returns>Per function, per need, the number; null for an optional need left out and for every need from the first shortfall on.</returns>
    public IReadOnlyList<IReadOnlyList<byte?>> AssignNumbers(IReadOnlyList<FunctionDefinition> functions)
    {
        Assign(functions, out List<byte?[]> numbers);
        return [.. functions.Select((f, i) => i < numbers.Count ? numbers[i] : (IReadOnlyList<byte?>)new byte?[f.Endpoints.Count])];
    }

    /// <summary>
    /// Replays the assignment and gives the endpoint number each need gets (the host sees it in bEndpointAddress), null
    /// for an optional need left out; stops at the first shortfall.
    /// </summary>
    internal EndpointShortfall? Assign(IReadOnlyList<FunctionDefinition> functions, out List<byte?[]> numbers)
    {
        ArgumentNullException.ThrowIfNull(functions);
        numbers = [];
        bool[] claimed = new bool[_endpoints.Count];
        int inCounter = 0, outCounter = 0;
        foreach (FunctionDefinition function in functions)
        {
            IReadOnlyList<EndpointNeed> needs = function.Endpoints;
            byte?[] assigned = new byte?[needs.Count];
            numbers.Add(assigned);
            for (int i = 0; i < needs.Count; i++)
            {
                if (!needs[i].Optional)
                {
                    if (Claim(needs[i], claimed, ref inCounter, ref outCounter, out _) is not byte number)
                    {
                        return new EndpointShortfall(function, needs[i]);
                    }
                    assigned[i] = number;
                    continue;
                }
                // A run of optional needs is taken all or none, as sourcesink_bind releases its isochronous IN when the OUT fails.
                int end = i;
                while (end < needs.Count && needs[end].Optional)
                {
                    end++;
                }
                bool[] before = (bool[])claimed.Clone();
                (int savedIn, int savedOut) = (inCounter, outCounter);
                for (int j = i; j < end; j++)
                {
                    if (Claim(needs[j], claimed, ref inCounter, ref outCounter, out bool numberExhausted) is byte number)
                    {
                        assigned[j] = number;
                        continue;
                    }
                    if (!numberExhausted)
                    {
                        Array.Copy(before, claimed, claimed.Length);
                        (inCounter, outCounter) = (savedIn, savedOut);
                    }
                    Array.Clear(assigned, i, end - i);
                    break;
                }
                i = end - 1;
            }
        }
        return null;
    }

    /// <summary>What each function needs, for messages: <c>acm.usb0 3 (bulk IN, bulk OUT, interrupt IN)</c>.</summary>
    /// <param name="functions">The functions.</param>
    public static string DescribeNeeds(IEnumerable<FunctionDefinition> functions) =>
        string.Join("; ", (functions ?? throw new ArgumentNullException(nameof(functions))).Select(f =>
            string.Create(CultureInfo.InvariantCulture, $"{f.DirectoryName} {f.Endpoints.Count(e => !e.Optional)}")
            + (f.Endpoints.Count == 0 ? " (none)" : $" ({string.Join(", ", f.Endpoints)})")));

    /// <summary>A kernel function as configfs names it (<c>acm.gs0</c>), with the endpoints its driver asks for; unknown types get none.</summary>
    internal static FunctionDefinition KernelFunctionOf(string directoryName)
    {
        string[] parts = directoryName.Split('.', 2);
        string instance = parts.Length == 2 ? parts[1] : "";
        return parts[0] switch
        {
            "acm" => FunctionDefinition.Acm(instance),
            "ecm" => FunctionDefinition.Ecm(instance),
            "ncm" => FunctionDefinition.Ncm(instance),
            "rndis" => FunctionDefinition.Rndis(instance),
            "hid" => FunctionDefinition.Hid(instance, 0, 0, 0, ReadOnlyMemory<byte>.Empty),
            "mass_storage" => FunctionDefinition.MassStorage(instance, []),
            "midi" => FunctionDefinition.Midi(instance),
            "SourceSink" => FunctionDefinition.SourceSink(instance),
            "Loopback" => FunctionDefinition.Loopback(instance),
            _ => new FunctionDefinition(parts[0], instance),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Summary}";

    // usb_ep_autoconfig_ss: the first unclaimed endpoint that usb_gadget_ep_match_desc accepts, then its number.
    private byte? Claim(EndpointNeed need, bool[] claimed, ref int inCounter, ref int outCounter, out bool numberExhausted)
    {
        numberExhausted = false;
        for (int i = 0; i < _endpoints.Count; i++)
        {
            if (claimed[i] || !_endpoints[i].Accepts(need))
            {
                continue;
            }
            byte number;
            if (_endpoints[i].FixedNumber is byte fixedNumber)
            {
                number = fixedNumber;
            }
            else
            {
                // Generic endpoints are numbered in_epnum/out_epnum + 1, and autoconfig fails past 15 (the endpoint stays unclaimed).
                ref int counter = ref need.Direction == EndpointDirection.In ? ref inCounter : ref outCounter;
                if (++counter > 15)
                {
                    numberExhausted = true;
                    return null;
                }
                number = (byte)counter;
            }
            claimed[i] = true;
            return number;
        }
        return null;
    }

    private static UdcEndpoint Fixed(string name, EndpointDirection direction, Types types, byte number, ushort maxPacketLimit = ushort.MaxValue) =>
        new(name, direction, types, maxPacketLimit, number);

    [Flags]
    private enum Types
    {
        Isochronous = 1,
        Bulk = 2,
        Interrupt = 4,
    }

    private sealed record UdcEndpoint(string Name, EndpointDirection Direction, Types Types, ushort MaxPacketLimit, byte? FixedNumber)
    {
        // usb_gadget_ep_match_desc for a dual-speed gadget (both controllers are): direction, size limit, then type;
        // an interrupt endpoint may also go to a bulk-capable one.
        public bool Accepts(EndpointNeed need) =>
            need.Direction == Direction
            && (need.MaxPacketSize & 0x7ff) <= MaxPacketLimit
            && need.Type switch
            {
                EndpointTransferType.Isochronous => Types.HasFlag(Types.Isochronous),
                EndpointTransferType.Bulk => Types.HasFlag(Types.Bulk),
                EndpointTransferType.Interrupt => (Types & (Types.Interrupt | Types.Bulk)) != 0,
                _ => false,
            };
    }
}

/// <summary>The first endpoint the kernel would not find for a gadget: which function asked and what for.</summary>
/// <param name="Function">The function left without the endpoint.</param>
/// <param name="Need">The endpoint it asked for.</param>
public sealed record EndpointShortfall(FunctionDefinition Function, EndpointNeed Need);
