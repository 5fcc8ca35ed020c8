using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UsbGadget.Linux;
using static Interop;

namespace UsbGadget.Aio.Tests;

/// <summary>
/// struct iocb and struct io_event as include/uapi/linux/aio_abi.h lays them out. Every field is
/// fixed-size (pointers travel in __u64), so these offsets hold on x64, arm64 and 32-bit arm alike.
/// </summary>
public class LayoutTests
{
    [Fact]
    public void Iocb_Is64Bytes() => Assert.Equal(64, Unsafe.SizeOf<iocb>());

    [Fact]
    public void IoEvent_Is32Bytes() => Assert.Equal(32, Unsafe.SizeOf<io_event>());

    [Theory]
    [InlineData(nameof(iocb.aio_data), 0)]
    [InlineData(nameof(iocb.aio_lio_opcode), 16)]
    [InlineData(nameof(iocb.aio_reqprio), 18)]
    [InlineData(nameof(iocb.aio_fildes), 20)]
    [InlineData(nameof(iocb.aio_buf), 24)]
    [InlineData(nameof(iocb.aio_nbytes), 32)]
    [InlineData(nameof(iocb.aio_offset), 40)]
    [InlineData(nameof(iocb.aio_reserved2), 48)]
    [InlineData(nameof(iocb.aio_flags), 56)]
    [InlineData(nameof(iocb.aio_resfd), 60)]
    public void Iocb_FieldSitsAtTheKernelOffset(string field, int offset)
        => Assert.Equal(offset, (int)Marshal.OffsetOf<iocb>(field));

    [Fact]
    public unsafe void Iocb_KeyAndRwFlags_FollowTheByteOrder()
    {
        // aio_abi.h: little-endian puts aio_key first, big-endian aio_rw_flags first.
        iocb cb = default;
        cb.aio_key = 0x11111111;
        cb.aio_rw_flags = 0x22222222;
        byte* p = (byte*)&cb;
        Assert.Equal(0x11111111u, *(uint*)(p + iocb.AioKeyOffset));
        Assert.Equal(0x22222222, *(int*)(p + iocb.AioRwFlagsOffset));
        Assert.Equal(BitConverter.IsLittleEndian ? 8 : 12, iocb.AioKeyOffset);
        Assert.Equal(BitConverter.IsLittleEndian ? 12 : 8, iocb.AioRwFlagsOffset);
    }

    [Fact]
    public unsafe void Iocb_PointerInAioBuf_IsZeroExtendedIntoTheLowHalf()
    {
        // On 32-bit arm the pointer must land in the low 32 bits of the __u64, the upper half zero.
        iocb cb = default;
        nint pointer = unchecked((nint)0x7654_3210);
        cb.aio_buf = (ulong)(nuint)pointer;
        byte* p = (byte*)&cb + 24;
        Assert.Equal(0x7654_3210u, *(uint*)(p + (BitConverter.IsLittleEndian ? 0 : 4)));
        Assert.Equal(0u, *(uint*)(p + (BitConverter.IsLittleEndian ? 4 : 0)));
    }

    [Theory]
    [InlineData(nameof(io_event.data), 0)]
    [InlineData(nameof(io_event.obj), 8)]
    [InlineData(nameof(io_event.res), 16)]
    [InlineData(nameof(io_event.res2), 24)]
    public void IoEvent_FieldSitsAtTheKernelOffset(string field, int offset)
        => Assert.Equal(offset, (int)Marshal.OffsetOf<io_event>(field));

    [Fact]
    public void AioRing_HeaderIs32Bytes_SoTheEventsFollowAtTheOffsetFsAioCGives() => Assert.Equal(32, Unsafe.SizeOf<aio_ring>());

    [Theory]
    [InlineData(nameof(aio_ring.id), 0)]
    [InlineData(nameof(aio_ring.nr), 4)]
    [InlineData(nameof(aio_ring.head), 8)]
    [InlineData(nameof(aio_ring.tail), 12)]
    [InlineData(nameof(aio_ring.magic), 16)]
    [InlineData(nameof(aio_ring.compat_features), 20)]
    [InlineData(nameof(aio_ring.incompat_features), 24)]
    [InlineData(nameof(aio_ring.header_length), 28)]
    public void AioRing_FieldSitsAtTheKernelOffset(string field, int offset)
        => Assert.Equal(offset, (int)Marshal.OffsetOf<aio_ring>(field));

    [Fact]
    public unsafe void AioRing_OfARealContext_HasTheMagicAndLayoutThisCodeKnows()
    {
        using var context = new AioContext(4);
        aio_ring* ring = (aio_ring*)context.ContextId;
        Assert.Equal(AIO_RING_MAGIC, ring->magic);
        Assert.Equal(AIO_RING_INCOMPAT_FEATURES, ring->incompat_features);
        Assert.Equal(32u, ring->header_length);
        Assert.True(ring->nr >= 4);
        Assert.Equal(ring->head, ring->tail);
    }

    [Fact]
    public void Iovec_And_Timespec_AreTwoNativeWords()
    {
        Assert.Equal(2 * IntPtr.Size, Unsafe.SizeOf<iovec>());
        Assert.Equal(2 * IntPtr.Size, Unsafe.SizeOf<timespec>());
    }

    [Fact]
    public void IocbCommands_MatchAioAbiH()
    {
        Assert.Equal(new ushort[] { 0, 1, 2, 3, 5, 6, 7, 8 },
            new[] { IOCB_CMD_PREAD, IOCB_CMD_PWRITE, IOCB_CMD_FSYNC, IOCB_CMD_FDSYNC, IOCB_CMD_POLL, IOCB_CMD_NOOP, IOCB_CMD_PREADV, IOCB_CMD_PWRITEV });
        Assert.Equal(1u, IOCB_FLAG_RESFD);
        Assert.Equal(2u, IOCB_FLAG_IOPRIO);
    }

    [Fact]
    public void SyscallNumbers_ForThisProcess_AreTheArchitecturesTable()
    {
        (nint setup, nint destroy, nint getevents, nint submit, nint cancel) expected = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (206, 207, 208, 209, 210),
            Architecture.Arm64 => (0, 1, 4, 2, 3),
            Architecture.Arm => (243, 244, 245, 246, 247),
            _ => (-1, -1, -1, -1, -1),
        };
        Assert.Equal(expected, (SyscallNumbers.io_setup, SyscallNumbers.io_destroy, SyscallNumbers.io_getevents, SyscallNumbers.io_submit, SyscallNumbers.io_cancel));
    }

    [Fact]
    public void OpenFlags_Direct_IsTranslatedPerArchitecture()
    {
        int native = OpenFlagsNative.ToNative(OpenFlags.ReadWrite | OpenFlags.Direct);
        int expectedDirect = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 0x4000 : 0x10000;
        Assert.Equal(expectedDirect, native & (0x4000 | 0x10000));
        Assert.Equal(O_CLOEXEC, native & O_CLOEXEC);
        Assert.Equal(O_RDWR, native & 3);
    }

    [Fact]
    public unsafe void Kernel_ReportsTheIocbAddressAndUserData_ProvingTheEventLayout()
    {
        using var context = new AioContext(4);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var block = new AioBlock())
        {
            block.UserData = 0x0123_4567_89AB_CDEF;
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            context.Submit([block]);
            writeEnd.Write([1]);
            var events = new AioEvent[1];
            Assert.Equal(1, context.GetEvents(1, events, TimeSpan.FromSeconds(5)));
            Assert.Same(block, events[0].Block);
            Assert.Equal(0x0123_4567_89AB_CDEFul, events[0].UserData);
            Assert.True((events[0].Result & (long)PollEvents.POLLIN) != 0);
        }
    }

    [Fact]
    public void Kernel_RefusesUnknownRwFlags_ProvingAioRwFlagsSitsWhereTheKernelReadsIt()
    {
        using var scratch = new ScratchDirectory();
        using var file = UnixFileHandle.Open(scratch.NewFile("f", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        using var context = new AioContext(4);
        using var block = new AioBlock();
        block.PrepareRead(file, buffer, 4096, 0);
        block.RwFlags = unchecked((int)0x8000_0000);
        Errno errno = context.TrySubmit([block], out int submitted);
        Assert.Equal(Errno.EOPNOTSUPP, errno);
        Assert.Equal(0, submitted);
    }

    [Fact]
    public void Kernel_RefusesAnInvalidPriorityClass_ProvingAioReqprioAndTheIoprioFlag()
    {
        using var scratch = new ScratchDirectory();
        using var file = UnixFileHandle.Open(scratch.NewFile("f", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        using var context = new AioContext(4);
        using var block = new AioBlock();
        block.PrepareRead(file, buffer, 4096, 0);
        block.Priority = 7 << 13; // class 7 does not exist
        Assert.Equal(Errno.EINVAL, context.TrySubmit([block], out _));

        block.Priority = IoPriority.Create(IoPriorityClass.BestEffort, 4);
        Assert.Equal(1, context.Submit([block]));
        var events = new AioEvent[1];
        Assert.Equal(1, context.GetEvents(1, events, TimeSpan.FromSeconds(5)));
        Assert.Equal(4096, events[0].Result);
    }
}
