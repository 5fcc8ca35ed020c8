using System.Text;

namespace UsbGadget.Descriptors;

/// <summary>
/// Checks a <see cref="FunctionDescription"/> against the USB 2.0 / 3.x chapter 9 rules and what f_fs.c accepts,
/// collecting every problem so one run shows them all.
/// </summary>
public static class DescriptorValidator
{
    /// <summary>USB_MAX_STRING_LEN: the gadget core serves at most this many UTF-8 bytes of a string.</summary>
    private const int MaxStringUtf8Bytes = 126;

    /// <summary>Returns every problem in the description (empty when it is valid).</summary>
    /// <param name="description">The function.</param>
    /// <param name="options">Run-time writer inputs, checked against the description.</param>
    /// <returns>The problems, in field order.</returns>
    public static IReadOnlyList<DescriptorProblem> Validate(FunctionDescription description, FunctionFsWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        options ??= new FunctionFsWriterOptions();
        var problems = new List<DescriptorProblem>();
        new Walker(description, options, problems).Run();
        return problems;
    }

    /// <summary>Throws <see cref="DescriptorValidationException"/> when the description has problems.</summary>
    /// <param name="description">The function.</param>
    /// <param name="options">Run-time writer inputs.</param>
    /// <exception cref="DescriptorValidationException">Listing every problem.</exception>
    public static void ThrowIfInvalid(FunctionDescription description, FunctionFsWriterOptions? options = null)
    {
        IReadOnlyList<DescriptorProblem> problems = Validate(description, options);
        if (problems.Count > 0)
        {
            throw new DescriptorValidationException(problems, nameof(description));
        }
    }

    private static string SpeedName(UsbSpeed speed) => speed switch
    {
        UsbSpeed.Full => "full speed",
        UsbSpeed.High => "high speed",
        _ => "SuperSpeed",
    };

    private static string SpeedAbbreviation(UsbSpeed speed) => speed switch
    {
        UsbSpeed.Full => "FS",
        UsbSpeed.High => "HS",
        _ => "SS",
    };

    private sealed class Walker(FunctionDescription description, FunctionFsWriterOptions options, List<DescriptorProblem> problems)
    {
        private readonly Dictionary<byte, string> _endpointOwners = [];
        private int _endpointCount;
        private int _interfaceCount;

        private int StringCount => description.Strings.StringCount;

        public void Run()
        {
            CheckRoot();
            CheckStrings();
            CheckInterfaces();
            CheckAssociations();
            CheckMicrosoftOs();
        }

        private void Add(string path, string message) => problems.Add(new DescriptorProblem(path, message));

        private void CheckRoot()
        {
            if ((description.Speeds & UsbSpeeds.All) == UsbSpeeds.None)
            {
                Add("Speeds", "at least one speed is needed (Full, High or Super); FunctionFS refuses a function with descriptors for no speed.");
            }
            else if ((description.Speeds & ~UsbSpeeds.All) != 0)
            {
                Add("Speeds", $"unknown speed bits 0x{(int)(description.Speeds & ~UsbSpeeds.All):X}; use UsbSpeeds.Full, High and Super.");
            }

            // f_fs binds endpoints speed by speed; a later pass copies the address from the full speed descriptor
            // (ffs_ep->descs[0]). Without one, the SuperSpeed pass after the high speed pass dereferences NULL:
            // writing UDC oopses the kernel on a SuperSpeed-capable UDC (seen on Debian 6.1.0-56 with dummy_hcd).
            if ((description.Speeds & UsbSpeeds.All) == (UsbSpeeds.High | UsbSpeeds.Super)
                && description.Interfaces?.Any(i => i?.Endpoints?.Count > 0) == true)
            {
                Add("Speeds", "High and Super without Full: binding such a function with endpoints to a SuperSpeed-capable UDC crashes the kernel (f_fs copies each endpoint's address from its full speed descriptor); add UsbSpeeds.Full or use one speed.");
            }

            if (options.EventFd is < 0)
            {
                Add("FunctionFsWriterOptions.EventFd", $"must be an open file descriptor number (≥ 0), was {options.EventFd}.");
            }

            if (options.MicrosoftOsBcdVersion is not (FunctionFsWriterOptions.MicrosoftOsBcdVersionLegacy or FunctionFsWriterOptions.MicrosoftOsBcdVersion1_0))
            {
                Add("FunctionFsWriterOptions.MicrosoftOsBcdVersion", $"f_fs accepts only 0x0001 or 0x0100, was 0x{options.MicrosoftOsBcdVersion:X4}.");
            }
        }

        private void CheckStrings()
        {
            StringTable strings = description.Strings;
            if (strings is null)
            {
                Add("Strings", "must not be null; use an empty StringTable.");
                return;
            }

            int expected = -1;
            string? firstLanguage = null;
            foreach (var (languageId, values) in strings)
            {
                string path = $"Strings[0x{languageId:X4}]";
                if (languageId == 0)
                {
                    Add(path, "language id 0 is not a language; use a USB LANGID such as 0x0409 (English, United States).");
                }

                if (values is null)
                {
                    Add(path, "the string list must not be null.");
                    continue;
                }

                if (expected < 0)
                {
                    expected = values.Count;
                    firstLanguage = path;
                }
                else if (values.Count != expected)
                {
                    Add(path, $"has {values.Count} strings but {firstLanguage} has {expected}; every language needs the same number, because a string index means the same entry in each.");
                }

                if (values.Count > byte.MaxValue)
                {
                    Add(path, $"has {values.Count} strings; string indexes are one byte, so at most 255 are usable.");
                }

                for (int i = 0; i < values.Count; i++)
                {
                    string? value = values[i];
                    string itemPath = $"{path}[{i}]";
                    if (value is null)
                    {
                        Add(itemPath, $"string index {i + 1} is null; use \"\" for an unused entry.");
                        continue;
                    }

                    if (value.Contains('\0', StringComparison.Ordinal))
                    {
                        Add(itemPath, $"string index {i + 1} contains a NUL character; FunctionFS strings are NUL-terminated, so it would be cut there.");
                    }

                    if (HasUnpairedSurrogate(value))
                    {
                        Add(itemPath, $"string index {i + 1} contains an unpaired UTF-16 surrogate; it cannot be encoded as UTF-8 for FunctionFS and would reach the host as U+FFFD.");
                        continue;
                    }

                    // usb_gadget_get_string (drivers/usb/gadget/usbstring.c) cuts the UTF-8 text at 126 bytes before
                    // converting it to UTF-16, so the limit is in UTF-8 bytes: 126 ASCII characters, but only 63 'é'.
                    int utf8Length = Encoding.UTF8.GetByteCount(value);
                    if (utf8Length > MaxStringUtf8Bytes)
                    {
                        Add(itemPath, $"string index {i + 1} is {utf8Length} bytes in UTF-8 ({value.Length} UTF-16 code units); the gadget core serves at most {MaxStringUtf8Bytes} UTF-8 bytes of a string (usb_gadget_get_string), so the host would see it truncated.");
                    }
                }
            }
        }

        private void CheckStringIndex(string path, byte index)
        {
            if (index != 0 && index > StringCount)
            {
                Add(path, StringCount == 0
                    ? $"string index {index} refers to an empty string table; add the string to Strings (index 1 is the first string) or use 0 for none."
                    : $"string index {index} does not exist; Strings has {StringCount} strings per language (index 1 is the first string, 0 means none).");
            }
        }

        private void CheckInterfaces()
        {
            IReadOnlyList<InterfaceDescription> interfaces = description.Interfaces;
            if (interfaces is null || interfaces.Count == 0)
            {
                Add("Interfaces", "a function needs at least one interface; FunctionFS rejects an empty descriptor list.");
                return;
            }

            InterfaceDescription? previous = null;
            for (int i = 0; i < interfaces.Count; i++)
            {
                string path = $"Interfaces[{i}]";
                InterfaceDescription? @interface = interfaces[i];
                if (@interface is null)
                {
                    Add(path, "must not be null.");
                    continue;
                }

                CheckInterfaceOrder(path, previous, @interface);
                previous = @interface;
                _interfaceCount = Math.Max(_interfaceCount, @interface.Number + 1);

                CheckStringIndex($"{path}.NameIndex", @interface.NameIndex);
                CheckClassDescriptors(path, @interface);

                if (@interface.Endpoints is null)
                {
                    Add($"{path}.Endpoints", "must not be null; use [] for an interface without endpoints.");
                    continue;
                }

                for (int e = 0; e < @interface.Endpoints.Count; e++)
                {
                    CheckEndpoint($"{path}.Endpoints[{e}]", @interface.Endpoints[e]);
                    CheckNoBandwidthInDefaultSetting($"{path}.Endpoints[{e}]", @interface, @interface.Endpoints[e]);
                }
            }

            if (_endpointCount > FunctionFsConstants.MaxEndpoints)
            {
                Add("Interfaces", $"the function has {_endpointCount} endpoints; FunctionFS allows at most {FunctionFsConstants.MaxEndpoints}.");
            }
        }

        private void CheckNoBandwidthInDefaultSetting(string path, InterfaceDescription @interface, EndpointDescription? endpoint)
        {
            // USB 2.0 §5.6.3: a default setting must not reserve isochronous bandwidth, or configuring the device
            // can fail on a busy bus before the function has asked for anything.
            if (endpoint is null || endpoint.Type != EndpointTransferType.Isochronous || @interface.AlternateSetting != 0)
            {
                return;
            }

            foreach (UsbSpeed speed in UsbSpeedSet.InBlobOrder)
            {
                if (description.Speeds.Includes(speed)
                    && (EndpointSpeedResolver.Resolve(endpoint, speed).MaxPacketSizeField & 0x07FF) != 0)
                {
                    Add(path, $"isochronous endpoints with a non-zero max packet size must not be in alternate setting 0 (USB 2.0 §5.6.3); add an alternate setting 1 for them and leave setting 0 without isochronous bandwidth.");
                    return;
                }
            }
        }

        private void CheckInterfaceOrder(string path, InterfaceDescription? previous, InterfaceDescription current)
        {
            if (previous is null)
            {
                if (current.Number != 0 || current.AlternateSetting != 0)
                {
                    Add($"{path}.Number", $"the first interface must be interface 0, alternate setting 0 (found interface {current.Number}, alternate setting {current.AlternateSetting}); interface numbers are local to the function and run 0, 1, 2, ... without gaps.");
                }

                return;
            }

            if (current.Number == previous.Number)
            {
                if (current.AlternateSetting != previous.AlternateSetting + 1)
                {
                    Add($"{path}.AlternateSetting", $"alternate settings of interface {current.Number} must run 0, 1, 2, ... in order; expected {previous.AlternateSetting + 1}, found {current.AlternateSetting}.");
                }
            }
            else if (current.Number != previous.Number + 1)
            {
                Add($"{path}.Number", $"interface numbers must be contiguous from 0, each interface's alternate settings listed right after it; expected {previous.Number} (another alternate setting) or {previous.Number + 1}, found {current.Number}.");
            }
            else if (current.AlternateSetting != 0)
            {
                Add($"{path}.AlternateSetting", $"interface {current.Number} must start with alternate setting 0, found {current.AlternateSetting}.");
            }
        }

        private void CheckClassDescriptors(string path, InterfaceDescription @interface)
        {
            if (@interface.ClassDescriptors is null)
            {
                Add($"{path}.ClassDescriptors", "must not be null; use [] for none.");
                return;
            }

            for (int k = 0; k < @interface.ClassDescriptors.Count; k++)
            {
                string itemPath = $"{path}.ClassDescriptors[{k}]";
                ClassSpecificDescriptor? descriptor = @interface.ClassDescriptors[k];
                if (descriptor is null)
                {
                    Add(itemPath, "must not be null.");
                    continue;
                }

                if (descriptor.Length > byte.MaxValue)
                {
                    Add(itemPath, $"is {descriptor.Length} bytes; bLength is one byte, so a descriptor is at most 255 bytes.");
                }

                if (descriptor is RawDescriptor raw && raw.DeclaredLength != raw.Length)
                {
                    Add($"{itemPath}.bLength", $"says {raw.DeclaredLength} but the descriptor has {raw.Length} bytes; f_fs walks descriptors by bLength, so they must agree.");
                }

                CheckKernelAcceptsClassDescriptor(itemPath, @interface.Class, descriptor);
            }
        }

        private void CheckKernelAcceptsClassDescriptor(string path, byte interfaceClass, ClassSpecificDescriptor descriptor)
        {
            byte type = descriptor.DescriptorType;
            switch (type)
            {
                case HidClassDescriptor.HidDescriptorType when interfaceClass == UsbClass.Hid:
                    if (descriptor.Length != 9)
                    {
                        Add(path, $"a HID descriptor must be 9 bytes (one report descriptor entry) for f_fs to accept it on every kernel, was {descriptor.Length}.");
                    }

                    break;
                case HidClassDescriptor.HidDescriptorType when interfaceClass == UsbClass.SmartCard:
                    if (descriptor.Length != 54)
                    {
                        Add(path, $"a CCID class descriptor must be 54 bytes for f_fs to accept it, was {descriptor.Length}.");
                    }

                    break;
                case HidClassDescriptor.HidDescriptorType:
                    Add(path, $"f_fs accepts descriptor type 0x21 only after a HID (0x03) or smart card (0x0B) interface, but the interface class is 0x{interfaceClass:X2}; set the interface Class or remove the descriptor.");
                    break;
                case FunctionFsConstants.DescriptorTypeInterface or FunctionFsConstants.DescriptorTypeEndpoint
                    or FunctionFsConstants.DescriptorTypeInterfaceAssociation or FunctionFsConstants.DescriptorTypeSuperSpeedEndpointCompanion:
                    Add(path, $"descriptor type 0x{type:X2} is generated from the model; describe it with InterfaceDescription, EndpointDescription or InterfaceAssociationDescription instead of raw bytes.");
                    break;
                default:
                    Add(path, $"f_fs (ffs_do_single_desc) rejects descriptor type 0x{type:X2} with EINVAL: FunctionFS passes only interface, endpoint, SuperSpeed companion, interface association, OTG and HID/CCID (0x21) descriptors.");
                    break;
            }
        }

        private void CheckEndpoint(string path, EndpointDescription? endpoint)
        {
            if (endpoint is null)
            {
                Add(path, "must not be null.");
                return;
            }

            _endpointCount++;

            if (endpoint.Number is < 1 or > 15)
            {
                Add($"{path}.Number", $"endpoint numbers are 1..15 (0 is the control endpoint), was {endpoint.Number}.");
            }

            if (endpoint.Direction is not (EndpointDirection.In or EndpointDirection.Out))
            {
                Add($"{path}.Direction", $"must be In or Out, was {(int)endpoint.Direction}.");
                return;
            }

            if (endpoint.Type is not (EndpointTransferType.Bulk or EndpointTransferType.Interrupt or EndpointTransferType.Isochronous))
            {
                Add($"{path}.Type", $"must be Bulk, Interrupt or Isochronous, was {(int)endpoint.Type}.");
                return;
            }

            if (endpoint.Number is >= 1 and <= 15)
            {
                if (_endpointOwners.TryGetValue(endpoint.Address, out string? owner))
                {
                    Add($"{path}.Number", $"endpoint 0x{endpoint.Address:X2} ({endpoint.Direction} {endpoint.Number}) is already used by {owner}; FunctionFS needs each number and direction once in the whole function, alternate settings included.");
                }
                else
                {
                    _endpointOwners[endpoint.Address] = path;
                }
            }

            CheckEndpointAttributes(path, endpoint);
            CheckCompanion(path, endpoint);

            foreach (UsbSpeed speed in UsbSpeedSet.InBlobOrder)
            {
                if (description.Speeds.Includes(speed))
                {
                    CheckEndpointAtSpeed(path, endpoint, speed);
                }
            }
        }

        private void CheckEndpointAttributes(string path, EndpointDescription endpoint)
        {
            switch (endpoint.Type)
            {
                case EndpointTransferType.Bulk:
                    if (endpoint.MaxPacketSize is not null)
                    {
                        Add($"{path}.MaxPacketSize", "must be null for bulk endpoints: each speed fixes it (64, 512, 1024). To use 8, 16 or 32 at full speed set FullSpeed.MaxPacketSize.");
                    }

                    if (endpoint.PollingInterval is not null)
                    {
                        Add($"{path}.PollingInterval", "must be null for bulk endpoints, which are not polled periodically.");
                    }

                    if (endpoint.Synchronization != IsochronousSynchronization.None || endpoint.Usage != EndpointUsage.Data)
                    {
                        Add($"{path}.Synchronization", "synchronization and usage types apply to isochronous endpoints only; leave them at None and Data.");
                    }

                    break;
                case EndpointTransferType.Interrupt:
                    if (endpoint.Synchronization != IsochronousSynchronization.None)
                    {
                        Add($"{path}.Synchronization", "applies to isochronous endpoints only; leave it at None for interrupt endpoints.");
                    }

                    if (endpoint.Usage is not (EndpointUsage.Data or EndpointUsage.Feedback))
                    {
                        Add($"{path}.Usage", "interrupt endpoints are periodic (Data) or notification (Feedback) endpoints.");
                    }

                    CheckPollingInterval(path, endpoint);
                    break;
                default:
                    if (endpoint.MaxPacketSize is null)
                    {
                        Add($"{path}.MaxPacketSize", "isochronous endpoints must state their payload per service interval; set MaxPacketSize.");
                    }

                    if (endpoint.Synchronization is < IsochronousSynchronization.None or > IsochronousSynchronization.Synchronous)
                    {
                        Add($"{path}.Synchronization", $"unknown synchronization type {(int)endpoint.Synchronization}.");
                    }

                    if (endpoint.Usage is < EndpointUsage.Data or > EndpointUsage.ImplicitFeedbackData)
                    {
                        Add($"{path}.Usage", $"unknown usage type {(int)endpoint.Usage}.");
                    }

                    CheckPollingInterval(path, endpoint);
                    break;
            }
        }

        private void CheckPollingInterval(string path, EndpointDescription endpoint)
        {
            if (endpoint.PollingInterval is TimeSpan period
                && (period < TimeSpan.FromMicroseconds(125) || period > TimeSpan.FromMilliseconds(4096)))
            {
                Add($"{path}.PollingInterval", $"must be between 125 µs (one microframe) and 4096 ms (2^15 microframes), was {period.TotalMilliseconds} ms.");
            }
        }

        private void CheckCompanion(string path, EndpointDescription endpoint)
        {
            if (endpoint.Companion is not SuperSpeedCompanion companion)
            {
                return;
            }

            string companionPath = $"{path}.Companion";
            switch (endpoint.Type)
            {
                case EndpointTransferType.Bulk:
                    if (companion.MaxBurst > 15)
                    {
                        Add($"{companionPath}.MaxBurst", $"must be 0..15, was {companion.MaxBurst}.");
                    }

                    if (companion.Attributes > 16)
                    {
                        Add($"{companionPath}.Attributes", $"for bulk endpoints holds MaxStreams in bits 4..0, 0..16, was {companion.Attributes}.");
                    }

                    break;
                case EndpointTransferType.Interrupt:
                    if (companion.MaxBurst > 2)
                    {
                        Add($"{companionPath}.MaxBurst", $"must be 0..2 for interrupt endpoints, was {companion.MaxBurst}.");
                    }

                    if (companion.Attributes != 0)
                    {
                        Add($"{companionPath}.Attributes", $"is reserved for interrupt endpoints and must be 0, was {companion.Attributes}.");
                    }

                    break;
                default:
                    if (companion.MaxBurst > 15)
                    {
                        Add($"{companionPath}.MaxBurst", $"must be 0..15, was {companion.MaxBurst}.");
                    }

                    if ((companion.Attributes & 0x03) > 2 || (companion.Attributes & ~0x03) != 0)
                    {
                        Add($"{companionPath}.Attributes", $"for isochronous endpoints holds Mult (0..2) in bits 1..0 and must be 0 elsewhere, was 0x{companion.Attributes:X2}.");
                    }

                    break;
            }
        }

        private void CheckEndpointAtSpeed(string path, EndpointDescription endpoint, UsbSpeed speed)
        {
            ResolvedEndpoint resolved = EndpointSpeedResolver.Resolve(endpoint, speed);
            string speedName = SpeedName(speed);
            string abbreviation = SpeedAbbreviation(speed);
            string packetPath = $"{path}.MaxPacketSize ({speedName})";
            string intervalPath = $"{path}.Interval ({speedName})";
            int field = resolved.MaxPacketSizeField;
            int size = field & 0x07FF;
            int transactions = (field >> 11) & 0x03;
            int reservedBits = field & 0xE000;
            byte interval = resolved.Interval;

            switch (endpoint.Type)
            {
                case EndpointTransferType.Bulk:
                    switch (speed)
                    {
                        case UsbSpeed.Full when field is not (8 or 16 or 32 or 64):
                            Add(packetPath, $"FS bulk max packet must be 8, 16, 32 or 64, was {field}.");
                            break;
                        case UsbSpeed.High when field != 512:
                            Add(packetPath, $"HS bulk max packet must be 512, was {field}.");
                            break;
                        case UsbSpeed.Super when field != 1024:
                            Add(packetPath, $"SS bulk max packet must be 1024, was {field}.");
                            break;
                    }

                    if (speed == UsbSpeed.Super && interval != 0)
                    {
                        Add(intervalPath, $"SS bulk bInterval is reserved and must be 0, was {interval}.");
                    }

                    break;

                case EndpointTransferType.Interrupt:
                    if (speed == UsbSpeed.Full)
                    {
                        if (field is < 1 or > 64)
                        {
                            Add(packetPath, $"FS interrupt max packet must be 1..64, was {field}.");
                        }

                        if (interval < 1)
                        {
                            Add(intervalPath, "FS interrupt bInterval counts 1 ms frames and must be 1..255, was 0.");
                        }
                    }
                    else
                    {
                        CheckPeriodicPacket(packetPath, abbreviation, "interrupt", speed, size, transactions, reservedBits, minimum: 1);
                        CheckExponentInterval(intervalPath, abbreviation, "interrupt", interval);
                    }

                    break;

                default:
                    if (speed == UsbSpeed.Full)
                    {
                        if (field > 1023)
                        {
                            Add(packetPath, $"FS isochronous max packet must be 0..1023, was {field}.");
                        }

                        CheckExponentInterval(intervalPath, abbreviation, "isochronous", interval);
                    }
                    else
                    {
                        CheckPeriodicPacket(packetPath, abbreviation, "isochronous", speed, size, transactions, reservedBits, minimum: 0);
                        CheckExponentInterval(intervalPath, abbreviation, "isochronous", interval);
                    }

                    break;
            }

            if (speed == UsbSpeed.Super && endpoint.Type != EndpointTransferType.Bulk)
            {
                if (resolved.MaxBurst > 0 && size != 1024)
                {
                    Add(packetPath, $"SS {(endpoint.Type == EndpointTransferType.Interrupt ? "interrupt" : "isochronous")} endpoints with bMaxBurst > 0 must use max packet 1024, was {size}.");
                }

                int most = EndpointSpeedResolver.MaxBytesPerInterval(endpoint.Type, resolved.MaxPacketSizeField, resolved.MaxBurst, resolved.CompanionAttributes);
                if (resolved.BytesPerInterval > most)
                {
                    Add($"{path}.Companion.BytesPerInterval", $"is {resolved.BytesPerInterval} but max packet × (bMaxBurst + 1) × (Mult + 1) allows at most {most}.");
                }
            }
        }

        private void CheckPeriodicPacket(string path, string abbreviation, string kind, UsbSpeed speed, int size, int transactions, int reservedBits, int minimum)
        {
            if (reservedBits != 0)
            {
                Add(path, $"{abbreviation} {kind} wMaxPacketSize bits 15..13 are reserved and must be 0.");
            }

            if (size < minimum || size > 1024)
            {
                Add(path, $"{abbreviation} {kind} max packet must be {minimum}..1024, was {size}.");
            }

            if (speed == UsbSpeed.Super)
            {
                if (transactions != 0)
                {
                    Add(path, "SS endpoints express extra packets with the companion's bMaxBurst and Mult, not wMaxPacketSize bits 12..11; clear them.");
                }

                return;
            }

            // USB 2.0 table 9-14: high-bandwidth endpoints need a packet size that justifies the extra transactions.
            switch (transactions)
            {
                case 1 when size < 513:
                    Add(path, $"HS {kind} with 2 transactions per microframe needs max packet 513..1024, was {size}.");
                    break;
                case 2 when size < 683:
                    Add(path, $"HS {kind} with 3 transactions per microframe needs max packet 683..1024, was {size}.");
                    break;
                case 3:
                    Add(path, "HS wMaxPacketSize bits 12..11 = 3 is reserved; at most 2 additional transactions per microframe.");
                    break;
            }
        }

        private void CheckExponentInterval(string path, string abbreviation, string kind, byte interval)
        {
            if (interval is < 1 or > 16)
            {
                Add(path, $"{abbreviation} {kind} bInterval is an exponent (period 2^(bInterval-1)) and must be 1..16, was {interval}.");
            }
        }

        private void CheckAssociations()
        {
            if (description.Associations is null)
            {
                Add("Associations", "must not be null; use [] for none.");
                return;
            }

            var claimed = new Dictionary<int, int>();
            for (int a = 0; a < description.Associations.Count; a++)
            {
                string path = $"Associations[{a}]";
                InterfaceAssociationDescription? association = description.Associations[a];
                if (association is null)
                {
                    Add(path, "must not be null.");
                    continue;
                }

                CheckStringIndex($"{path}.NameIndex", association.NameIndex);
                if (association.InterfaceCount == 0)
                {
                    Add($"{path}.InterfaceCount", "an association groups at least one interface, was 0.");
                    continue;
                }

                if (association.FirstInterface + association.InterfaceCount > _interfaceCount)
                {
                    Add($"{path}.FirstInterface", $"interfaces {association.FirstInterface}..{association.FirstInterface + association.InterfaceCount - 1} do not all exist; the function has interfaces 0..{_interfaceCount - 1}.");
                    continue;
                }

                for (int i = association.FirstInterface; i < association.FirstInterface + association.InterfaceCount; i++)
                {
                    if (claimed.TryGetValue(i, out int other))
                    {
                        Add($"{path}.FirstInterface", $"interface {i} already belongs to Associations[{other}]; an interface can be in one association only.");
                        break;
                    }

                    claimed[i] = a;
                }
            }
        }

        private void CheckMicrosoftOs()
        {
            if (description.MicrosoftOsDescriptors is null)
            {
                Add("MicrosoftOsDescriptors", "must not be null; use [] for none.");
                return;
            }

            var seen = new Dictionary<byte, int>();
            for (int m = 0; m < description.MicrosoftOsDescriptors.Count; m++)
            {
                string path = $"MicrosoftOsDescriptors[{m}]";
                MicrosoftOsInterfaceDescriptors? os = description.MicrosoftOsDescriptors[m];
                if (os is null)
                {
                    Add(path, "must not be null.");
                    continue;
                }

                if (os.Interface >= _interfaceCount)
                {
                    Add($"{path}.Interface", $"interface {os.Interface} does not exist; the function has interfaces 0..{_interfaceCount - 1} (f_fs rejects the blob with EINVAL).");
                }

                if (!seen.TryAdd(os.Interface, m))
                {
                    Add($"{path}.Interface", $"interface {os.Interface} already has OS descriptors in MicrosoftOsDescriptors[{seen[os.Interface]}]; merge them into one entry.");
                }

                if (os.CompatibleId is not null)
                {
                    CheckFixedAscii($"{path}.CompatibleId", os.CompatibleId, allowEmpty: false);
                }

                if (os.SubCompatibleId is null)
                {
                    Add($"{path}.SubCompatibleId", "must not be null; use \"\".");
                }
                else
                {
                    CheckFixedAscii($"{path}.SubCompatibleId", os.SubCompatibleId, allowEmpty: true);
                }

                if (os.Properties is null)
                {
                    Add($"{path}.Properties", "must not be null; use [] for none.");
                    continue;
                }

                if (os.Properties.Count > ushort.MaxValue)
                {
                    Add($"{path}.Properties", $"has {os.Properties.Count} entries; wCount is 16 bits.");
                }

                for (int p = 0; p < os.Properties.Count; p++)
                {
                    CheckProperty($"{path}.Properties[{p}]", os.Properties[p]);
                }
            }
        }

        private void CheckFixedAscii(string path, string value, bool allowEmpty)
        {
            if (!allowEmpty && value.Length == 0)
            {
                Add(path, "must not be empty; use null for no compatible id.");
            }

            if (value.Length > 8)
            {
                Add(path, $"is {value.Length} characters; the field holds 8 ASCII characters (e.g. \"WINUSB\").");
            }

            if (!IsPrintableAscii(value))
            {
                Add(path, "must be printable ASCII (Windows expects upper-case letters, digits and '_').");
            }
        }

        private void CheckProperty(string path, MicrosoftOsExtendedProperty? property)
        {
            if (property is null)
            {
                Add(path, "must not be null.");
                return;
            }

            if (property.Name.Length == 0)
            {
                Add($"{path}.Name", "must not be empty.");
            }
            else if (!IsPrintableAscii(property.Name))
            {
                Add($"{path}.Name", $"\"{property.Name}\" must be printable ASCII: the gadget core widens it to UTF-16 by doubling its byte length.");
            }

            if (property.Text is string text && !IsPrintableAscii(text))
            {
                Add($"{path}.Text", $"\"{text}\" must be printable ASCII: the gadget core widens string data to UTF-16 by doubling its byte length.");
            }

            int size = FunctionFsConstants.ExtendedPropertyOverhead + property.Name.Length + 1 + property.Data.Length;
            if (size > byte.MaxValue)
            {
                Add(path, $"is {size} bytes (14 + name + NUL + data); f_fs keeps an extended property's size in a u8, so it must be at most 255.");
            }
        }

        private static bool HasUnpairedSurrogate(string value)
        {
            for (int i = 0; i < value.Length; i++)
            {
                if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(value[i]))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsPrintableAscii(string value)
        {
            foreach (char c in value)
            {
                if (c is < ' ' or > '~')
                {
                    return false;
                }
            }

            return true;
        }
    }
}
