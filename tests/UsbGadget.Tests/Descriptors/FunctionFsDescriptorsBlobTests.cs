using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>The FUNCTIONFS_DESCRIPTORS_MAGIC_V2 blob against the layout documented in functionfs.h.</summary>
public class FunctionFsDescriptorsBlobTests
{
    private static FunctionDescription BulkLoopback(UsbSpeeds speeds = UsbSpeeds.All) => new()
    {
        Speeds = speeds,
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Endpoints =
                [
                    EndpointDescription.Bulk(EndpointDirection.In, 1),
                    EndpointDescription.Bulk(EndpointDirection.Out, 2),
                ],
            },
        ],
    };

    [Fact]
    public void BulkInAndOut_AtAllSpeeds_MatchesTheV2Layout()
    {
        string expected = Hex.Join(
            "03000000", // magic: FUNCTIONFS_DESCRIPTORS_MAGIC_V2
            "69000000", // length: 24 header + 23 fs + 23 hs + 35 ss = 105
            "07000000", // flags: HAS_FS_DESC | HAS_HS_DESC | HAS_SS_DESC
            "03000000", // fs_count: interface + 2 endpoints
            "03000000", // hs_count
            "05000000", // ss_count: interface + 2 × (endpoint + companion)
            "09 04 00 00 02 ff 00 00 00", "07 05 81 02 4000 00", "07 05 02 02 4000 00",
            "09 04 00 00 02 ff 00 00 00", "07 05 81 02 0002 00", "07 05 02 02 0002 00",
            "09 04 00 00 02 ff 00 00 00", "07 05 81 02 0004 00", "06 30 00 00 0000", "07 05 02 02 0004 00", "06 30 00 00 0000");

        FunctionFsDescriptors blobs = FunctionFsDescriptors.Create(BulkLoopback());

        Assert.Equal(expected, Hex.Of(blobs.DescriptorsBlob.Span));
    }

    [Fact]
    public void HeaderLength_EqualsTheBlobLength()
    {
        byte[] blob = FunctionFsDescriptors.Create(BulkLoopback()).DescriptorsBlob.ToArray();

        Assert.Equal((uint)blob.Length, BitConverter.ToUInt32(blob, 4));
    }

    [Fact]
    public void EventFdAndControlFlags_AddTheEventFdWordBeforeTheCounts()
    {
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.Full | UsbSpeeds.High,
            AllControlRecipients = true,
            Config0Setup = true,
            Interfaces = [new InterfaceDescription { Number = 0 }],
        };

        string expected = Hex.Join(
            "03000000",
            "2a000000", // 12 + eventfd 4 + 2 counts 8 + 2 × 9 = 42
            "e3000000", // HAS_FS_DESC | HAS_HS_DESC | EVENTFD (32) | ALL_CTRL_RECIP (64) | CONFIG0_SETUP (128)
            "05000000", // eventfd
            "01000000",
            "01000000",
            "09 04 00 00 00 ff 00 00 00",
            "09 04 00 00 00 ff 00 00 00");

        FunctionFsDescriptors blobs = FunctionFsDescriptors.Create(description, new FunctionFsWriterOptions { EventFd = 5 });

        Assert.Equal(expected, Hex.Of(blobs.DescriptorsBlob.Span));
    }

    [Fact]
    public void SuperSpeedOnly_WritesOnlyTheSsCount()
    {
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.Super,
            VirtualAddresses = true,
            Interfaces = [new InterfaceDescription { Number = 0, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1)] }],
        };

        string expected = Hex.Join(
            "03000000",
            "26000000", // 12 + 4 + 9 + 7 + 6 = 38
            "14000000", // HAS_SS_DESC (4) | VIRTUAL_ADDR (16)
            "03000000",
            "09 04 00 00 01 ff 00 00 00", "07 05 81 02 0004 00", "06 30 00 00 0000");

        Assert.Equal(expected, Hex.Of(FunctionFsDescriptors.Create(description).DescriptorsBlob.Span));
    }

    [Fact]
    public void HidKeyboard_PutsTheHidDescriptorBetweenInterfaceAndEndpoint()
    {
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.Full,
            Interfaces =
            [
                new InterfaceDescription
                {
                    Number = 0,
                    Class = UsbClass.Hid,
                    SubClass = 1,
                    Protocol = 1,
                    ClassDescriptors = [HidClassDescriptor.For(HidReportDescriptors.BootKeyboard)],
                    Endpoints = [EndpointDescription.Interrupt(EndpointDirection.In, 1, 8, TimeSpan.FromMilliseconds(10))],
                },
            ],
        };

        string expected = Hex.Join(
            "03000000",
            "29000000", // 12 + 4 + 9 + 9 + 7 = 41
            "01000000",
            "03000000", // interface, HID, endpoint
            "09 04 00 00 01 03 01 01 00",
            "09 21 1101 00 01 22 3f00",
            "07 05 81 03 0800 0a");

        Assert.Equal(expected, Hex.Of(FunctionFsDescriptors.Create(description).DescriptorsBlob.Span));
    }

    [Fact]
    public void InterfaceAssociation_PrecedesItsFirstInterface()
    {
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.Full,
            Interfaces =
            [
                new InterfaceDescription { Number = 0, Class = 0x02, SubClass = 0x02 },
                new InterfaceDescription { Number = 1, Class = 0x0A },
            ],
            Associations = [new InterfaceAssociationDescription { FirstInterface = 0, InterfaceCount = 2, Class = 0x02, SubClass = 0x02 }],
        };

        string expected = Hex.Join(
            "03000000",
            "2a000000", // 12 + 4 + 8 + 9 + 9 = 42
            "01000000",
            "03000000",
            "08 0b 00 02 02 02 00 00",
            "09 04 00 00 00 02 02 00 00",
            "09 04 01 00 00 0a 00 00 00");

        Assert.Equal(expected, Hex.Of(FunctionFsDescriptors.Create(description).DescriptorsBlob.Span));
    }

    [Fact]
    public void AlternateSettings_AreWrittenInOrderWithTheirOwnEndpoints()
    {
        var description = new FunctionDescription
        {
            Speeds = UsbSpeeds.High,
            Interfaces =
            [
                new InterfaceDescription { Number = 0, AlternateSetting = 0 },
                new InterfaceDescription { Number = 0, AlternateSetting = 1, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1)] },
            ],
        };

        string expected = Hex.Join(
            "03000000",
            "29000000", // 12 + 4 + 9 + 9 + 7 = 41
            "02000000",
            "03000000",
            "09 04 00 00 00 ff 00 00 00",
            "09 04 00 01 01 ff 00 00 00",
            "07 05 81 02 0002 00");

        Assert.Equal(expected, Hex.Of(FunctionFsDescriptors.Create(description).DescriptorsBlob.Span));
    }
}
