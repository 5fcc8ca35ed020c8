using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>The endpoint list the FunctionFS layer opens: f_fs numbers ep1..N in descriptor order (ffs_epfiles_create).</summary>
public class EndpointListingTests
{
    private static FunctionDescription TwoInterfaces(bool virtualAddresses = false, UsbSpeeds speeds = UsbSpeeds.All) => new()
    {
        Speeds = speeds,
        VirtualAddresses = virtualAddresses,
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Endpoints =
                [
                    EndpointDescription.Bulk(EndpointDirection.Out, 2),
                    EndpointDescription.Bulk(EndpointDirection.In, 1),
                ],
            },
            new InterfaceDescription { Number = 1, AlternateSetting = 0 },
            new InterfaceDescription
            {
                Number = 1,
                AlternateSetting = 1,
                Endpoints = [EndpointDescription.Interrupt(EndpointDirection.In, 3, 16, TimeSpan.FromMilliseconds(4))],
            },
        ],
    };

    [Fact]
    public void Endpoints_AreNumberedInDescriptorOrder_NotByAddress()
    {
        IReadOnlyList<FunctionFsEndpoint> endpoints = FunctionFsDescriptors.Create(TwoInterfaces()).Endpoints;

        Assert.Equal(["ep1", "ep2", "ep3"], endpoints.Select(e => e.FileName));
        Assert.Equal([1, 2, 3], endpoints.Select(e => e.Index));
        Assert.Equal([(byte)0x02, (byte)0x81, (byte)0x83], endpoints.Select(e => e.Address));
    }

    [Fact]
    public void VirtualAddresses_NameFilesAfterTheAddressInHex()
    {
        IReadOnlyList<FunctionFsEndpoint> endpoints = FunctionFsDescriptors.Create(TwoInterfaces(virtualAddresses: true)).Endpoints;

        Assert.Equal(["ep02", "ep81", "ep83"], endpoints.Select(e => e.FileName));
    }

    [Fact]
    public void Endpoint_ReportsItsInterfaceAndAlternateSetting()
    {
        FunctionFsEndpoint interrupt = FunctionFsDescriptors.Create(TwoInterfaces()).Endpoints[2];

        Assert.Equal(1, interrupt.InterfaceNumber);
        Assert.Equal(1, interrupt.AlternateSetting);
        Assert.Equal(EndpointTransferType.Interrupt, interrupt.Type);
        Assert.Equal(EndpointDirection.In, interrupt.Direction);
        Assert.Equal(3, interrupt.Number);
    }

    [Fact]
    public void Endpoint_GivesMaxPacketPerSpeed()
    {
        FunctionFsEndpoint bulkIn = FunctionFsDescriptors.Create(TwoInterfaces()).Endpoints[1];

        Assert.Equal(64, bulkIn.FullSpeed!.MaxPacketSize);
        Assert.Equal(512, bulkIn.HighSpeed!.MaxPacketSize);
        Assert.Equal(1024, bulkIn.SuperSpeed!.MaxPacketSize);
        Assert.Equal(512, bulkIn.ForSpeed(UsbSpeed.High)!.MaxPacketSize);
    }

    [Fact]
    public void Endpoint_AtASpeedWithoutDescriptors_HasNoParameters()
    {
        FunctionFsEndpoint bulkIn = FunctionFsDescriptors.Create(TwoInterfaces(speeds: UsbSpeeds.High)).Endpoints[1];

        Assert.Null(bulkIn.FullSpeed);
        Assert.Null(bulkIn.SuperSpeed);
        Assert.Equal(512, bulkIn.HighSpeed!.MaxPacketSize);
    }

    [Fact]
    public void Endpoint_InterruptInterval_IsReportedAsTheRawFieldPerSpeed()
    {
        FunctionFsEndpoint interrupt = FunctionFsDescriptors.Create(TwoInterfaces()).Endpoints[2];

        Assert.Equal(4, interrupt.FullSpeed!.Interval);  // 4 frames
        Assert.Equal(6, interrupt.HighSpeed!.Interval);  // 32 microframes = 2^(6-1)
        Assert.Equal(16, interrupt.SuperSpeed!.BytesPerInterval);
    }

    [Fact]
    public void HighBandwidthEndpoint_ReportsPayloadAndTransactionsSeparately()
    {
        var parameters = new EndpointSpeedParameters(0x1400, 1, 0, 0);

        Assert.Equal(1024, parameters.MaxPacketSize);
        Assert.Equal(3, parameters.TransactionsPerMicroframe);
    }
}
