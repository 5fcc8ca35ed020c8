using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>Every rule checked before a blob reaches the kernel, each naming the field it is about.</summary>
public class DescriptorValidationTests
{
    private static FunctionDescription WithEndpoints(params EndpointDescription[] endpoints) => new()
    {
        Interfaces = [new InterfaceDescription { Number = 0, Endpoints = endpoints }],
    };

    private static FunctionDescription WithInterface(InterfaceDescription @interface) => new() { Interfaces = [@interface] };

    /// <summary>Isochronous endpoints belong in a non-default alternate setting (USB 2.0 §5.6.3).</summary>
    private static FunctionDescription InAlternateSetting1(EndpointDescription endpoint) => new()
    {
        Interfaces =
        [
            new InterfaceDescription { Number = 0 },
            new InterfaceDescription { Number = 0, AlternateSetting = 1, Endpoints = [endpoint] },
        ],
    };

    private static DescriptorProblem SingleProblem(FunctionDescription description, FunctionFsWriterOptions? options = null)
    {
        IReadOnlyList<DescriptorProblem> problems = DescriptorValidator.Validate(description, options);
        return Assert.Single(problems);
    }

    private static void AssertProblem(FunctionDescription description, string path, string messagePart, FunctionFsWriterOptions? options = null)
    {
        IReadOnlyList<DescriptorProblem> problems = DescriptorValidator.Validate(description, options);
        Assert.Contains(problems, p => p.Path == path && p.Message.Contains(messagePart, StringComparison.Ordinal));
    }

    [Fact]
    public void ValidBulkFunction_HasNoProblems()
    {
        var description = WithEndpoints(EndpointDescription.Bulk(EndpointDirection.In, 1), EndpointDescription.Bulk(EndpointDirection.Out, 1));

        Assert.Empty(DescriptorValidator.Validate(description));
    }

    [Fact]
    public void Create_WithProblems_ThrowsAnArgumentExceptionListingEachFieldPath()
    {
        var description = WithEndpoints(
            EndpointDescription.Bulk(EndpointDirection.In, 1),
            new EndpointDescription { Number = 2, Direction = EndpointDirection.In, Type = EndpointTransferType.Bulk, HighSpeed = new EndpointSpeedOverride { MaxPacketSize = 64 } });

        var error = Assert.Throws<DescriptorValidationException>(() => FunctionFsDescriptors.Create(description));

        Assert.IsAssignableFrom<ArgumentException>(error);
        Assert.Equal("description", error.ParamName);
        Assert.Contains("Interfaces[0].Endpoints[1].MaxPacketSize (high speed): HS bulk max packet must be 512, was 64.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralProblems_AreAllReported()
    {
        var description = WithEndpoints(new EndpointDescription { Number = 0, Direction = EndpointDirection.In, Type = EndpointTransferType.Bulk, FullSpeed = new EndpointSpeedOverride { MaxPacketSize = 100 } });

        var error = Assert.Throws<DescriptorValidationException>(() => FunctionFsDescriptors.Create(description));

        Assert.Equal(["Interfaces[0].Endpoints[0].Number", "Interfaces[0].Endpoints[0].MaxPacketSize (full speed)"], error.Problems.Select(p => p.Path));
        Assert.Contains("has 2 problems", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UsbSpeed.High, 64, "Interfaces[0].Endpoints[0].MaxPacketSize (high speed)", "HS bulk max packet must be 512, was 64.")]
    [InlineData(UsbSpeed.Super, 512, "Interfaces[0].Endpoints[0].MaxPacketSize (SuperSpeed)", "SS bulk max packet must be 1024, was 512.")]
    [InlineData(UsbSpeed.Full, 48, "Interfaces[0].Endpoints[0].MaxPacketSize (full speed)", "FS bulk max packet must be 8, 16, 32 or 64, was 48.")]
    [InlineData(UsbSpeed.Full, 512, "Interfaces[0].Endpoints[0].MaxPacketSize (full speed)", "FS bulk max packet must be 8, 16, 32 or 64, was 512.")]
    public void BulkMaxPacket_MustBeWhatTheSpeedAllows(UsbSpeed speed, ushort size, string path, string message)
    {
        var @override = new EndpointSpeedOverride { MaxPacketSize = size };
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Bulk,
            FullSpeed = speed == UsbSpeed.Full ? @override : null,
            HighSpeed = speed == UsbSpeed.High ? @override : null,
            SuperSpeed = speed == UsbSpeed.Super ? @override : null,
        };

        DescriptorProblem problem = SingleProblem(WithEndpoints(endpoint));

        Assert.Equal(path, problem.Path);
        Assert.Equal(message, problem.Message);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void FullSpeedBulk_AcceptsTheSmallerSizes(ushort size)
    {
        var endpoint = new EndpointDescription { Number = 1, Direction = EndpointDirection.In, Type = EndpointTransferType.Bulk, FullSpeed = new EndpointSpeedOverride { MaxPacketSize = size } };

        Assert.Empty(DescriptorValidator.Validate(WithEndpoints(endpoint)));
    }

    [Fact]
    public void BulkMaxPacketSize_MustBeLeftToTheSpeeds()
    {
        var endpoint = new EndpointDescription { Number = 1, Direction = EndpointDirection.In, Type = EndpointTransferType.Bulk, MaxPacketSize = 512 };

        AssertProblem(WithEndpoints(endpoint), "Interfaces[0].Endpoints[0].MaxPacketSize", "must be null for bulk endpoints");
    }

    [Fact]
    public void SuperSpeedBulkInterval_MustBeZero()
    {
        var endpoint = new EndpointDescription { Number = 1, Direction = EndpointDirection.In, Type = EndpointTransferType.Bulk, SuperSpeed = new EndpointSpeedOverride { Interval = 1 } };

        Assert.Equal("Interfaces[0].Endpoints[0].Interval (SuperSpeed)", SingleProblem(WithEndpoints(endpoint)).Path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public void EndpointNumber_MustBe1To15(byte number)
    {
        DescriptorProblem problem = SingleProblem(WithEndpoints(EndpointDescription.Bulk(EndpointDirection.In, number)));

        Assert.Equal("Interfaces[0].Endpoints[0].Number", problem.Path);
        Assert.Contains("1..15", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameNumberAndDirection_TwiceInTheFunction_IsRejectedNamingTheFirstUse()
    {
        var description = new FunctionDescription
        {
            Interfaces =
            [
                new InterfaceDescription { Number = 0, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1)] },
                new InterfaceDescription { Number = 0, AlternateSetting = 1, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1)] },
            ],
        };

        DescriptorProblem problem = SingleProblem(description);

        Assert.Equal("Interfaces[1].Endpoints[0].Number", problem.Path);
        Assert.Contains("0x81", problem.Message, StringComparison.Ordinal);
        Assert.Contains("Interfaces[0].Endpoints[0]", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameNumberInBothDirections_IsAllowed()
    {
        Assert.Empty(DescriptorValidator.Validate(WithEndpoints(EndpointDescription.Bulk(EndpointDirection.In, 1), EndpointDescription.Bulk(EndpointDirection.Out, 1))));
    }

    [Fact]
    public void StringIndex_MustExist()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0, NameIndex = 3 }],
            Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "one", "two"),
        };

        DescriptorProblem problem = SingleProblem(description);

        Assert.Equal("Interfaces[0].NameIndex", problem.Path);
        Assert.Contains("string index 3 does not exist", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StringIndex_WithNoStrings_SaysTheTableIsEmpty()
    {
        DescriptorProblem problem = SingleProblem(WithInterface(new InterfaceDescription { Number = 0, NameIndex = 1 }));

        Assert.Contains("empty string table", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryLanguage_MustHaveTheSameNumberOfStrings()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0, NameIndex = 1 }],
            Strings = new StringTable
            {
                [LanguageIds.EnglishUnitedStates] = ["Data", "Control"],
                [LanguageIds.German] = ["Daten"],
            },
        };

        DescriptorProblem problem = SingleProblem(description);

        Assert.Equal("Strings[0x0407]", problem.Path);
        Assert.Contains("has 1 strings but Strings[0x0409] has 2", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Strings_MayNotContainNul()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "ok", "bad\0"),
        };

        Assert.Equal("Strings[0x0409][1]", SingleProblem(description).Path);
    }

    [Fact]
    public void Strings_LongerThanAStringDescriptorHolds_AreRejected()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, new string('x', 127)),
        };

        Assert.Contains("at most 126", SingleProblem(description).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('é', 64)]  // 64 UTF-16 code units, 128 UTF-8 bytes: the kernel served the first 63 characters
    [InlineData('中', 43)] // 129 UTF-8 bytes
    public void Strings_MeasuredInUtf8Bytes_MayNotExceed126_BecauseTheGadgetCoreCutsThereBeforeConvertingToUtf16(char character, int count)
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Strings = StringTable.Single(LanguageIds.German, new string(character, count)),
        };

        DescriptorProblem problem = SingleProblem(description);
        Assert.Equal("Strings[0x0407][0]", problem.Path);
        Assert.Contains("UTF-8", problem.Message, StringComparison.Ordinal);
        Assert.Contains("at most 126", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x", 126)]
    [InlineData("é", 63)]
    [InlineData("中", 42)]
    [InlineData("😀", 31)] // 124 bytes; a 32nd would need 128
    public void Strings_Of126Utf8BytesOrFewer_AreAccepted(string unit, int count)
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, string.Concat(Enumerable.Repeat(unit, count))),
        };

        Assert.Empty(DescriptorValidator.Validate(description));
    }

    [Theory]
    [InlineData("a", 0xD83D, "")] // a high surrogate with nothing after it
    [InlineData("", 0xDE00, "b")] // a low surrogate with nothing before it
    public void Strings_WithAnUnpairedSurrogate_AreRejected_BecauseUtf8WouldCarryAReplacementCharacter(string before, int surrogate, string after)
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, before + (char)surrogate + after),
        };

        DescriptorProblem problem = SingleProblem(description);
        Assert.Equal("Strings[0x0409][0]", problem.Path);
        Assert.Contains("unpaired", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HighAndSuperSpeedWithoutFullSpeed_IsRejected_BecauseBindingItOopsesTheKernel()
    {
        // Debian 6.1.0-56, dummy_hcd: NULL dereference in __ffs_func_bind_do_descs on writing UDC (found by the
        // end-to-end descriptor agreement test). One speed alone, or any set with Full, binds fine.
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.High | UsbSpeeds.Super,
            Interfaces = [new InterfaceDescription { Number = 0, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1)] }],
        };

        DescriptorProblem problem = SingleProblem(description);
        Assert.Equal("Speeds", problem.Path);
        Assert.Contains("without Full", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UsbSpeeds.High)]
    [InlineData(UsbSpeeds.Super)]
    [InlineData(UsbSpeeds.Full | UsbSpeeds.High | UsbSpeeds.Super)]
    public void SpeedSetsTheKernelBindsSafely_AreAccepted(UsbSpeeds speeds)
    {
        var description = new FunctionDescription
        {
            Speeds = speeds,
            Interfaces = [new InterfaceDescription { Number = 0, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1)] }],
        };

        Assert.Empty(DescriptorValidator.Validate(description));
    }

    [Fact]
    public void LanguageIdZero_IsRejected()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Strings = StringTable.Single(0, "x"),
        };

        Assert.Equal("Strings[0x0000]", SingleProblem(description).Path);
    }

    [Fact]
    public void InterfaceNumbers_MustStartAtZero()
    {
        DescriptorProblem problem = SingleProblem(WithInterface(new InterfaceDescription { Number = 1 }));

        Assert.Equal("Interfaces[0].Number", problem.Path);
    }

    [Fact]
    public void InterfaceNumbers_MustBeContiguous()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }, new InterfaceDescription { Number = 2 }],
        };

        DescriptorProblem problem = SingleProblem(description);

        Assert.Equal("Interfaces[1].Number", problem.Path);
        Assert.Contains("expected 0 (another alternate setting) or 1, found 2", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AlternateSettings_MustFollowInOrder()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }, new InterfaceDescription { Number = 0, AlternateSetting = 2 }],
        };

        Assert.Equal("Interfaces[1].AlternateSetting", SingleProblem(description).Path);
    }

    [Fact]
    public void NewInterface_MustStartWithAlternateSettingZero()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }, new InterfaceDescription { Number = 1, AlternateSetting = 1 }],
        };

        Assert.Equal("Interfaces[1].AlternateSetting", SingleProblem(description).Path);
    }

    [Fact]
    public void NoInterfaces_IsRejected()
    {
        Assert.Equal("Interfaces", SingleProblem(new FunctionDescription { Interfaces = [] }).Path);
    }

    [Fact]
    public void NoSpeed_IsRejected()
    {
        var description = new FunctionDescription { Speeds = UsbSpeeds.None, Interfaces = [new InterfaceDescription { Number = 0 }] };

        DescriptorProblem problem = SingleProblem(description);

        Assert.Equal("Speeds", problem.Path);
        Assert.Contains("at least one speed", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RawDescriptor_WhoseBLengthDisagreesWithItsSize_IsRejected()
    {
        var @interface = new InterfaceDescription { Number = 0, Class = UsbClass.Hid, ClassDescriptors = [new RawDescriptor([0x07, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00])] };

        DescriptorProblem problem = SingleProblem(WithInterface(@interface));

        Assert.Equal("Interfaces[0].ClassDescriptors[0].bLength", problem.Path);
        Assert.Contains("says 7 but the descriptor has 9 bytes", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RawDescriptor_LongerThan255Bytes_IsRejected()
    {
        byte[] bytes = new byte[300];
        bytes[1] = 0x21;
        var @interface = new InterfaceDescription { Number = 0, Class = UsbClass.Hid, ClassDescriptors = [new RawDescriptor(bytes)] };

        AssertProblem(WithInterface(@interface), "Interfaces[0].ClassDescriptors[0]", "at most 255 bytes");
    }

    [Fact]
    public void ClassSpecificDescriptor_ThatFunctionFsRejects_IsReportedBeforeTheKernelSaysEinval()
    {
        var @interface = new InterfaceDescription { Number = 0, Class = UsbClass.Communications, ClassDescriptors = [new RawDescriptor([0x05, 0x24, 0x00, 0x10, 0x01])] };

        DescriptorProblem problem = SingleProblem(WithInterface(@interface));

        Assert.Equal("Interfaces[0].ClassDescriptors[0]", problem.Path);
        Assert.Contains("rejects descriptor type 0x24", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HidDescriptor_OnANonHidInterface_IsRejected()
    {
        var @interface = new InterfaceDescription { Number = 0, Class = UsbClass.VendorSpecific, ClassDescriptors = [new HidClassDescriptor(63)] };

        Assert.Contains("only after a HID (0x03)", SingleProblem(WithInterface(@interface)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HidDescriptor_OnAHidInterface_IsAccepted()
    {
        var @interface = new InterfaceDescription { Number = 0, Class = UsbClass.Hid, ClassDescriptors = [HidClassDescriptor.For(HidReportDescriptors.BootKeyboard)] };

        Assert.Empty(DescriptorValidator.Validate(WithInterface(@interface)));
    }

    [Theory]
    [InlineData(65, UsbSpeed.Full, "FS interrupt max packet must be 1..64, was 65.")]
    [InlineData(1025, UsbSpeed.High, "HS interrupt max packet must be 1..1024, was 1025.")]
    [InlineData(0, UsbSpeed.Super, "SS interrupt max packet must be 1..1024, was 0.")]
    public void InterruptMaxPacket_FollowsTheSpeedLimits(ushort size, UsbSpeed speed, string message)
    {
        var @override = new EndpointSpeedOverride { MaxPacketSize = size };
        var endpoint = EndpointDescription.Interrupt(EndpointDirection.In, 1, 8, TimeSpan.FromMilliseconds(1));
        endpoint = new EndpointDescription
        {
            Number = endpoint.Number,
            Direction = endpoint.Direction,
            Type = endpoint.Type,
            MaxPacketSize = endpoint.MaxPacketSize,
            PollingInterval = endpoint.PollingInterval,
            FullSpeed = speed == UsbSpeed.Full ? @override : null,
            HighSpeed = speed == UsbSpeed.High ? @override : null,
            SuperSpeed = speed == UsbSpeed.Super ? @override : null,
        };

        Assert.Contains(DescriptorValidator.Validate(WithEndpoints(endpoint)), p => p.Message == message);
    }

    [Theory]
    [InlineData((ushort)(0x0800 | 512), "HS isochronous with 2 transactions per microframe needs max packet 513..1024, was 512.")]
    [InlineData((ushort)(0x1000 | 682), "HS isochronous with 3 transactions per microframe needs max packet 683..1024, was 682.")]
    [InlineData((ushort)(0x1800 | 1024), "HS wMaxPacketSize bits 12..11 = 3 is reserved; at most 2 additional transactions per microframe.")]
    public void HighBandwidthPacketSizes_FollowUsb2Table9_14(ushort field, string message)
    {
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Isochronous,
            MaxPacketSize = 1023,
            HighSpeed = new EndpointSpeedOverride { MaxPacketSize = field },
        };

        DescriptorProblem problem = SingleProblem(InAlternateSetting1(endpoint));

        Assert.Equal("Interfaces[1].Endpoints[0].MaxPacketSize (high speed)", problem.Path);
        Assert.Equal(message, problem.Message);
    }

    [Theory]
    [InlineData(UsbSpeed.Full, 0, "Interfaces[0].Endpoints[0].Interval (full speed)")]
    [InlineData(UsbSpeed.High, 17, "Interfaces[0].Endpoints[0].Interval (high speed)")]
    [InlineData(UsbSpeed.Super, 0, "Interfaces[0].Endpoints[0].Interval (SuperSpeed)")]
    public void PeriodicInterval_MustBeInRange(UsbSpeed speed, byte interval, string path)
    {
        var @override = new EndpointSpeedOverride { Interval = interval };
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Interrupt,
            FullSpeed = speed == UsbSpeed.Full ? @override : null,
            HighSpeed = speed == UsbSpeed.High ? @override : null,
            SuperSpeed = speed == UsbSpeed.Super ? @override : null,
        };

        Assert.Equal(path, SingleProblem(WithEndpoints(endpoint)).Path);
    }

    [Fact]
    public void FullSpeedIsochronousInterval_IsAnExponentToo()
    {
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Isochronous,
            MaxPacketSize = 64,
            FullSpeed = new EndpointSpeedOverride { Interval = 20 },
        };

        Assert.Contains("must be 1..16, was 20", SingleProblem(InAlternateSetting1(endpoint)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(5000.0)]
    public void PollingInterval_MustBeBetweenOneMicroframeAnd4096Ms(double milliseconds)
    {
        var endpoint = EndpointDescription.Interrupt(EndpointDirection.In, 1, 8, TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal("Interfaces[0].Endpoints[0].PollingInterval", SingleProblem(WithEndpoints(endpoint)).Path);
    }

    [Fact]
    public void IsochronousEndpoint_NeedsAPacketSize()
    {
        var endpoint = new EndpointDescription { Number = 1, Direction = EndpointDirection.In, Type = EndpointTransferType.Isochronous };

        AssertProblem(WithEndpoints(endpoint), "Interfaces[0].Endpoints[0].MaxPacketSize", "must state their payload");
    }

    [Theory]
    [InlineData(EndpointTransferType.Interrupt, 3, 0, "Interfaces[0].Endpoints[0].Companion.MaxBurst")]
    [InlineData(EndpointTransferType.Bulk, 16, 0, "Interfaces[0].Endpoints[0].Companion.MaxBurst")]
    [InlineData(EndpointTransferType.Bulk, 0, 17, "Interfaces[0].Endpoints[0].Companion.Attributes")]
    [InlineData(EndpointTransferType.Isochronous, 0, 3, "Interfaces[0].Endpoints[0].Companion.Attributes")]
    public void CompanionFields_FollowUsb3Limits(EndpointTransferType type, byte burst, byte attributes, string path)
    {
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = type,
            MaxPacketSize = type == EndpointTransferType.Bulk ? null : (ushort)1024,
            Companion = new SuperSpeedCompanion { MaxBurst = burst, Attributes = attributes },
        };

        AssertProblem(WithEndpoints(endpoint), path, "");
    }

    [Fact]
    public void SuperSpeedBurst_OnAPeriodicEndpoint_NeedsFullPackets()
    {
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Interrupt,
            MaxPacketSize = 64,
            Companion = new SuperSpeedCompanion { MaxBurst = 1 },
        };

        AssertProblem(WithEndpoints(endpoint), "Interfaces[0].Endpoints[0].MaxPacketSize (SuperSpeed)", "bMaxBurst > 0 must use max packet 1024");
    }

    [Fact]
    public void BytesPerInterval_CannotExceedWhatTheBurstCarries()
    {
        var endpoint = new EndpointDescription
        {
            Number = 1,
            Direction = EndpointDirection.In,
            Type = EndpointTransferType.Interrupt,
            MaxPacketSize = 64,
            Companion = new SuperSpeedCompanion { BytesPerInterval = 65 },
        };

        AssertProblem(WithEndpoints(endpoint), "Interfaces[0].Endpoints[0].Companion.BytesPerInterval", "allows at most 64");
    }

    [Fact]
    public void MoreThan30Endpoints_IsRejected()
    {
        // 15 numbers × 2 directions = 30 is the ceiling; a 31st needs a repeated address, so check via count alone.
        var endpoints = Enumerable.Range(1, 15).SelectMany(n => new[]
        {
            EndpointDescription.Bulk(EndpointDirection.In, (byte)n),
            EndpointDescription.Bulk(EndpointDirection.Out, (byte)n),
        }).ToArray();

        Assert.Empty(DescriptorValidator.Validate(WithEndpoints(endpoints)));
        AssertProblem(WithEndpoints([.. endpoints, EndpointDescription.Bulk(EndpointDirection.In, 1)]), "Interfaces", "at most 30");
    }

    [Fact]
    public void Association_BeyondTheLastInterface_IsRejected()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Associations = [new InterfaceAssociationDescription { FirstInterface = 0, InterfaceCount = 2 }],
        };

        Assert.Equal("Associations[0].FirstInterface", SingleProblem(description).Path);
    }

    [Fact]
    public void OverlappingAssociations_AreRejected()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }, new InterfaceDescription { Number = 1 }],
            Associations =
            [
                new InterfaceAssociationDescription { FirstInterface = 0, InterfaceCount = 2 },
                new InterfaceAssociationDescription { FirstInterface = 1, InterfaceCount = 1 },
            ],
        };

        AssertProblem(description, "Associations[1].FirstInterface", "already belongs to Associations[0]");
    }

    [Fact]
    public void EventFd_MustBeAFileDescriptorNumber()
    {
        var description = new FunctionDescription { Interfaces = [new InterfaceDescription { Number = 0 }] };

        Assert.Equal("FunctionFsWriterOptions.EventFd", SingleProblem(description, new FunctionFsWriterOptions { EventFd = -1 }).Path);
    }

    [Fact]
    public void MicrosoftOsBcdVersion_MustBeOneTheKernelAccepts()
    {
        var description = new FunctionDescription { Interfaces = [new InterfaceDescription { Number = 0 }] };

        Assert.Equal("FunctionFsWriterOptions.MicrosoftOsBcdVersion", SingleProblem(description, new FunctionFsWriterOptions { MicrosoftOsBcdVersion = 0x0200 }).Path);
    }

    [Fact]
    public void MicrosoftOsDescriptors_ForAMissingInterface_AreRejected()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(1, Guid.Empty)],
        };

        Assert.Equal("MicrosoftOsDescriptors[0].Interface", SingleProblem(description).Path);
    }

    [Fact]
    public void MicrosoftOsDescriptors_TwiceForOneInterface_AreRejected()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(0, Guid.Empty), new MicrosoftOsInterfaceDescriptors { Interface = 0, CompatibleId = "WINUSB" }],
        };

        Assert.Equal("MicrosoftOsDescriptors[1].Interface", SingleProblem(description).Path);
    }

    [Theory]
    [InlineData("WINUSB123", "is 9 characters")]
    [InlineData("WINÜSB", "printable ASCII")]
    [InlineData("", "must not be empty")]
    public void CompatibleId_IsUpToEightAsciiCharacters(string compatibleId, string message)
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors = [new MicrosoftOsInterfaceDescriptors { Interface = 0, CompatibleId = compatibleId }],
        };

        AssertProblem(description, "MicrosoftOsDescriptors[0].CompatibleId", message);
    }

    [Theory]
    [InlineData(238, true)]  // 14 + "N\0" + 238 + NUL = 255
    [InlineData(239, false)] // 256
    public void ExtendedProperty_LargerThan255Bytes_IsRejectedBecauseFfsStoresItsSizeInAU8(int valueLength, bool valid)
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors =
            [
                new MicrosoftOsInterfaceDescriptors { Interface = 0, Properties = [MicrosoftOsExtendedProperty.String("N", new string('x', valueLength))] },
            ],
        };

        IReadOnlyList<DescriptorProblem> problems = DescriptorValidator.Validate(description);

        if (valid)
        {
            Assert.Empty(problems);
        }
        else
        {
            AssertProblem(description, "MicrosoftOsDescriptors[0].Properties[0]", "is 256 bytes");
        }
    }

    [Fact]
    public void ExtendedProperty_NonAsciiText_IsRejected()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            MicrosoftOsDescriptors = [new MicrosoftOsInterfaceDescriptors { Interface = 0, Properties = [MicrosoftOsExtendedProperty.String("Label", "Größe")] }],
        };

        AssertProblem(description, "MicrosoftOsDescriptors[0].Properties[0].Text", "printable ASCII");
    }

    [Fact]
    public void IsochronousBandwidth_InAlternateSettingZero_IsRejected()
    {
        var description = WithEndpoints(EndpointDescription.Isochronous(EndpointDirection.In, 1, 192, TimeSpan.FromMilliseconds(1)));

        AssertProblem(description, "Interfaces[0].Endpoints[0]", "must not be in alternate setting 0");
    }

    [Fact]
    public void IsochronousBandwidth_InAnAlternateSetting_IsAccepted()
    {
        var description = new FunctionDescription
        {
            Interfaces =
            [
                new InterfaceDescription { Number = 0 },
                new InterfaceDescription { Number = 0, AlternateSetting = 1, Endpoints = [EndpointDescription.Isochronous(EndpointDirection.In, 1, 192, TimeSpan.FromMilliseconds(1))] },
            ],
        };

        Assert.Empty(DescriptorValidator.Validate(description));
    }
}
