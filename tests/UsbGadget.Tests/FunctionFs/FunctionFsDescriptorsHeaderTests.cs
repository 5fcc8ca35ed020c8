using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

public class FunctionFsDescriptorsHeaderTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    [Fact]
    public void WithEventFd_inserts_the_fd_after_the_flags_sets_the_flag_and_fixes_the_length()
    {
        // magic 3, length 24, flags HAS_HS_DESC, hs_count 1, one 4-byte fake descriptor... (layout only matters here)
        byte[] blob = Hex("03000000 18000000 02000000 01000000 09040000 00000000");

        byte[] patched = FunctionFsDescriptorsHeader.WithEventFd(blob, 7);

        Assert.Equal(Hex("03000000 1c000000 22000000 07000000 01000000 09040000 00000000"), patched);
    }

    [Fact]
    public void WithEventFd_overwrites_an_eventfd_the_blob_already_has()
    {
        byte[] blob = Hex("03000000 14000000 22000000 05000000 01000000");

        Assert.Equal(Hex("03000000 14000000 22000000 2a000000 01000000"), FunctionFsDescriptorsHeader.WithEventFd(blob, 42));
    }

    [Theory]
    [InlineData("01000000 10000000 00000000 00000000")] // legacy v1 magic
    [InlineData("03000000 0c000000")]                   // too short
    [InlineData("03000000 20000000 02000000 01000000")] // length field lies
    public void WithEventFd_refuses_what_is_not_a_consistent_v2_blob(string hex)
    {
        Assert.Throws<ArgumentException>(() => FunctionFsDescriptorsHeader.WithEventFd(Hex(hex), 3));
    }

    [Fact]
    public void ReadFlags_reads_v2_flags_and_gives_0_otherwise()
    {
        Assert.Equal(0x43u, FunctionFsDescriptorsHeader.ReadFlags(Hex("03000000 0c000000 43000000")));
        Assert.Equal(0u, FunctionFsDescriptorsHeader.ReadFlags(Hex("01000000 0c000000 43000000")));
    }
}
