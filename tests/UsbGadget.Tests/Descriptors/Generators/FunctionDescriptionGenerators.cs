using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using CsCheck;
using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>
/// CsCheck generators for <see cref="FunctionDescription"/>: descriptions that are valid by construction (every
/// speed, transfer type, alternate settings, HID and CCID class descriptors, associations, MS OS descriptors,
/// strings in several languages), and the same descriptions with one named rule broken.
/// </summary>
/// <remarks>
/// Shared with the end-to-end tests, which write the valid ones to a real kernel. Only public API is used here.
/// A failing case is reproduced from its seed: <c>FunctionDescriptionGenerators.FromSeed("…")</c>, or
/// <c>Sample(…, seed: "…")</c> in the property that printed it.
/// </remarks>
public static class FunctionDescriptionGenerators
{
    /// <summary>Languages the generated string tables use.</summary>
    public static readonly ushort[] Languages =
    [
        LanguageIds.EnglishUnitedStates, LanguageIds.German, LanguageIds.French, LanguageIds.Japanese,
        LanguageIds.ChineseSimplified, LanguageIds.Spanish,
    ];

    /// <summary>Descriptions <see cref="DescriptorValidator"/> must accept.</summary>
    public static readonly Gen<FunctionDescription> Valid = new SpecGen().Select(spec => spec.Build());

    /// <summary>A valid description with exactly one rule broken, and the field path the problem must name.</summary>
    public static readonly Gen<InvalidDescription> Invalid = new SpecGen().SelectMany(spec => Gen.OneOf(Mutations.All).SelectMany(m => m(spec)));

    /// <summary>The valid description a seed (a <see cref="PCG"/> in its text form) generates.</summary>
    /// <param name="seed">The seed, as printed by a failing property or end-to-end case.</param>
    /// <returns>The description.</returns>
    public static FunctionDescription FromSeed(string seed) => Valid.Generate(PCG.Parse(seed), null!, out _);

    /// <summary>A compact, complete text form of a description, for failure messages.</summary>
    /// <param name="description">The description.</param>
    /// <returns>One line per interface, endpoint, language and OS descriptor.</returns>
    public static string Describe(FunctionDescription description)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Speeds={description.Speeds} AllControlRecipients={description.AllControlRecipients} Config0Setup={description.Config0Setup} VirtualAddresses={description.VirtualAddresses}\n");
        foreach (var (language, strings) in description.Strings)
        {
            text.Append(CultureInfo.InvariantCulture, $"  Strings[0x{language:X4}] = [{string.Join(", ", strings.Select(s => s is null ? "null" : $"\"{Escape(s)}\""))}]\n");
        }

        for (int i = 0; i < description.Interfaces.Count; i++)
        {
            InterfaceDescription f = description.Interfaces[i];
            text.Append(CultureInfo.InvariantCulture, $"  Interfaces[{i}] number={f.Number} alt={f.AlternateSetting} class={f.Class:X2}/{f.SubClass:X2}/{f.Protocol:X2} name={f.NameIndex} classDescriptors=[{string.Join(", ", f.ClassDescriptors.Select(c => Convert.ToHexStringLower(c.ToArray())))}]\n");
            for (int e = 0; e < f.Endpoints.Count; e++)
            {
                EndpointDescription p = f.Endpoints[e];
                text.Append(CultureInfo.InvariantCulture, $"    Endpoints[{e}] 0x{p.Address:X2} {p.Type} sync={p.Synchronization} usage={p.Usage} maxPacket={p.MaxPacketSize?.ToString(CultureInfo.InvariantCulture) ?? "-"} polling={p.PollingInterval?.TotalMicroseconds.ToString(CultureInfo.InvariantCulture) ?? "-"}µs fs={p.FullSpeed} hs={p.HighSpeed} ss={p.SuperSpeed} companion={p.Companion}\n");
            }
        }

        for (int a = 0; a < description.Associations.Count; a++)
        {
            InterfaceAssociationDescription x = description.Associations[a];
            text.Append(CultureInfo.InvariantCulture, $"  Associations[{a}] first={x.FirstInterface} count={x.InterfaceCount} class={x.Class:X2} name={x.NameIndex}\n");
        }

        for (int m = 0; m < description.MicrosoftOsDescriptors.Count; m++)
        {
            MicrosoftOsInterfaceDescriptors os = description.MicrosoftOsDescriptors[m];
            text.Append(CultureInfo.InvariantCulture, $"  MicrosoftOsDescriptors[{m}] interface={os.Interface} compatible={os.CompatibleId ?? "null"}/{os.SubCompatibleId} properties=[{string.Join(", ", os.Properties.Select(p => $"{p.Type} {p.Name}={Convert.ToHexStringLower(p.Data.Span)}"))}]\n");
        }

        return text.ToString();
    }

    private static string Escape(string value)
    {
        var text = new StringBuilder();
        foreach (char c in value)
        {
            text.Append(c is < ' ' or '"' or '\\' || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return text.ToString();
    }

    /// <summary>Draws from a <see cref="PCG"/>: generation here is imperative, so validity is easy to keep by construction.</summary>
    private sealed class Draw(PCG pcg)
    {
        public int Int(int min, int max) => min + (int)pcg.Next((uint)(max - min + 1));

        public bool Chance(int percent) => pcg.Next(100) < percent;

        public T Pick<T>(params T[] values) => values[Int(0, values.Length - 1)];

        public ulong Next64() => pcg.Next64();
    }

    private sealed class SpecGen : Gen<DescriptionSpec>
    {
        public override DescriptionSpec Generate(PCG pcg, Size? min, out Size size)
        {
            DescriptionSpec spec = Generate(new Draw(pcg));
            size = new Size((ulong)((spec.EndpointCount * 8) + (spec.Interfaces.Length * 4) + spec.StringCount + spec.Os.Length));
            return spec;
        }

        private static DescriptionSpec Generate(Draw d)
        {
            // Not High | Super alone: binding that oopses f_fs, so the validator refuses it (see Mutations.HighAndSuperWithoutFull).
            var speeds = (UsbSpeeds)d.Pick(1, 2, 3, 4, 5, 7);

            int languageCount = d.Pick(0, 1, 1, 2, 3);
            ushort[] languages = [.. Languages.OrderBy(_ => d.Next64()).Take(languageCount)];
            int stringCount = languageCount == 0 ? 0 : d.Int(0, 6);
            ImmutableArray<LanguageSpec> strings = [.. languages.Select(l => new LanguageSpec(l, [.. Enumerable.Range(0, stringCount).Select(_ => ValidString(d))]))];

            // Every address at most once in the function: deal them from a shuffled deck of the 30 there are.
            var deck = new Queue<(byte Number, EndpointDirection Direction)>(
                Enumerable.Range(1, 15).SelectMany(n => new[] { ((byte)n, EndpointDirection.In), ((byte)n, EndpointDirection.Out) }).OrderBy(_ => d.Next64()));
            int budget = d.Pick(0, 1, 2, 3, 4, 5, 6, 8, 12, 30);

            var interfaces = ImmutableArray.CreateBuilder<InterfaceSpec>();
            int interfaceCount = d.Pick(1, 1, 2, 3, 4);
            for (int number = 0; number < interfaceCount; number++)
            {
                int alternates = d.Pick(1, 1, 1, 2, 3);
                for (int alt = 0; alt < alternates; alt++)
                {
                    interfaces.Add(Interface(d, (byte)number, (byte)alt, stringCount, deck, ref budget, isLast: number == interfaceCount - 1 && alt == alternates - 1));
                }
            }

            var associations = ImmutableArray.CreateBuilder<InterfaceAssociationDescription>();
            for (int first = 0; first < interfaceCount && d.Chance(25);)
            {
                int count = d.Int(1, interfaceCount - first);
                associations.Add(new InterfaceAssociationDescription
                {
                    FirstInterface = (byte)first,
                    InterfaceCount = (byte)count,
                    Class = d.Pick(UsbClass.VendorSpecific, UsbClass.Miscellaneous, UsbClass.Audio),
                    SubClass = (byte)d.Int(0, 255),
                    Protocol = (byte)d.Int(0, 255),
                    NameIndex = StringIndex(d, stringCount),
                });
                first += count + d.Int(0, 1);
            }

            var os = ImmutableArray.CreateBuilder<MicrosoftOsInterfaceDescriptors>();
            for (int number = 0; number < interfaceCount; number++)
            {
                if (d.Chance(30))
                {
                    os.Add(MicrosoftOs(d, (byte)number));
                }
            }

            return new DescriptionSpec(speeds, strings, interfaces.ToImmutable(), associations.ToImmutable(), os.ToImmutable(), d.Chance(30), d.Chance(30), d.Chance(30));
        }

        private static InterfaceSpec Interface(Draw d, byte number, byte alt, int stringCount, Queue<(byte, EndpointDirection)> deck, ref int budget, bool isLast)
        {
            int kind = d.Int(0, 9);
            byte @class = kind switch
            {
                <= 4 => UsbClass.VendorSpecific,
                5 or 6 => UsbClass.Hid,
                7 => UsbClass.SmartCard,
                _ => d.Pick(UsbClass.Audio, UsbClass.Communications, UsbClass.MassStorage, UsbClass.CdcData, UsbClass.Video, UsbClass.ApplicationSpecific, (byte)0x00),
            };
            ImmutableArray<ClassSpecificDescriptor> classDescriptors = @class switch
            {
                UsbClass.Hid when d.Chance(90) => [new HidClassDescriptor((ushort)d.Int(0, 4096), d.Pick((ushort)0x0111, (ushort)0x0100), (byte)d.Int(0, 35))],
                UsbClass.SmartCard when d.Chance(90) => [CcidDescriptor(d)],
                _ => [],
            };

            int count = isLast ? budget : Math.Min(budget, d.Pick(0, 1, 1, 2, 2, 3, 4, 8));
            count = Math.Min(count, deck.Count);
            budget -= count;
            var endpoints = ImmutableArray.CreateBuilder<EndpointSpec>();
            for (int i = 0; i < count; i++)
            {
                var (endpointNumber, direction) = deck.Dequeue();
                endpoints.Add(Endpoint(d, endpointNumber, direction, alternateSetting: alt));
            }

            return new InterfaceSpec(number, alt, @class, (byte)d.Int(0, 255), (byte)d.Int(0, 255), StringIndex(d, stringCount), classDescriptors, endpoints.ToImmutable());
        }

        private static RawDescriptor CcidDescriptor(Draw d)
        {
            var bytes = new byte[54];
            for (int i = 2; i < bytes.Length; i++)
            {
                bytes[i] = (byte)d.Int(0, 255);
            }

            bytes[0] = 54;
            bytes[1] = HidClassDescriptor.HidDescriptorType; // CCID's class descriptor is type 0x21 too
            return new RawDescriptor(bytes);
        }

        private static byte StringIndex(Draw d, int stringCount) => stringCount > 0 && d.Chance(60) ? (byte)d.Int(1, stringCount) : (byte)0;

        private static EndpointSpec Endpoint(Draw d, byte number, EndpointDirection direction, byte alternateSetting)
        {
            int kind = d.Int(0, 9);
            var type = kind switch
            {
                <= 4 => EndpointTransferType.Bulk,
                <= 7 => EndpointTransferType.Interrupt,
                _ => EndpointTransferType.Isochronous,
            };
            var spec = new EndpointSpec(number, direction, type);
            switch (type)
            {
                case EndpointTransferType.Bulk:
                    return spec with
                    {
                        FullSpeed = d.Chance(20) ? new EndpointSpeedOverride { MaxPacketSize = d.Pick<ushort>(8, 16, 32, 64) } : null,
                        HighSpeed = d.Chance(10) ? new EndpointSpeedOverride { Interval = (byte)d.Int(0, 255) } : null,
                        Companion = d.Chance(30) ? new SuperSpeedCompanion { MaxBurst = (byte)d.Int(0, 15), Attributes = (byte)d.Int(0, 16) } : null,
                    };

                case EndpointTransferType.Interrupt:
                {
                    ushort maxPacket = (ushort)d.Pick(d.Int(1, 64), d.Int(1, 1024), 1024, 8);
                    byte burst = maxPacket >= 1024 && d.Chance(50) ? (byte)d.Int(0, 2) : (byte)0;
                    return spec with
                    {
                        MaxPacketSize = maxPacket,
                        PollingInterval = PollingInterval(d),
                        Usage = d.Chance(20) ? EndpointUsage.Feedback : EndpointUsage.Data,
                        FullSpeed = d.Chance(10) ? new EndpointSpeedOverride { Interval = (byte)d.Int(1, 255) } : null,
                        HighSpeed = d.Chance(15) ? HighBandwidth(d) : null,
                        Companion = d.Chance(40) ? new SuperSpeedCompanion { MaxBurst = burst, BytesPerInterval = d.Chance(50) ? (ushort)d.Int(0, Math.Min(maxPacket, (ushort)1024) * (burst + 1)) : null } : null,
                    };
                }

                default:
                {
                    // USB 2.0 §5.6.3: alternate setting 0 reserves no isochronous bandwidth.
                    ushort maxPacket = alternateSetting == 0 ? (ushort)0 : (ushort)d.Pick(d.Int(0, 1024), 1024, 1023, 192);
                    byte burst = maxPacket >= 1024 && d.Chance(50) ? (byte)d.Int(0, 15) : (byte)0;
                    byte mult = (byte)d.Int(0, 2);
                    return spec with
                    {
                        MaxPacketSize = maxPacket,
                        PollingInterval = PollingInterval(d),
                        Synchronization = (IsochronousSynchronization)d.Int(0, 3),
                        Usage = (EndpointUsage)d.Int(0, 2),
                        HighSpeed = alternateSetting != 0 && d.Chance(15) ? HighBandwidth(d) : null,
                        Companion = d.Chance(40)
                            ? new SuperSpeedCompanion
                            {
                                MaxBurst = burst,
                                Attributes = mult,
                                BytesPerInterval = d.Chance(50) ? (ushort)d.Int(0, Math.Min(maxPacket, (ushort)1024) * (burst + 1) * (mult + 1)) : null,
                            }
                            : null,
                    };
                }
            }
        }

        /// <summary>USB 2.0 table 9-14: 2 transactions need 513..1024 bytes, 3 need 683..1024.</summary>
        private static EndpointSpeedOverride HighBandwidth(Draw d)
        {
            int extra = d.Int(1, 2);
            int size = extra == 1 ? d.Int(513, 1024) : d.Int(683, 1024);
            return new EndpointSpeedOverride { MaxPacketSize = (ushort)((extra << 11) | size), Interval = (byte)d.Int(1, 16) };
        }

        private static TimeSpan PollingInterval(Draw d) => d.Int(0, 3) switch
        {
            0 => TimeSpan.FromMicroseconds(125 << d.Int(0, 15)),              // exact powers of two: 125 µs .. 4096 ms
            1 => TimeSpan.FromMilliseconds(d.Int(1, 255)),
            2 => d.Pick(TimeSpan.FromMicroseconds(125), TimeSpan.FromMilliseconds(4096)),
            _ => TimeSpan.FromTicks(d.Int(1250, 40_960_000)),
        };

        private static MicrosoftOsInterfaceDescriptors MicrosoftOs(Draw d, byte number)
        {
            var properties = ImmutableArray.CreateBuilder<MicrosoftOsExtendedProperty>();
            int count = d.Pick(0, 0, 1, 1, 2);
            for (int i = 0; i < count; i++)
            {
                properties.Add(d.Int(0, 3) switch
                {
                    0 => MicrosoftOsExtendedProperty.DeviceInterfaceGuid(new Guid((int)d.Next64(), (short)d.Int(0, 65535), (short)d.Int(0, 65535), (byte)d.Int(0, 255), 1, 2, 3, 4, 5, 6, 7)),
                    1 => MicrosoftOsExtendedProperty.String(
                        Ascii(d, d.Int(1, 40)),
                        Ascii(d, d.Int(0, 60)),
                        d.Pick(MicrosoftOsPropertyType.String, MicrosoftOsPropertyType.ExpandString, MicrosoftOsPropertyType.Link)),
                    _ => Binary(d),
                });
            }

            return new MicrosoftOsInterfaceDescriptors
            {
                Interface = number,
                CompatibleId = d.Chance(70) ? d.Pick("WINUSB", "RNDIS", "MTP", "ALTRCFG", "12345678") : null,
                SubCompatibleId = d.Pick("", "", "5162001", "SUB_ID"),
                Properties = properties.ToImmutable(),
            };
        }

        private static MicrosoftOsExtendedProperty Binary(Draw d)
        {
            string name = Ascii(d, d.Int(1, 30));
            var data = new byte[d.Int(0, 255 - 14 - name.Length - 1)];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (byte)d.Int(0, 255);
            }

            return MicrosoftOsExtendedProperty.Binary(name, data);
        }

        private static string Ascii(Draw d, int length) =>
            new([.. Enumerable.Range(0, length).Select(_ => (char)d.Int(' ', '~'))]);

        /// <summary>
        /// A string the gadget core serves unchanged: no NUL, well-formed UTF-16, at most 126 UTF-8 bytes (the core
        /// truncates the UTF-8 text at 126 bytes, usb_gadget_get_string). Empty strings are allowed.
        /// </summary>
        private static string ValidString(Draw d)
        {
            string[] alphabets =
            [
                "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789-_.,:;!?()[]{}'\"/\\@#%&*+=<>|~`^$",
                "äöüßÄÖÜéèêàçñ",           // 2 UTF-8 bytes each
                "データ転送数据通道インタフェース", // 3 UTF-8 bytes each
                "😀🎹🔌",                   // surrogate pairs, 4 UTF-8 bytes each
            ];
            int shape = d.Int(0, 9);
            if (shape == 0)
            {
                return "";
            }

            int budget = shape == 1 ? 126 : d.Int(1, 126); // shape 1 fills the 126 bytes exactly when it can
            var text = new StringBuilder();
            int bytes = 0;
            string alphabet = d.Pick(alphabets);
            while (true)
            {
                string a = d.Chance(20) ? d.Pick(alphabets) : alphabet;
                var runes = a.EnumerateRunes().ToArray();
                Rune rune = runes[d.Int(0, runes.Length - 1)];
                if (bytes + rune.Utf8SequenceLength > budget)
                {
                    // Top up with ASCII so the exact boundary (126 bytes) is reached often.
                    while (shape == 1 && bytes < budget)
                    {
                        text.Append('x');
                        bytes++;
                    }

                    return text.ToString();
                }

                text.Append(rune.ToString());
                bytes += rune.Utf8SequenceLength;
            }
        }
    }

    /// <summary>One way to break a valid description, with the path of the field the validator must blame.</summary>
    private static class Mutations
    {
        public static readonly Func<DescriptionSpec, Gen<InvalidDescription>>[] All =
        [
            BulkMaxPacketNotAllowedAtSpeed,
            FullSpeedInterruptPacketTooLarge,
            HighBandwidthPacketTooSmall,
            PollingIntervalOutOfRange,
            ExponentIntervalOutOfRange,
            IsochronousBandwidthInAlternateSettingZero,
            IsochronousWithoutPacketSize,
            BulkWithPollingInterval,
            InterruptBurstTooLarge,
            BytesPerIntervalBeyondBurst,
            DuplicateAddress,
            EndpointNumberOutOfRange,
            TooManyEndpoints,
            StringTooLongInUtf8,
            StringWithNul,
            StringWithLoneSurrogate,
            LanguageIdZero,
            LanguagesDisagreeOnStringCount,
            NameIndexBeyondStrings,
            NoSpeed,
            HighAndSuperWithoutFull,
            HidDescriptorOnNonHidInterface,
            RawDescriptorLengthMismatch,
            InterfaceNumberGap,
            AlternateSettingSkipped,
            AssociationBeyondLastInterface,
            MicrosoftOsForMissingInterface,
            CompatibleIdTooLong,
            ExtendedPropertyTooLarge,
        ];

        private static string EndpointPath(int i, int e) => $"Interfaces[{i}].Endpoints[{e}]";

        /// <summary>An address no endpoint uses; when all 30 are taken, the last endpoint gives its address up.</summary>
        private static (DescriptionSpec Spec, byte Number, EndpointDirection Direction) TakeFreeAddress(DescriptionSpec spec)
        {
            if (spec.FreeAddress() is { } free)
            {
                return (spec, free.Number, free.Direction);
            }

            int holder = spec.Interfaces.ToList().FindLastIndex(f => f.Endpoints.Length > 0);
            InterfaceSpec h = spec.Interfaces[holder];
            EndpointSpec given = h.Endpoints[^1];
            return (spec with { Interfaces = spec.Interfaces.SetItem(holder, h with { Endpoints = h.Endpoints.RemoveAt(h.Endpoints.Length - 1) }) }, given.Number, given.Direction);
        }

        /// <summary>
        /// Adds one broken endpoint of a given type in a new alternate setting of the last interface, with an address of
        /// its own, so the rest of the description stays valid.
        /// </summary>
        private static Gen<InvalidDescription> WithBrokenEndpoint(
            DescriptionSpec spec, string name, EndpointTransferType type, Func<EndpointSpec, EndpointSpec> breakIt, string pathSuffix, UsbSpeeds needs = UsbSpeeds.None)
        {
            var (source, number, direction) = TakeFreeAddress(spec);
            InterfaceSpec last = source.Interfaces[^1];
            var endpoint = new EndpointSpec(number, direction, type)
            {
                MaxPacketSize = type == EndpointTransferType.Bulk ? null : (ushort)(type == EndpointTransferType.Isochronous ? 0 : 64),
                PollingInterval = type == EndpointTransferType.Bulk ? null : TimeSpan.FromMilliseconds(1),
            };
            var added = new InterfaceSpec(last.Number, (byte)(last.AlternateSetting + 1), UsbClass.VendorSpecific, 0, 0, 0, [], [breakIt(endpoint)]);
            DescriptionSpec broken = source with { Speeds = source.Speeds | needs, Interfaces = source.Interfaces.Add(added) };
            return Gen.Const(new InvalidDescription(broken.Build(), name, EndpointPath(broken.Interfaces.Length - 1, 0) + pathSuffix));
        }

        private static Gen<InvalidDescription> BulkMaxPacketNotAllowedAtSpeed(DescriptionSpec spec) =>
            Gen.OneOf(
                Gen.Int[1, 1024].Where(s => s is not (8 or 16 or 32 or 64)).SelectMany(s => WithBrokenEndpoint(spec, "FS bulk max packet not 8/16/32/64", EndpointTransferType.Bulk, e => e with { FullSpeed = new EndpointSpeedOverride { MaxPacketSize = (ushort)s } }, ".MaxPacketSize (full speed)", UsbSpeeds.Full)),
                Gen.Int[1, 1024].Where(s => s != 512).SelectMany(s => WithBrokenEndpoint(spec, "HS bulk max packet not 512", EndpointTransferType.Bulk, e => e with { HighSpeed = new EndpointSpeedOverride { MaxPacketSize = (ushort)s } }, ".MaxPacketSize (high speed)", UsbSpeeds.High)),
                Gen.Int[1, 1023].SelectMany(s => WithBrokenEndpoint(spec, "SS bulk max packet not 1024", EndpointTransferType.Bulk, e => e with { SuperSpeed = new EndpointSpeedOverride { MaxPacketSize = (ushort)s } }, ".MaxPacketSize (SuperSpeed)", UsbSpeeds.Super)));

        private static Gen<InvalidDescription> FullSpeedInterruptPacketTooLarge(DescriptionSpec spec) =>
            Gen.Int[65, 1023].SelectMany(s => WithBrokenEndpoint(spec, "FS interrupt max packet above 64", EndpointTransferType.Interrupt, e => e with { FullSpeed = new EndpointSpeedOverride { MaxPacketSize = (ushort)s } }, ".MaxPacketSize (full speed)", UsbSpeeds.Full));

        private static Gen<InvalidDescription> HighBandwidthPacketTooSmall(DescriptionSpec spec) =>
            Gen.Int[1, 2].SelectMany(extra => Gen.Int[1, extra == 1 ? 512 : 682].SelectMany(s =>
                WithBrokenEndpoint(spec, "HS high-bandwidth interrupt with too small a packet", EndpointTransferType.Interrupt, e => e with { HighSpeed = new EndpointSpeedOverride { MaxPacketSize = (ushort)((extra << 11) | s) } }, ".MaxPacketSize (high speed)", UsbSpeeds.High)));

        private static Gen<InvalidDescription> PollingIntervalOutOfRange(DescriptionSpec spec) =>
            Gen.OneOf(Gen.Int[1, 1249].Select(t => TimeSpan.FromTicks(t)), Gen.Int[4097, 100_000].Select(ms => TimeSpan.FromMilliseconds(ms)))
                .SelectMany(period => WithBrokenEndpoint(spec, "polling interval outside 125 µs..4096 ms", EndpointTransferType.Interrupt, e => e with { PollingInterval = period }, ".PollingInterval"));

        private static Gen<InvalidDescription> ExponentIntervalOutOfRange(DescriptionSpec spec) =>
            Gen.OneOf(Gen.Const(0), Gen.Int[17, 255]).SelectMany(interval =>
                WithBrokenEndpoint(spec, "HS interrupt bInterval exponent outside 1..16", EndpointTransferType.Interrupt, e => e with { HighSpeed = new EndpointSpeedOverride { Interval = (byte)interval } }, ".Interval (high speed)", UsbSpeeds.High));

        private static Gen<InvalidDescription> IsochronousBandwidthInAlternateSettingZero(DescriptionSpec spec) =>
            Gen.Int[1, 1024].Select(size =>
            {
                var (source, number, direction) = TakeFreeAddress(spec);
                InterfaceSpec first = source.Interfaces[0];
                var endpoint = new EndpointSpec(number, direction, EndpointTransferType.Isochronous) { MaxPacketSize = (ushort)size, PollingInterval = TimeSpan.FromMilliseconds(1) };
                DescriptionSpec broken = source with { Interfaces = source.Interfaces.SetItem(0, first with { Endpoints = first.Endpoints.Add(endpoint) }) };
                return new InvalidDescription(broken.Build(), "isochronous bandwidth in alternate setting 0", EndpointPath(0, first.Endpoints.Length));
            });

        private static Gen<InvalidDescription> IsochronousWithoutPacketSize(DescriptionSpec spec) =>
            WithBrokenEndpoint(spec, "isochronous endpoint without MaxPacketSize", EndpointTransferType.Isochronous, e => e with { MaxPacketSize = null }, ".MaxPacketSize");

        private static Gen<InvalidDescription> BulkWithPollingInterval(DescriptionSpec spec) =>
            WithBrokenEndpoint(spec, "bulk endpoint with a polling interval", EndpointTransferType.Bulk, e => e with { PollingInterval = TimeSpan.FromMilliseconds(1) }, ".PollingInterval");

        private static Gen<InvalidDescription> InterruptBurstTooLarge(DescriptionSpec spec) =>
            Gen.Int[3, 255].SelectMany(burst =>
                WithBrokenEndpoint(spec, "interrupt companion bMaxBurst above 2", EndpointTransferType.Interrupt, e => e with { MaxPacketSize = 1024, Companion = new SuperSpeedCompanion { MaxBurst = (byte)burst } }, ".Companion.MaxBurst"));

        private static Gen<InvalidDescription> BytesPerIntervalBeyondBurst(DescriptionSpec spec) =>
            Gen.Int[1, 1024].SelectMany(size => Gen.Int[size + 1, ushort.MaxValue].SelectMany(bytes =>
                WithBrokenEndpoint(spec, "wBytesPerInterval above max packet × burst", EndpointTransferType.Interrupt, e => e with { MaxPacketSize = (ushort)size, Companion = new SuperSpeedCompanion { BytesPerInterval = (ushort)bytes } }, ".Companion.BytesPerInterval", UsbSpeeds.Super)));

        private static Gen<InvalidDescription> DuplicateAddress(DescriptionSpec spec) =>
            Gen.Const(0).Select(_ =>
            {
                // Re-use the first endpoint's address (or make one) in a new alternate setting of the last interface.
                EndpointSpec? existing = spec.Interfaces.SelectMany(f => f.Endpoints).FirstOrDefault();
                DescriptionSpec source = spec;
                if (existing is null)
                {
                    existing = new EndpointSpec(1, EndpointDirection.In, EndpointTransferType.Bulk);
                    source = spec with { Interfaces = spec.Interfaces.SetItem(0, spec.Interfaces[0] with { Endpoints = [existing] }) };
                }

                InterfaceSpec last = source.Interfaces[^1];
                var added = new InterfaceSpec(last.Number, (byte)(last.AlternateSetting + 1), UsbClass.VendorSpecific, 0, 0, 0, [], [new EndpointSpec(existing.Number, existing.Direction, EndpointTransferType.Bulk)]);
                DescriptionSpec broken = source with { Interfaces = source.Interfaces.Add(added) };
                return new InvalidDescription(broken.Build(), "same endpoint address twice", EndpointPath(broken.Interfaces.Length - 1, 0) + ".Number");
            });

        private static Gen<InvalidDescription> EndpointNumberOutOfRange(DescriptionSpec spec) =>
            Gen.OneOf(Gen.Const(0), Gen.Int[16, 255]).SelectMany(number =>
                WithBrokenEndpoint(spec, "endpoint number outside 1..15", EndpointTransferType.Bulk, e => e with { Number = (byte)number }, ".Number"));

        private static Gen<InvalidDescription> TooManyEndpoints(DescriptionSpec spec) =>
            Gen.Int[31, 40].Select(total =>
            {
                // 30 addresses exist, so 31 endpoints repeat some; the count is reported at the Interfaces level.
                int extra = Math.Max(1, total - spec.EndpointCount);
                InterfaceSpec last = spec.Interfaces[^1];
                var endpoints = Enumerable.Range(0, extra).Select(k => new EndpointSpec((byte)(1 + (k % 15)), k / 15 % 2 == 0 ? EndpointDirection.In : EndpointDirection.Out, EndpointTransferType.Bulk));
                var added = new InterfaceSpec(last.Number, (byte)(last.AlternateSetting + 1), UsbClass.VendorSpecific, 0, 0, 0, [], [.. endpoints]);
                DescriptionSpec broken = spec with { Interfaces = spec.Interfaces.Add(added) };
                broken = broken.EndpointCount > 30 ? broken : broken with { Interfaces = broken.Interfaces.Add(added with { AlternateSetting = (byte)(added.AlternateSetting + 1) }) };
                return new InvalidDescription(broken.Build(), "more than 30 endpoints", "Interfaces");
            });

        private static Gen<InvalidDescription> WithBrokenString(DescriptionSpec spec, string name, Gen<string> bad)
        {
            DescriptionSpec source = spec.Strings.Length > 0 && spec.StringCount > 0
                ? spec
                : spec with { Strings = [new LanguageSpec(LanguageIds.EnglishUnitedStates, ["ok"])] };
            return Gen.Int[0, source.Strings.Length - 1].SelectMany(language => Gen.Int[0, source.StringCount - 1].SelectMany(index => bad.Select(value =>
            {
                LanguageSpec l = source.Strings[language];
                DescriptionSpec broken = source with { Strings = source.Strings.SetItem(language, l with { Values = l.Values.SetItem(index, value) }) };
                return new InvalidDescription(broken.Build(), name, $"Strings[0x{l.Id:X4}][{index}]");
            })));
        }

        private static Gen<InvalidDescription> StringTooLongInUtf8(DescriptionSpec spec) =>
            WithBrokenString(spec, "string over 126 UTF-8 bytes", Gen.OneOf(
                Gen.Int[127, 300].Select(n => new string('x', n)),
                Gen.Int[64, 126].Select(n => new string('é', n)),    // ≤ 126 UTF-16 code units, but 128..252 UTF-8 bytes
                Gen.Int[43, 126].Select(n => new string('中', n))));  // 129..378 UTF-8 bytes

        private static Gen<InvalidDescription> StringWithNul(DescriptionSpec spec) =>
            WithBrokenString(spec, "string containing NUL", Gen.Int[0, 10].Select(n => new string('a', n) + "\0b"));

        private static Gen<InvalidDescription> StringWithLoneSurrogate(DescriptionSpec spec) =>
            WithBrokenString(spec, "string with an unpaired surrogate", Gen.OneOf(Gen.Const("a\uD83D"), Gen.Const("\uDE00b"), Gen.Const("x\uDC00\uD800y")));

        private static Gen<InvalidDescription> LanguageIdZero(DescriptionSpec spec) =>
            Gen.Const(0).Select(_ =>
            {
                int count = spec.StringCount;
                DescriptionSpec broken = spec with { Strings = spec.Strings.Add(new LanguageSpec(0, [.. Enumerable.Repeat("zero", count)])) };
                return new InvalidDescription(broken.Build(), "language id 0", "Strings[0x0000]");
            });

        private static Gen<InvalidDescription> LanguagesDisagreeOnStringCount(DescriptionSpec spec) =>
            Gen.Int[1, 3].Select(delta =>
            {
                DescriptionSpec source = spec.Strings.Length > 0 ? spec : spec with { Strings = [new LanguageSpec(LanguageIds.EnglishUnitedStates, [])] };
                ushort id = Languages.First(l => source.Strings.All(s => s.Id != l));
                int count = source.StringCount + delta;
                DescriptionSpec broken = source with { Strings = source.Strings.Add(new LanguageSpec(id, [.. Enumerable.Repeat("extra", count)])) };
                return new InvalidDescription(broken.Build(), "languages with different string counts", $"Strings[0x{id:X4}]");
            });

        private static Gen<InvalidDescription> NameIndexBeyondStrings(DescriptionSpec spec) =>
            Gen.Int[0, spec.Interfaces.Length - 1].SelectMany(i => Gen.Int[spec.StringCount + 1, 255].Select(index =>
            {
                DescriptionSpec broken = spec with { Interfaces = spec.Interfaces.SetItem(i, spec.Interfaces[i] with { NameIndex = (byte)index }) };
                return new InvalidDescription(broken.Build(), "iInterface beyond the string table", $"Interfaces[{i}].NameIndex");
            }));

        private static Gen<InvalidDescription> NoSpeed(DescriptionSpec spec) =>
            Gen.Const(new InvalidDescription((spec with { Speeds = UsbSpeeds.None }).Build(), "no speed", "Speeds"));

        private static Gen<InvalidDescription> HighAndSuperWithoutFull(DescriptionSpec spec) =>
            spec.EndpointCount > 0
                ? Gen.Const(new InvalidDescription((spec with { Speeds = UsbSpeeds.High | UsbSpeeds.Super }).Build(), "High and Super without Full", "Speeds"))
                : WithBrokenEndpoint(spec with { Speeds = UsbSpeeds.High | UsbSpeeds.Super }, "High and Super without Full", EndpointTransferType.Bulk, e => e, "").Select(i => i with { ExpectedPath = "Speeds" });

        private static Gen<InvalidDescription> HidDescriptorOnNonHidInterface(DescriptionSpec spec) =>
            Gen.Int[0, spec.Interfaces.Length - 1].SelectMany(i => Gen.Int[0, 255].Where(c => c is not (UsbClass.Hid or UsbClass.SmartCard)).Select(@class =>
            {
                InterfaceSpec f = spec.Interfaces[i] with { Class = (byte)@class, ClassDescriptors = [new HidClassDescriptor(63)] };
                return new InvalidDescription((spec with { Interfaces = spec.Interfaces.SetItem(i, f) }).Build(), "HID descriptor on a non-HID interface", $"Interfaces[{i}].ClassDescriptors[0]");
            }));

        private static Gen<InvalidDescription> RawDescriptorLengthMismatch(DescriptionSpec spec) =>
            Gen.Int[0, spec.Interfaces.Length - 1].SelectMany(i => Gen.Int[0, 255].Where(l => l != 9).Select(declared =>
            {
                byte[] bytes = new HidClassDescriptor(63).ToArray();
                bytes[0] = (byte)declared;
                InterfaceSpec f = spec.Interfaces[i] with { Class = UsbClass.Hid, ClassDescriptors = [new RawDescriptor(bytes)] };
                return new InvalidDescription((spec with { Interfaces = spec.Interfaces.SetItem(i, f) }).Build(), "bLength disagreeing with the bytes", $"Interfaces[{i}].ClassDescriptors[0].bLength");
            }));

        private static Gen<InvalidDescription> InterfaceNumberGap(DescriptionSpec spec) =>
            Gen.Int[2, 10].Select(gap =>
            {
                InterfaceSpec last = spec.Interfaces[^1];
                var added = new InterfaceSpec((byte)(last.Number + gap), 0, UsbClass.VendorSpecific, 0, 0, 0, [], []);
                DescriptionSpec broken = spec with { Interfaces = spec.Interfaces.Add(added), Os = [], Associations = [] };
                return new InvalidDescription(broken.Build(), "interface numbers with a gap", $"Interfaces[{broken.Interfaces.Length - 1}].Number");
            });

        private static Gen<InvalidDescription> AlternateSettingSkipped(DescriptionSpec spec) =>
            Gen.Int[2, 10].Select(skip =>
            {
                InterfaceSpec last = spec.Interfaces[^1];
                var added = new InterfaceSpec(last.Number, (byte)(last.AlternateSetting + skip), UsbClass.VendorSpecific, 0, 0, 0, [], []);
                DescriptionSpec broken = spec with { Interfaces = spec.Interfaces.Add(added) };
                return new InvalidDescription(broken.Build(), "alternate settings out of order", $"Interfaces[{broken.Interfaces.Length - 1}].AlternateSetting");
            });

        private static Gen<InvalidDescription> AssociationBeyondLastInterface(DescriptionSpec spec) =>
            Gen.Int[1, 5].Select(beyond =>
            {
                int interfaces = spec.Interfaces[^1].Number + 1;
                var association = new InterfaceAssociationDescription { FirstInterface = 0, InterfaceCount = (byte)(interfaces + beyond) };
                DescriptionSpec broken = spec with { Associations = [association] };
                return new InvalidDescription(broken.Build(), "association beyond the last interface", "Associations[0].FirstInterface");
            });

        private static Gen<InvalidDescription> MicrosoftOsForMissingInterface(DescriptionSpec spec) =>
            Gen.Int[spec.Interfaces[^1].Number + 1, 255].Select(number =>
            {
                DescriptionSpec broken = spec with { Os = spec.Os.Add(new MicrosoftOsInterfaceDescriptors { Interface = (byte)number, CompatibleId = "WINUSB" }) };
                return new InvalidDescription(broken.Build(), "MS OS descriptors for a missing interface", $"MicrosoftOsDescriptors[{broken.Os.Length - 1}].Interface");
            });

        private static Gen<InvalidDescription> CompatibleIdTooLong(DescriptionSpec spec) =>
            Gen.Int[9, 20].Select(length =>
            {
                var os = new MicrosoftOsInterfaceDescriptors { Interface = 0, CompatibleId = new string('W', length) };
                DescriptionSpec broken = spec with { Os = [os] };
                return new InvalidDescription(broken.Build(), "CompatibleId over 8 characters", "MicrosoftOsDescriptors[0].CompatibleId");
            });

        private static Gen<InvalidDescription> ExtendedPropertyTooLarge(DescriptionSpec spec) =>
            Gen.Int[1, 200].Select(extra =>
            {
                const string Name = "Blob";
                var property = MicrosoftOsExtendedProperty.Binary(Name, new byte[255 - 14 - Name.Length - 1 + extra]);
                var os = new MicrosoftOsInterfaceDescriptors { Interface = 0, Properties = [property] };
                DescriptionSpec broken = spec with { Os = [os] };
                return new InvalidDescription(broken.Build(), "extended property over 255 bytes", "MicrosoftOsDescriptors[0].Properties[0]");
            });
    }
}

/// <summary>A description with one rule broken.</summary>
/// <param name="Description">The description.</param>
/// <param name="Mutation">What was broken, in words.</param>
/// <param name="ExpectedPath">The problem path the validator must report.</param>
public sealed record InvalidDescription(FunctionDescription Description, string Mutation, string ExpectedPath)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Mutation} (expect a problem at {ExpectedPath}):\n{FunctionDescriptionGenerators.Describe(Description)}";
}

internal sealed record LanguageSpec(ushort Id, ImmutableArray<string> Values);

internal sealed record EndpointSpec(byte Number, EndpointDirection Direction, EndpointTransferType Type)
{
    public IsochronousSynchronization Synchronization { get; init; }

    public EndpointUsage Usage { get; init; }

    public ushort? MaxPacketSize { get; init; }

    public TimeSpan? PollingInterval { get; init; }

    public EndpointSpeedOverride? FullSpeed { get; init; }

    public EndpointSpeedOverride? HighSpeed { get; init; }

    public EndpointSpeedOverride? SuperSpeed { get; init; }

    public SuperSpeedCompanion? Companion { get; init; }

    public EndpointDescription Build() => new()
    {
        Number = Number,
        Direction = Direction,
        Type = Type,
        Synchronization = Synchronization,
        Usage = Usage,
        MaxPacketSize = MaxPacketSize,
        PollingInterval = PollingInterval,
        FullSpeed = FullSpeed,
        HighSpeed = HighSpeed,
        SuperSpeed = SuperSpeed,
        Companion = Companion,
    };
}

internal sealed record InterfaceSpec(
    byte Number, byte AlternateSetting, byte Class, byte SubClass, byte Protocol, byte NameIndex,
    ImmutableArray<ClassSpecificDescriptor> ClassDescriptors, ImmutableArray<EndpointSpec> Endpoints)
{
    public InterfaceDescription Build() => new()
    {
        Number = Number,
        AlternateSetting = AlternateSetting,
        Class = Class,
        SubClass = SubClass,
        Protocol = Protocol,
        NameIndex = NameIndex,
        ClassDescriptors = ClassDescriptors,
        Endpoints = [.. Endpoints.Select(e => e.Build())],
    };
}

internal sealed record DescriptionSpec(
    UsbSpeeds Speeds,
    ImmutableArray<LanguageSpec> Strings,
    ImmutableArray<InterfaceSpec> Interfaces,
    ImmutableArray<InterfaceAssociationDescription> Associations,
    ImmutableArray<MicrosoftOsInterfaceDescriptors> Os,
    bool AllControlRecipients,
    bool Config0Setup,
    bool VirtualAddresses)
{
    public int EndpointCount => Interfaces.Sum(f => f.Endpoints.Length);

    public int StringCount => Strings.Length == 0 ? 0 : Strings[0].Values.Length;

    public (byte Number, EndpointDirection Direction)? FreeAddress()
    {
        var used = Interfaces.SelectMany(f => f.Endpoints).Select(e => (e.Number, e.Direction)).ToHashSet();
        for (byte n = 1; n <= 15; n++)
        {
            foreach (EndpointDirection direction in new[] { EndpointDirection.In, EndpointDirection.Out })
            {
                if (!used.Contains((n, direction)))
                {
                    return (n, direction);
                }
            }
        }

        return null;
    }

    public FunctionDescription Build()
    {
        var strings = new StringTable();
        foreach (LanguageSpec language in Strings)
        {
            strings[language.Id] = language.Values;
        }

        return new FunctionDescription
        {
            Speeds = Speeds,
            Strings = strings,
            Interfaces = [.. Interfaces.Select(f => f.Build())],
            Associations = Associations,
            MicrosoftOsDescriptors = Os,
            AllControlRecipients = AllControlRecipients,
            Config0Setup = Config0Setup,
            VirtualAddresses = VirtualAddresses,
        };
    }
}
