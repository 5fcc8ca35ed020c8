using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>Single descriptors against the layouts of USB 2.0 §9.6 and USB 3.x §9.6.7.</summary>
public class StandardDescriptorEncodingTests
{
    private static string Encode(Action<BlobBuilder> write)
    {
        var blob = new BlobBuilder();
        write(blob);
        return Hex.Of(blob.ToArray());
    }

    private static string EncodeEndpoint(EndpointDescription endpoint, UsbSpeed speed) =>
        Encode(b => FunctionFsDescriptorWriter.WriteEndpoint(b, endpoint.Address, EndpointSpeedResolver.Resolve(endpoint, speed)));

    private static string EncodeCompanion(EndpointDescription endpoint) =>
        Encode(b => FunctionFsDescriptorWriter.WriteSuperSpeedCompanion(b, EndpointSpeedResolver.Resolve(endpoint, UsbSpeed.Super)));

    [Theory]
    // bLength bDescriptorType bInterfaceNumber bAlternateSetting bNumEndpoints class subclass protocol iInterface
    [InlineData(0, 0, 2, 0xFF, 0, 0, 0, "09 04 00 00 02 ff 00 00 00")]
    [InlineData(0, 0, 1, 0x03, 1, 1, 1, "09 04 00 00 01 03 01 01 01")]
    [InlineData(2, 1, 0, 0x0A, 0, 0, 3, "09 04 02 01 00 0a 00 00 03")]
    public void InterfaceDescriptor_IsNineBytesInChapter9Order(byte number, byte alternate, int endpoints, byte @class, byte subClass, byte protocol, byte name, string expected)
    {
        var @interface = new InterfaceDescription
        {
            Number = number,
            AlternateSetting = alternate,
            Class = @class,
            SubClass = subClass,
            Protocol = protocol,
            NameIndex = name,
            Endpoints = [.. Enumerable.Range(1, endpoints).Select(n => EndpointDescription.Bulk(EndpointDirection.In, (byte)n))],
        };

        Assert.Equal(Hex.Join(expected), Encode(b => FunctionFsDescriptorWriter.WriteInterface(b, @interface)));
    }

    [Theory]
    // bLength bDescriptorType bEndpointAddress bmAttributes wMaxPacketSize(le) bInterval
    [InlineData(EndpointDirection.In, 1, UsbSpeed.Full, "07 05 81 02 4000 00")]
    [InlineData(EndpointDirection.In, 1, UsbSpeed.High, "07 05 81 02 0002 00")]
    [InlineData(EndpointDirection.In, 1, UsbSpeed.Super, "07 05 81 02 0004 00")]
    [InlineData(EndpointDirection.Out, 2, UsbSpeed.High, "07 05 02 02 0002 00")]
    [InlineData(EndpointDirection.Out, 15, UsbSpeed.Full, "07 05 0f 02 4000 00")]
    public void BulkEndpoint_UsesTheOnlyPacketSizeEachSpeedAllows(EndpointDirection direction, byte number, UsbSpeed speed, string expected)
    {
        Assert.Equal(Hex.Join(expected), EncodeEndpoint(EndpointDescription.Bulk(direction, number), speed));
    }

    [Theory]
    // 10 ms: 10 frames at full speed; 80 microframes rounds down to 64 = 2^(7-1) at high speed and SuperSpeed.
    [InlineData(10.0, UsbSpeed.Full, "07 05 83 03 0800 0a")]
    [InlineData(10.0, UsbSpeed.High, "07 05 83 03 0800 07")]
    [InlineData(10.0, UsbSpeed.Super, "07 05 83 03 0800 07")]
    // 1 ms: 1 frame; 8 microframes = 2^(4-1).
    [InlineData(1.0, UsbSpeed.Full, "07 05 83 03 0800 01")]
    [InlineData(1.0, UsbSpeed.High, "07 05 83 03 0800 04")]
    // 125 µs: one microframe at high speed; full speed cannot poll faster than every frame.
    [InlineData(0.125, UsbSpeed.Full, "07 05 83 03 0800 01")]
    [InlineData(0.125, UsbSpeed.High, "07 05 83 03 0800 01")]
    // 255 ms is the longest full speed interrupt interval; 2000 ms is clamped to it.
    [InlineData(2000.0, UsbSpeed.Full, "07 05 83 03 0800 ff")]
    // 4096 ms = 32768 microframes = 2^(16-1), the longest exponent.
    [InlineData(4096.0, UsbSpeed.High, "07 05 83 03 0800 10")]
    public void InterruptEndpoint_ConvertsThePollingPeriodPerSpeed(double milliseconds, UsbSpeed speed, string expected)
    {
        var endpoint = EndpointDescription.Interrupt(EndpointDirection.In, 3, 8, TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(Hex.Join(expected), EncodeEndpoint(endpoint, speed));
    }

    [Theory]
    [InlineData(8, UsbSpeed.Full, "07 05 83 03 0800 01")]
    [InlineData(512, UsbSpeed.Full, "07 05 83 03 4000 01")]
    [InlineData(512, UsbSpeed.High, "07 05 83 03 0002 04")]
    [InlineData(2048, UsbSpeed.Super, "07 05 83 03 0004 04")]
    public void InterruptEndpoint_CapsThePacketSizeAt64OnFullSpeedAnd1024Elsewhere(ushort maxPacketSize, UsbSpeed speed, string expected)
    {
        var endpoint = EndpointDescription.Interrupt(EndpointDirection.In, 3, maxPacketSize, TimeSpan.FromMilliseconds(1));

        Assert.Equal(Hex.Join(expected), EncodeEndpoint(endpoint, speed));
    }

    [Theory]
    // bmAttributes 0x05: isochronous (01) | asynchronous (01 << 2). 192 = 0x00c0.
    [InlineData(1.0, UsbSpeed.Full, "07 05 84 05 c000 01")]
    [InlineData(1.0, UsbSpeed.High, "07 05 84 05 c000 04")]
    // Full speed isochronous bInterval is an exponent too: 10 ms rounds down to 8 frames = 2^(4-1).
    [InlineData(10.0, UsbSpeed.Full, "07 05 84 05 c000 04")]
    [InlineData(8.0, UsbSpeed.Full, "07 05 84 05 c000 04")]
    public void IsochronousEndpoint_CarriesSyncTypeAndExponentInterval(double milliseconds, UsbSpeed speed, string expected)
    {
        var endpoint = EndpointDescription.Isochronous(EndpointDirection.In, 4, 192, TimeSpan.FromMilliseconds(milliseconds), IsochronousSynchronization.Asynchronous);

        Assert.Equal(Hex.Join(expected), EncodeEndpoint(endpoint, speed));
    }

    [Fact]
    public void IsochronousFeedbackEndpoint_SetsUsageBits()
    {
        // bmAttributes 0x11: isochronous (01) | no sync (00 << 2) | feedback (01 << 4).
        var endpoint = EndpointDescription.Isochronous(EndpointDirection.In, 5, 4, TimeSpan.FromMilliseconds(1), usage: EndpointUsage.Feedback);

        Assert.Equal(Hex.Join("07 05 85 11 0400 04"), EncodeEndpoint(endpoint, UsbSpeed.High));
    }

    [Theory]
    // bmAttributes 0x13 = interrupt | notification (01 << 4) at SuperSpeed; USB 2.0 reserves those bits, so 0x03 below.
    [InlineData(UsbSpeed.Full, "07 05 81 03 0800 01")]
    [InlineData(UsbSpeed.High, "07 05 81 03 0800 04")]
    [InlineData(UsbSpeed.Super, "07 05 81 13 0800 04")]
    public void NotificationInterruptEndpoint_MarksUsageOnlyAtSuperSpeed(UsbSpeed speed, string expected)
    {
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Interrupt,
            MaxPacketSize = 8,
            Usage = EndpointUsage.Feedback,
        };

        Assert.Equal(Hex.Join(expected), EncodeEndpoint(endpoint, speed));
    }

    [Fact]
    public void IsochronousEndpoint_CapsThePacketSizeAt1023OnFullSpeed()
    {
        var endpoint = EndpointDescription.Isochronous(EndpointDirection.Out, 6, 1024, TimeSpan.FromMilliseconds(1));

        Assert.Equal(Hex.Join("07 05 06 01 ff03 01"), EncodeEndpoint(endpoint, UsbSpeed.Full));
        Assert.Equal(Hex.Join("07 05 06 01 0004 04"), EncodeEndpoint(endpoint, UsbSpeed.High));
    }

    [Fact]
    public void SpeedOverride_ReplacesTheDerivedFields()
    {
        var endpoint = EndpointDescription.Bulk(EndpointDirection.Out, 1);
        var overridden = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.Out,
            Type = EndpointTransferType.Bulk,
            FullSpeed = new EndpointSpeedOverride { MaxPacketSize = 16 },
            HighSpeed = new EndpointSpeedOverride { Interval = 4 },
        };

        Assert.Equal(Hex.Join("07 05 01 02 1000 00"), EncodeEndpoint(overridden, UsbSpeed.Full));
        Assert.Equal(Hex.Join("07 05 01 02 0002 04"), EncodeEndpoint(overridden, UsbSpeed.High));
        Assert.Equal(Hex.Join("07 05 01 02 0004 00"), EncodeEndpoint(overridden, UsbSpeed.Super));
        Assert.Equal(Hex.Join("07 05 01 02 4000 00"), EncodeEndpoint(endpoint, UsbSpeed.Full));
    }

    [Fact]
    public void HighBandwidthOverride_KeepsTheAdditionalTransactionBits()
    {
        // 3 × 1024 bytes per microframe: size 1024 | (2 << 11) = 0x1400.
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Isochronous,
            MaxPacketSize = 1023,
            PollingInterval = TimeSpan.FromMicroseconds(125),
            HighSpeed = new EndpointSpeedOverride { MaxPacketSize = 0x1400 },
        };

        Assert.Equal(Hex.Join("07 05 81 01 0014 01"), EncodeEndpoint(endpoint, UsbSpeed.High));
    }

    [Theory]
    // bLength bDescriptorType bMaxBurst bmAttributes wBytesPerInterval(le)
    [InlineData(0, 0, "06 30 00 00 0000")]
    [InlineData(15, 0, "06 30 0f 00 0000")]
    [InlineData(15, 16, "06 30 0f 10 0000")]
    public void SuperSpeedCompanion_ForBulk_HasZeroBytesPerInterval(byte burst, byte streams, string expected)
    {
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Bulk,
            Companion = new SuperSpeedCompanion { MaxBurst = burst, Attributes = streams },
        };

        Assert.Equal(Hex.Join(expected), EncodeCompanion(endpoint));
    }

    [Fact]
    public void SuperSpeedCompanion_ForBulkWithoutSettings_IsAllZero()
    {
        Assert.Equal(Hex.Join("06 30 00 00 0000"), EncodeCompanion(EndpointDescription.Bulk(EndpointDirection.Out, 2)));
    }

    [Fact]
    public void SuperSpeedCompanion_ForInterrupt_DefaultsBytesPerIntervalToMaxPacket()
    {
        var endpoint = EndpointDescription.Interrupt(EndpointDirection.In, 3, 8, TimeSpan.FromMilliseconds(10));

        Assert.Equal(Hex.Join("06 30 00 00 0800"), EncodeCompanion(endpoint));
    }

    [Fact]
    public void SuperSpeedCompanion_ForIsochronous_MultipliesBurstAndMult()
    {
        // 1024 × (1 + 1) × (2 + 1) = 6144 = 0x1800.
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Isochronous,
            MaxPacketSize = 1024,
            Companion = new SuperSpeedCompanion { MaxBurst = 1, Attributes = 2 },
        };

        Assert.Equal(Hex.Join("06 30 01 02 0018"), EncodeCompanion(endpoint));
    }

    [Fact]
    public void InterfaceAssociationDescriptor_IsEightBytes()
    {
        // bLength bDescriptorType bFirstInterface bInterfaceCount class subclass protocol iFunction
        var association = new InterfaceAssociationDescription
        {
            FirstInterface = 0,
            InterfaceCount = 2,
            Class = 0x02,
            SubClass = 0x02,
            Protocol = 0x01,
            NameIndex = 4,
        };

        Assert.Equal(Hex.Join("08 0b 00 02 02 02 01 04"), Encode(b => FunctionFsDescriptorWriter.WriteInterfaceAssociation(b, association)));
    }
}
