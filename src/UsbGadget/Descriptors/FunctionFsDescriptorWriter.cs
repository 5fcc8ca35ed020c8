using System.Text;

namespace UsbGadget.Descriptors;

/// <summary>
/// Encodes the FunctionFS blobs (include/uapi/linux/usb/functionfs.h): the v2 descriptors blob and the strings blob.
/// Expects a validated description; <see cref="FunctionFsDescriptors.Create"/> validates first.
/// </summary>
internal static class FunctionFsDescriptorWriter
{
    public static byte[] WriteDescriptors(FunctionDescription description, FunctionFsWriterOptions options)
    {
        var blob = new BlobBuilder();
        blob.WriteUInt32(FunctionFsConstants.DescriptorsMagicV2);
        LengthToken length = blob.ReserveLength32(start: 0);

        int osCount = CountOsDescriptors(description);
        uint flags = GetFlags(description, options, osCount);
        blob.WriteUInt32(flags);
        if (options.EventFd is int eventFd)
        {
            blob.WriteInt32(eventFd);
        }

        // One count per speed present, in fs, hs, ss order, then os_count: the order f_fs.c reads them in.
        var countOffsets = new Dictionary<UsbSpeed, int>();
        foreach (UsbSpeed speed in UsbSpeedSet.InBlobOrder)
        {
            if (description.Speeds.Includes(speed))
            {
                countOffsets[speed] = blob.ReserveUInt32();
            }
        }

        if (osCount > 0)
        {
            blob.WriteUInt32((uint)osCount);
        }

        foreach (UsbSpeed speed in UsbSpeedSet.InBlobOrder)
        {
            if (countOffsets.TryGetValue(speed, out int offset))
            {
                blob.PatchUInt32(offset, (uint)WriteSpeedDescriptors(blob, description, speed));
            }
        }

        WriteMicrosoftOsDescriptors(blob, description, options.MicrosoftOsBcdVersion);

        blob.PatchLength32(length);
        return blob.ToArray();
    }

    public static byte[] WriteStrings(FunctionDescription description)
    {
        StringTable strings = description.Strings;
        var blob = new BlobBuilder();
        blob.WriteUInt32(FunctionFsConstants.StringsMagic);
        LengthToken length = blob.ReserveLength32(start: 0);

        // f_fs.c requires str_count and lang_count to be both zero or both non-zero.
        int stringCount = strings.StringCount;
        int languageCount = stringCount == 0 ? 0 : strings.LanguageCount;
        blob.WriteUInt32((uint)stringCount);
        blob.WriteUInt32((uint)languageCount);

        if (languageCount > 0)
        {
            foreach (var (languageId, values) in strings)
            {
                blob.WriteUInt16(languageId);
                foreach (string value in values)
                {
                    blob.WriteBytes(Encoding.UTF8.GetBytes(value));
                    blob.WriteByte(0);
                }
            }
        }

        blob.PatchLength32(length);
        return blob.ToArray();
    }

    public static IReadOnlyList<FunctionFsEndpoint> ListEndpoints(FunctionDescription description)
    {
        var endpoints = new List<FunctionFsEndpoint>();
        foreach (InterfaceDescription @interface in description.Interfaces)
        {
            foreach (EndpointDescription endpoint in @interface.Endpoints)
            {
                int index = endpoints.Count + 1;
                string fileName = description.VirtualAddresses ? $"ep{endpoint.Address:x2}" : $"ep{index}";
                endpoints.Add(new FunctionFsEndpoint(
                    index,
                    fileName,
                    endpoint,
                    @interface.Number,
                    @interface.AlternateSetting,
                    Parameters(description, endpoint, UsbSpeed.Full),
                    Parameters(description, endpoint, UsbSpeed.High),
                    Parameters(description, endpoint, UsbSpeed.Super)));
            }
        }

        return endpoints;
    }

    internal static void WriteInterface(BlobBuilder blob, InterfaceDescription @interface)
    {
        DescriptorToken token = blob.BeginDescriptor(FunctionFsConstants.DescriptorTypeInterface);
        blob.WriteByte(@interface.Number);
        blob.WriteByte(@interface.AlternateSetting);
        blob.WriteByte((byte)@interface.Endpoints.Count);
        blob.WriteByte(@interface.Class);
        blob.WriteByte(@interface.SubClass);
        blob.WriteByte(@interface.Protocol);
        blob.WriteByte(@interface.NameIndex);
        blob.EndDescriptor(token);
    }

    internal static void WriteEndpoint(BlobBuilder blob, byte address, in ResolvedEndpoint resolved)
    {
        DescriptorToken token = blob.BeginDescriptor(FunctionFsConstants.DescriptorTypeEndpoint);
        blob.WriteByte(address);
        blob.WriteByte(resolved.Attributes);
        blob.WriteUInt16(resolved.MaxPacketSizeField);
        blob.WriteByte(resolved.Interval);
        blob.EndDescriptor(token);
    }

    internal static void WriteSuperSpeedCompanion(BlobBuilder blob, in ResolvedEndpoint resolved)
    {
        DescriptorToken token = blob.BeginDescriptor(FunctionFsConstants.DescriptorTypeSuperSpeedEndpointCompanion);
        blob.WriteByte(resolved.MaxBurst);
        blob.WriteByte(resolved.CompanionAttributes);
        blob.WriteUInt16(resolved.BytesPerInterval);
        blob.EndDescriptor(token);
    }

    internal static void WriteInterfaceAssociation(BlobBuilder blob, InterfaceAssociationDescription association)
    {
        DescriptorToken token = blob.BeginDescriptor(FunctionFsConstants.DescriptorTypeInterfaceAssociation);
        blob.WriteByte(association.FirstInterface);
        blob.WriteByte(association.InterfaceCount);
        blob.WriteByte(association.Class);
        blob.WriteByte(association.SubClass);
        blob.WriteByte(association.Protocol);
        blob.WriteByte(association.NameIndex);
        blob.EndDescriptor(token);
    }

    internal static void WriteClassSpecific(BlobBuilder blob, ClassSpecificDescriptor descriptor) =>
        descriptor.WriteTo(blob.Allocate(descriptor.Length));

    /// <summary>Writes struct usb_os_desc_header + one usb_ext_compat_desc.</summary>
    internal static void WriteExtendedCompat(BlobBuilder blob, byte interfaceNumber, string compatibleId, string subCompatibleId, ushort bcdVersion)
    {
        int start = blob.Count;
        blob.WriteByte(interfaceNumber);
        LengthToken length = blob.ReserveLength32(start);
        blob.WriteUInt16(bcdVersion);
        blob.WriteUInt16(FunctionFsConstants.OsDescriptorExtendedCompatIndex);
        blob.WriteByte(1); // bCount
        blob.WriteByte(0); // Reserved

        blob.WriteByte(interfaceNumber); // bFirstInterfaceNumber

        // Reserved1: old kernels reject anything but 0; newer ones force the 1 the Microsoft spec wants. 0 works on both.
        blob.WriteByte(0);
        WriteIdField(blob, compatibleId);
        WriteIdField(blob, subCompatibleId);
        blob.WriteBytes(stackalloc byte[6]); // Reserved2
        blob.PatchLength32(length);
    }

    /// <summary>Writes struct usb_os_desc_header + its usb_ext_prop_desc entries.</summary>
    internal static void WriteExtendedProperties(BlobBuilder blob, byte interfaceNumber, IReadOnlyList<MicrosoftOsExtendedProperty> properties, ushort bcdVersion)
    {
        int start = blob.Count;
        blob.WriteByte(interfaceNumber);
        LengthToken length = blob.ReserveLength32(start);
        blob.WriteUInt16(bcdVersion);
        blob.WriteUInt16(FunctionFsConstants.OsDescriptorExtendedPropertiesIndex);
        blob.WriteUInt16((ushort)properties.Count); // wCount

        foreach (MicrosoftOsExtendedProperty property in properties)
        {
            LengthToken size = blob.ReserveLength32(blob.Count); // dwSize counts itself
            blob.WriteUInt32((uint)property.Type);

            // Name as NUL-terminated 8-bit text: the gadget core converts it to UTF-16 with strlen().
            blob.WriteUInt16((ushort)(property.Name.Length + 1));
            blob.WriteBytes(Encoding.Latin1.GetBytes(property.Name));
            blob.WriteByte(0);
            blob.WriteUInt32((uint)property.Data.Length);
            blob.WriteBytes(property.Data.Span);
            blob.PatchLength32(size);
        }

        blob.PatchLength32(length);
    }

    private static int WriteSpeedDescriptors(BlobBuilder blob, FunctionDescription description, UsbSpeed speed)
    {
        int count = 0;
        foreach (InterfaceDescription @interface in description.Interfaces)
        {
            if (@interface.AlternateSetting == 0)
            {
                foreach (InterfaceAssociationDescription association in description.Associations)
                {
                    if (association.FirstInterface == @interface.Number)
                    {
                        WriteInterfaceAssociation(blob, association);
                        count++;
                    }
                }
            }

            WriteInterface(blob, @interface);
            count++;

            foreach (ClassSpecificDescriptor classDescriptor in @interface.ClassDescriptors)
            {
                WriteClassSpecific(blob, classDescriptor);
                count++;
            }

            foreach (EndpointDescription endpoint in @interface.Endpoints)
            {
                ResolvedEndpoint resolved = EndpointSpeedResolver.Resolve(endpoint, speed);
                WriteEndpoint(blob, endpoint.Address, resolved);
                count++;

                // USB 3.x §9.6.7: the companion follows its endpoint descriptor directly.
                if (speed == UsbSpeed.Super)
                {
                    WriteSuperSpeedCompanion(blob, resolved);
                    count++;
                }
            }
        }

        return count;
    }

    private static void WriteMicrosoftOsDescriptors(BlobBuilder blob, FunctionDescription description, ushort bcdVersion)
    {
        foreach (MicrosoftOsInterfaceDescriptors os in description.MicrosoftOsDescriptors)
        {
            if (os.CompatibleId is not null)
            {
                WriteExtendedCompat(blob, os.Interface, os.CompatibleId, os.SubCompatibleId, bcdVersion);
            }

            if (os.Properties.Count > 0)
            {
                WriteExtendedProperties(blob, os.Interface, os.Properties, bcdVersion);
            }
        }
    }

    private static int CountOsDescriptors(FunctionDescription description)
    {
        int count = 0;
        foreach (MicrosoftOsInterfaceDescriptors os in description.MicrosoftOsDescriptors)
        {
            count += (os.CompatibleId is null ? 0 : 1) + (os.Properties.Count > 0 ? 1 : 0);
        }

        return count;
    }

    private static uint GetFlags(FunctionDescription description, FunctionFsWriterOptions options, int osCount)
    {
        uint flags = 0;
        flags |= description.Speeds.Includes(UsbSpeed.Full) ? FunctionFsConstants.HasFullSpeedDescriptors : 0;
        flags |= description.Speeds.Includes(UsbSpeed.High) ? FunctionFsConstants.HasHighSpeedDescriptors : 0;
        flags |= description.Speeds.Includes(UsbSpeed.Super) ? FunctionFsConstants.HasSuperSpeedDescriptors : 0;
        flags |= osCount > 0 ? FunctionFsConstants.HasMsOsDescriptors : 0;
        flags |= description.VirtualAddresses ? FunctionFsConstants.VirtualAddresses : 0;
        flags |= options.EventFd is not null ? FunctionFsConstants.EventFd : 0;
        flags |= description.AllControlRecipients ? FunctionFsConstants.AllControlRecipients : 0;
        flags |= description.Config0Setup ? FunctionFsConstants.Config0Setup : 0;
        return flags;
    }

    private static EndpointSpeedParameters? Parameters(FunctionDescription description, EndpointDescription endpoint, UsbSpeed speed)
    {
        if (!description.Speeds.Includes(speed))
        {
            return null;
        }

        ResolvedEndpoint resolved = EndpointSpeedResolver.Resolve(endpoint, speed);
        return speed == UsbSpeed.Super
            ? new EndpointSpeedParameters(resolved.MaxPacketSizeField, resolved.Interval, resolved.MaxBurst, resolved.BytesPerInterval)
            : new EndpointSpeedParameters(resolved.MaxPacketSizeField, resolved.Interval, 0, 0);
    }

    /// <summary>An 8-byte CompatibleID / SubCompatibleID field, NUL-padded (validation limits it to 8 ASCII characters).</summary>
    private static void WriteIdField(BlobBuilder blob, string value)
    {
        Span<byte> field = blob.Allocate(8);
        field.Clear();
        Encoding.ASCII.GetBytes(value, field);
    }
}
