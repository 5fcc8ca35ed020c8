using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

/// <summary>The low-level context against the real kernel: raw results, nothing judged.</summary>
public sealed class AioContextTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void ScratchDirectory_IsOnADiskBackedFileSystem()
        => Assert.NotEqual("tmpfs", _scratch.FileSystem);

    [Fact]
    public void PwriteThenPread_RoundTripsTheBytesAtTheOffset()
    {
        byte[] data = Patterns.Bytes(8192, seed: 1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("rw"), OpenFlags.ReadWrite);
        using var context = new AioContext(8);
        using var source = AioBuffer.Allocate(8192);
        using var destination = AioBuffer.Allocate(8192);
        using var block = new AioBlock();
        data.CopyTo(source.Span);

        block.PrepareWrite(file, source, 8192, offset: 4096);
        AioEvent written = SubmitAndReap(context, block);
        Assert.Equal(8192, written.Result);
        Assert.Equal(0, written.Result2);

        block.PrepareRead(file, destination, 8192, offset: 4096);
        AioEvent read = SubmitAndReap(context, block);
        Assert.Equal(8192, read.Result);
        Assert.True(destination.Span[..8192].SequenceEqual(data));
        Assert.Equal(0, context.InFlight);
    }

    [Fact]
    public void Pread_PastTheEndOfTheFile_ReturnsZeroBytes()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("short", new byte[100]), OpenFlags.ReadOnly);
        using var context = new AioContext(1);
        using var buffer = AioBuffer.Allocate(4096);
        using var block = new AioBlock();
        block.PrepareRead(file, buffer, 4096, offset: 0);
        Assert.Equal(100, SubmitAndReap(context, block).Result);
        block.PrepareRead(file, buffer, 4096, offset: 4096);
        Assert.Equal(0, SubmitAndReap(context, block).Result);
    }

    [Fact]
    public void ODirect_AlignedReadAndWrite_BypassThePageCache()
    {
        byte[] data = Patterns.Bytes(65536, seed: 2);
        using var file = UnixFileHandle.Open(_scratch.NewFile("direct"), OpenFlags.ReadWrite | OpenFlags.Direct);
        using var context = new AioContext(4);
        using var buffer = AioBuffer.Allocate(65536);
        using var block = new AioBlock();
        data.CopyTo(buffer.Span);
        block.PrepareWrite(file, buffer, 65536, 0);
        Assert.Equal(65536, SubmitAndReap(context, block).Result);

        buffer.Span.Clear();
        block.PrepareRead(file, buffer, 65536, 0);
        Assert.Equal(65536, SubmitAndReap(context, block).Result);
        Assert.True(buffer.Span.SequenceEqual(data));
    }

    [Fact]
    public void ODirect_MisalignedLength_CompletesWithMinusEinval_InsteadOfThrowing()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("direct", new byte[65536]), OpenFlags.ReadOnly | OpenFlags.Direct);
        using var context = new AioContext(4);
        using var buffer = AioBuffer.Allocate(8192);
        using var block = new AioBlock();
        block.PrepareRead(file, buffer, 100, 0);
        AioEvent e = SubmitAndReap(context, block);
        Assert.Equal(-(long)Errno.EINVAL, e.Result);
    }

    [Fact]
    public void PwritevThenPreadv_ScatterAndGatherInSegmentOrder()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("vector"), OpenFlags.ReadWrite);
        using var context = new AioContext(2);
        using var a = AioBuffer.Allocate(4096);
        using var b = AioBuffer.Allocate(4096);
        using var block = new AioBlock();
        a.Span.Fill(0xAA);
        b.Span.Fill(0xBB);

        block.PrepareWriteVector(file, [new AioBufferSegment(a, 0, 10), new AioBufferSegment(b, 100, 20)], offset: 0);
        Assert.Equal(30, SubmitAndReap(context, block).Result);
        byte[] onDisk = File.ReadAllBytes(Path.Combine(_scratch.Path, "vector"));
        Assert.Equal([.. Enumerable.Repeat((byte)0xAA, 10), .. Enumerable.Repeat((byte)0xBB, 20)], onDisk);

        a.Span.Clear();
        b.Span.Clear();
        block.PrepareReadVector(file, [new AioBufferSegment(b, 0, 25), new AioBufferSegment(a, 50, 5)], offset: 0);
        Assert.Equal(30, SubmitAndReap(context, block).Result);
        Assert.Equal(0xAA, b.Span[9]);
        Assert.Equal(0xBB, b.Span[10]);
        Assert.Equal(0xBB, a.Span[54]);
        Assert.Equal(0, a.Span[55]);
    }

    [Theory]
    [InlineData(AioOperation.Fsync)]
    [InlineData(AioOperation.Fdsync)]
    public void FsyncAndFdsync_OnARegularFile_CompleteWithZero(AioOperation operation)
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("sync", [1, 2, 3]), OpenFlags.ReadWrite);
        using var context = new AioContext(1);
        using var block = new AioBlock();
        if (operation == AioOperation.Fsync)
        {
            block.PrepareFsync(file);
        }
        else
        {
            block.PrepareFdsync(file);
        }

        Assert.Equal(0, SubmitAndReap(context, block).Result);
    }

    [Fact]
    public void RwFlags_Append_WritesAtTheEndOfTheFile()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("append", [1, 2, 3]), OpenFlags.ReadWrite);
        using var context = new AioContext(1);
        using var buffer = AioBuffer.Allocate(1);
        using var block = new AioBlock();
        buffer.Span[0] = 9;
        block.RwFlags = (int)ReadWriteFlags.Append;
        block.PrepareWrite(file, buffer, 1, offset: 0);
        Assert.Equal(1, SubmitAndReap(context, block).Result);
        Assert.Equal([1, 2, 3, 9], File.ReadAllBytes(Path.Combine(_scratch.Path, "append")));
    }

    [Fact]
    public void Noop_WhichLinuxNeverImplemented_IsRefusedByIoSubmitWithEinval()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("noop"), OpenFlags.ReadOnly);
        using var context = new AioContext(1);
        using var block = new AioBlock();
        block.PrepareNoop(file);
        var e = Assert.Throws<LinuxIOException>(() => context.Submit([block]));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.StartsWith("io_submit(nr=1) failed: EINVAL", e.Message, StringComparison.Ordinal);
        Assert.False(block.IsInFlight);
        Assert.Equal(0, context.InFlight);
    }

    [Fact]
    public void Poll_OnAnEmptyPipe_StaysInFlightUntilDataArrives()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(2))
        using (var block = new AioBlock())
        {
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            context.Submit([block]);
            var events = new AioEvent[1];
            Assert.Equal(0, context.GetEvents(1, events, TimeSpan.FromMilliseconds(50)));
            Assert.True(block.IsInFlight);

            writeEnd.Write([42]);
            Assert.Equal(1, context.GetEvents(1, events, s_wait));
            Assert.Equal(PollEvents.POLLIN, (PollEvents)events[0].Result & PollEvents.POLLIN);
            Assert.False(events[0].CancelRequested);
        }
    }

    [Fact]
    public void DisposingTheFileOfABlockInFlight_ClosesTheDescriptor_AndTheKernelStillCompletesTheBlock()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (writeEnd)
        using (var context = new AioContext(2))
        using (var block = new AioBlock())
        {
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            context.Submit([block]);
            string link = $"/proc/self/fd/{readEnd.Fd}";
            string? pipe = new FileInfo(link).LinkTarget;
            Assert.StartsWith("pipe:", pipe);
            readEnd.Dispose();

            // The descriptor is closed (another file may get its number); the kernel holds the open pipe for the block.
            Assert.True(readEnd.IsClosed);
            Assert.NotEqual(pipe, new FileInfo(link).LinkTarget);
            Assert.True(block.IsInFlight);

            writeEnd.Write([42]);
            var events = new AioEvent[1];
            Assert.Equal(1, context.GetEvents(1, events, s_wait));
            Assert.Same(block, events[0].Block);
            Assert.Equal(PollEvents.POLLIN, (PollEvents)events[0].Result & PollEvents.POLLIN);
        }
    }

    [Fact]
    public void OneSubmitTakingTurnsBetweenThreeFiles_HoldsNoFileAfterTheCall_AndEveryBlockCompletes()
    {
        // An echo's batch alternates between two endpoints' files; a third breaks the pattern once.
        var pipes = Enumerable.Range(0, 3).Select(_ => UnixFileHandle.CreatePipe()).ToArray();
        int[] order = [0, 1, 0, 1, 2, 0, 1, 1, 0];
        AioBlock[] blocks = PollBlocks(order.Select(i => pipes[i].ReadEnd));
        using var context = new AioContext(order.Length);
        try
        {
            Assert.Equal(order.Length, context.Submit(blocks));
            foreach (var (read, write) in pipes)
            {
                write.Write([1]);
                read.Dispose();
                Assert.True(read.IsClosed);
            }

            Assert.All(ReapAll(context, order.Length), e => Assert.Equal(PollEvents.POLLIN, (PollEvents)e.Result & PollEvents.POLLIN));
        }
        finally
        {
            DisposeAll(pipes, blocks);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    public void OneSubmitOnTwelveFiles_HoldsNoFileAfterTheCall_AndOneClosedFileRefusesTheWholeCall(int closedBeforeSubmit)
    {
        var pipes = Enumerable.Range(0, 12).Select(_ => UnixFileHandle.CreatePipe()).ToArray();
        AioBlock[] blocks = PollBlocks(pipes.Select(p => p.ReadEnd));
        using var context = new AioContext(12);
        try
        {
            if (closedBeforeSubmit >= 0)
            {
                pipes[closedBeforeSubmit].ReadEnd.Dispose();
                Assert.Throws<ObjectDisposedException>(() => context.Submit(blocks));
                Assert.Equal(0, context.InFlight);
            }
            else
            {
                Assert.Equal(12, context.Submit(blocks));
            }

            // No reference outlives the call: each read end closes at once, in flight or not.
            foreach (var (read, _) in pipes)
            {
                read.Dispose();
                Assert.True(read.IsClosed);
            }

            if (closedBeforeSubmit < 0)
            {
                foreach (var (_, write) in pipes)
                {
                    write.Write([1]);
                }

                Assert.All(ReapAll(context, 12), e => Assert.Equal(PollEvents.POLLIN, (PollEvents)e.Result & PollEvents.POLLIN));
            }
        }
        finally
        {
            DisposeAll(pipes, blocks);
        }
    }

    private static AioBlock[] PollBlocks(IEnumerable<UnixFileHandle> files) => files.Select(file =>
    {
        var block = new AioBlock();
        block.PreparePoll(file, PollEvents.POLLIN);
        return block;
    }).ToArray();

    private static AioEvent[] ReapAll(AioContext context, int count)
    {
        var events = new AioEvent[count];
        int reaped = 0;
        while (reaped < count)
        {
            reaped += context.GetEvents(1, events.AsSpan(reaped), s_wait);
        }

        return events;
    }

    private static void DisposeAll((UnixFileHandle ReadEnd, UnixFileHandle WriteEnd)[] pipes, AioBlock[] blocks)
    {
        foreach (var (read, write) in pipes)
        {
            read.Dispose();
            write.Dispose();
        }

        foreach (AioBlock block in blocks)
        {
            block.Dispose();
        }
    }

    [Fact]
    public void Cancel_APollInFlight_IsRequested_AndTheEventStillArrivesWithAnEmptyMask()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(2))
        using (var block = new AioBlock())
        {
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            context.Submit([block]);

            Assert.Equal(AioCancelResult.Requested, context.Cancel(block));
            var events = new AioEvent[1];
            Assert.Equal(1, context.GetEvents(1, events, s_wait));
            Assert.Same(block, events[0].Block);
            Assert.True(events[0].CancelRequested);
            Assert.Equal(0, events[0].Result);
            Assert.Equal(AioCancelResult.NotInFlight, context.Cancel(block));
        }
    }

    [Fact]
    public void Cancel_ARegularFileRead_IsNotSupportedByTheKernel_AndTheReadCompletesNormally()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[4096]), OpenFlags.ReadOnly);
        using var context = new AioContext(1);
        using var buffer = AioBuffer.Allocate(4096);
        using var block = new AioBlock();
        block.PrepareRead(file, buffer, 4096, 0);
        context.Submit([block]);
        Assert.Equal(AioCancelResult.NotInFlight, context.Cancel(block));
        var events = new AioEvent[1];
        Assert.Equal(1, context.GetEvents(1, events, s_wait));
        Assert.Equal(4096, events[0].Result);
    }

    [Fact]
    public void Cancel_ABlockNeverSubmitted_IsNotInFlight_WithoutAskingTheKernel()
    {
        using var context = new AioContext(1);
        using var block = new AioBlock();
        Assert.Equal(AioCancelResult.NotInFlight, context.Cancel(block));
    }

    [Fact]
    public void CancelRacingCompletion_ExactlyOneEventArrives_AndItsResultTellsWhoWon()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe(nonBlocking: true);
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(2))
        using (var block = new AioBlock())
        {
            var events = new AioEvent[2];
            int cancelWon = 0, ioWon = 0;
            var drain = new byte[16];
            for (int i = 0; i < 300; i++)
            {
                block.PreparePoll(readEnd, PollEvents.POLLIN);
                context.Submit([block]);
                using var start = new Barrier(2);
                AioCancelResult cancel = default;
                var canceller = new Thread(() =>
                {
                    start.SignalAndWait();
                    cancel = context.Cancel(block);
                });
                canceller.Start();
                start.SignalAndWait();
                writeEnd.Write([1]);
                canceller.Join();

                Assert.Equal(1, context.GetEvents(1, events, s_wait));
                Assert.Equal(0, context.GetEvents(0, events, TimeSpan.Zero));
                Assert.Same(block, events[0].Block);
                if (events[0].Result == 0)
                {
                    // An empty mask means the cancel won; the kernel must have accepted it.
                    Assert.Equal(AioCancelResult.Requested, cancel);
                    cancelWon++;
                }
                else
                {
                    Assert.Equal(PollEvents.POLLIN, (PollEvents)events[0].Result & PollEvents.POLLIN);
                    ioWon++;
                }

                Assert.True(events[0].CancelRequested || cancel == AioCancelResult.NotInFlight);
                readEnd.TryRead(drain, out _);
            }

            Assert.Equal(300, cancelWon + ioWon);
        }
    }

    [Fact]
    public void ResultEventFd_IsSignalledOncePerCompletedBlock()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[16384]), OpenFlags.ReadOnly);
        using var context = new AioContext(4);
        using var eventFd = new EventFd(nonBlocking: true);
        using var buffer = AioBuffer.Allocate(16384);
        AioBlock[] blocks = [new(), new(), new()];
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i].ResultEventFd = eventFd;
            blocks[i].PrepareRead(file, buffer, 4096, i * 4096L);
        }

        Assert.Equal(3, context.Submit(blocks));
        ulong total = 0;
        var deadline = DateTime.UtcNow + s_wait;
        while (total < 3 && DateTime.UtcNow < deadline)
        {
            total += eventFd.TryRead(out ulong value) ? value : 0;
        }

        Assert.Equal(3ul, total);
        var events = new AioEvent[4];
        Assert.Equal(3, context.GetEvents(3, events, s_wait));
        foreach (AioBlock block in blocks)
        {
            block.Dispose();
        }
    }

    [Fact]
    public void Submit_MoreBlocksThanFreeSlots_IsRefusedBeforeTheKernel_AndNothingIsSubmitted()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(2))
        {
            AioBlock[] blocks = [new(), new(), new()];
            foreach (AioBlock b in blocks)
            {
                b.PreparePoll(readEnd, PollEvents.POLLIN);
            }

            var e = Assert.Throws<InvalidOperationException>(() => context.Submit(blocks));
            Assert.Contains("the context holds 2", e.Message, StringComparison.Ordinal);
            Assert.Equal(0, context.InFlight);
            Assert.All(blocks, b => Assert.False(b.IsInFlight));

            Assert.Equal(2, context.Submit(blocks.AsSpan(0, 2)));
            Assert.Throws<InvalidOperationException>(() => context.Submit(blocks.AsSpan(2, 1)));
            Assert.Equal(2, context.InFlight);
        }
    }

    [Fact]
    public void Submit_TheSameBlockTwice_IsRefused()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(4))
        using (var block = new AioBlock())
        {
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            Assert.Throws<InvalidOperationException>(() => context.Submit([block, block]));
            Assert.Equal(0, context.InFlight);
            Assert.False(block.IsInFlight);

            context.Submit([block]);
            var e = Assert.Throws<InvalidOperationException>(() => context.Submit([block]));
            Assert.Contains("already in flight", e.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => block.PreparePoll(readEnd, PollEvents.POLLOUT));
            Assert.Throws<InvalidOperationException>(() => block.UserData = 1);
        }
    }

    [Fact]
    public void Submit_AnUnpreparedBlock_IsRefusedNamingTheIndex()
    {
        using var context = new AioContext(2);
        using var block = new AioBlock();
        var e = Assert.Throws<ArgumentException>(() => context.Submit([block]));
        Assert.Equal("blocks", e.ParamName);
        Assert.Contains("blocks[0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("never prepared", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Submit_RwFlagsOnAPoll_IsRefusedBeforeTheKernel()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(2))
        using (var block = new AioBlock())
        {
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            block.RwFlags = (int)ReadWriteFlags.NoWait;
            Assert.Throws<ArgumentException>(() => context.Submit([block]));
        }
    }

    [Fact]
    public void Submit_AReadOnAWriteOnlyFile_IsRefusedByTheKernelWithEbadf()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("wo"), OpenFlags.WriteOnly);
        using var context = new AioContext(1);
        using var buffer = AioBuffer.Allocate(4096);
        using var block = new AioBlock();
        block.PrepareRead(file, buffer, 4096, 0);
        var e = Assert.Throws<LinuxIOException>(() => context.Submit([block]));
        Assert.Equal(Errno.EBADF, e.Errno);
        Assert.Equal("io_submit(nr=1)", e.Call);
        Assert.Equal(0, context.InFlight);
        Assert.Equal(0, buffer.KernelReferences);
    }

    [Fact]
    public void Submit_APartlyRefusedBatch_ReportsTheAcceptedPrefix()
    {
        using var good = UnixFileHandle.Open(_scratch.NewFile("good", new byte[4096]), OpenFlags.ReadOnly);
        using var bad = UnixFileHandle.Open(_scratch.NewFile("bad"), OpenFlags.WriteOnly);
        using var context = new AioContext(4);
        using var buffer = AioBuffer.Allocate(4096);
        using var first = new AioBlock();
        using var second = new AioBlock();
        first.PrepareRead(good, buffer, 4096, 0);
        second.PrepareRead(bad, buffer, 4096, 0);
        Assert.Equal(1, context.Submit([first, second]));
        Assert.True(first.IsInFlight);
        Assert.False(second.IsInFlight);
        Assert.Equal(1, context.InFlight);
        var events = new AioEvent[2];
        Assert.Equal(1, context.GetEvents(1, events, s_wait));
        Assert.Equal(0, buffer.KernelReferences);
    }

    [Fact]
    public void Submit_ABlockWhoseBufferWasDisposedAfterPrepare_IsRefused_AndNothingStaysInFlight()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[8192]), OpenFlags.ReadOnly);
        using var context = new AioContext(4);
        using var kept = AioBuffer.Allocate(4096);
        var gone = AioBuffer.Allocate(4096);
        using var first = new AioBlock();
        using var second = new AioBlock();
        first.PrepareRead(file, kept, 4096, 0);
        second.PrepareRead(file, gone, 4096, 4096);
        gone.Dispose();

        Assert.Throws<ObjectDisposedException>(() => context.Submit([first, second]));
        Assert.Equal(0, context.InFlight);
        Assert.False(first.IsInFlight);
        Assert.False(second.IsInFlight);
        Assert.Equal(0, kept.KernelReferences);

        // Both blocks are usable again.
        first.PrepareRead(file, kept, 4096, 0);
        Assert.Equal(4096, SubmitAndReap(context, first).Result);
    }

    [Fact]
    public void Prepare_ValidatesArgumentsNamingThem()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("args"), OpenFlags.ReadWrite);
        using var buffer = AioBuffer.Allocate(4096);
        using var block = new AioBlock();
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => block.PrepareRead(file, buffer, 4097, 0)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => block.PrepareRead(file, buffer, -1, 0)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => block.PrepareWrite(file, buffer, 1, -1)).ParamName);
        Assert.Equal("file", Assert.Throws<ArgumentNullException>(() => block.PrepareFsync(null!)).ParamName);
        Assert.Equal("segments", Assert.Throws<ArgumentOutOfRangeException>(() => block.PrepareReadVector(file, [], 0)).ParamName);
        Assert.Equal("address", Assert.Throws<ArgumentException>(() => block.PrepareRead(file, 0, 10, 0)).ParamName);

        var closed = UnixFileHandle.Open(_scratch.NewFile("closed"), OpenFlags.ReadOnly);
        closed.Dispose();
        Assert.Equal("file", Assert.Throws<ArgumentException>(() => block.PrepareFsync(closed)).ParamName);

        var gone = AioBuffer.Allocate(1);
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => block.PrepareRead(file, gone, 1, 0));
    }

    [Fact]
    public void GetEvents_ValidatesArguments()
    {
        using var context = new AioContext(1);
        var events = new AioEvent[2];
        Assert.Equal("minimum", Assert.Throws<ArgumentOutOfRangeException>(() => context.GetEvents(3, events, null)).ParamName);
        Assert.Equal("minimum", Assert.Throws<ArgumentOutOfRangeException>(() => context.GetEvents(-1, events, null)).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => context.GetEvents(0, events, TimeSpan.FromSeconds(-1))).ParamName);
    }

    [Fact]
    public void GetEvents_WithNothingInFlight_TimesOutWithZero()
    {
        using var context = new AioContext(1);
        var events = new AioEvent[1];
        Assert.Equal(0, context.GetEvents(1, events, TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public void Constructor_RefusesANonPositiveSize()
    {
        Assert.Equal("maxEvents", Assert.Throws<ArgumentOutOfRangeException>(() => new AioContext(0)).ParamName);
        Assert.Equal("maxEvents", Assert.Throws<ArgumentOutOfRangeException>(() => new AioContext(-5)).ParamName);
    }

    [Fact]
    public void Constructor_BeyondFsAioMaxNr_FailsWithEagainAndSaysWhatToRaise()
    {
        long max = long.Parse(File.ReadAllText("/proc/sys/fs/aio-max-nr").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        int tooMany = (int)Math.Min(max + 1, int.MaxValue);
        var e = Assert.Throws<LinuxIOException>(() => new AioContext(tooMany));
        Assert.Equal(Errno.EAGAIN, e.Errno);
        Assert.Equal($"io_setup(nr_events={tooMany})", e.Call);
        Assert.StartsWith($"io_setup(nr_events={tooMany}) failed: EAGAIN (fs.aio-max-nr reached", e.Message, StringComparison.Ordinal);
        Assert.Contains("sysctl fs.aio-max-nr=", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAfterDispose_Throws()
    {
        var context = new AioContext(1);
        context.Dispose();
        context.Dispose();
        using var block = new AioBlock();
        Assert.Throws<ObjectDisposedException>(() => context.GetEvents(0, new AioEvent[1], TimeSpan.Zero));
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            Assert.Throws<ObjectDisposedException>(() => context.Submit([block]));
        }
    }

    [Fact]
    public void ReapReady_ReadsTheKernelsResultsFromTheRing_ThroughManyWrapsOfIt()
    {
        byte[] data = Patterns.Bytes(16384, seed: 7);
        using var file = UnixFileHandle.Open(_scratch.NewFile("ring", data), OpenFlags.ReadOnly);
        using var context = new AioContext(4);
        using var buffer = AioBuffer.Allocate(16384);
        AioBlock[] blocks = [new(), new(), new()];
        var events = new AioEvent[4];

        // The kernel's ring holds a few dozen events at most here, so 600 rounds of 3 wrap it many times.
        for (int round = 0; round < 600; round++)
        {
            for (int i = 0; i < blocks.Length; i++)
            {
                blocks[i].PrepareRead(file, buffer, 1 + ((round + i) % 4096), offset: i * 4096L);
                blocks[i].UserData = (ulong)(round * 10 + i);
            }

            Assert.Equal(3, context.Submit(blocks));
            int reaped = 0;
            var deadline = DateTime.UtcNow + s_wait;
            while (reaped < 3 && DateTime.UtcNow < deadline)
            {
                int got = context.ReapReady(events.AsSpan(reaped, 3 - reaped));
                for (int k = reaped; k < reaped + got; k++)
                {
                    int i = (int)(events[k].UserData - (ulong)(round * 10));
                    Assert.Same(blocks[i], events[k].Block);
                    Assert.Equal(1 + ((round + i) % 4096), events[k].Result);
                    Assert.Equal(0, events[k].Result2);
                }

                reaped += got;
            }

            Assert.Equal(3, reaped);
            Assert.Equal(0, context.InFlight);
        }

        Assert.Equal(0, context.ReapReady(events));
        foreach (AioBlock block in blocks)
        {
            block.Dispose();
        }
    }

    [Fact]
    public void ReapReady_AndGetEvents_ShareTheRing_SoNoEventIsSeenTwiceOrLost()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("shared", new byte[8192]), OpenFlags.ReadOnly);
        using var context = new AioContext(8);
        using var buffer = AioBuffer.Allocate(8192);
        AioBlock[] blocks = [new(), new(), new(), new()];
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i].PrepareRead(file, buffer, 100 + i, offset: 0);
        }

        Assert.Equal(4, context.Submit(blocks));
        var events = new AioEvent[4];
        var seen = new List<AioBlock>();
        var deadline = DateTime.UtcNow + s_wait;
        while (seen.Count == 0 && DateTime.UtcNow < deadline)
        {
            if (context.ReapReady(events.AsSpan(0, 1)) == 1)
            {
                seen.Add(events[0].Block);
            }
        }

        // io_getevents picks up at the head user space left.
        Assert.Equal(3, context.GetEvents(3, events, s_wait));
        seen.AddRange(events[..3].Select(e => e.Block));
        Assert.Equal(blocks.OrderBy(b => b.GetHashCode()), seen.OrderBy(b => b.GetHashCode()));
        Assert.Equal(0, context.ReapReady(events));
        Assert.Equal(0, context.GetEvents(0, events, TimeSpan.Zero));
        foreach (AioBlock block in blocks)
        {
            block.Dispose();
        }
    }

    [Fact]
    public void ReapReady_WithNothingReady_ReturnsZero_AndAfterDisposeThrows()
    {
        var context = new AioContext(2);
        Assert.Equal(0, context.ReapReady(new AioEvent[2]));
        Assert.Equal(0, context.ReapReady([]));
        context.Dispose();
        Assert.Throws<ObjectDisposedException>(() => context.ReapReady(new AioEvent[2]));
    }

    private static AioEvent SubmitAndReap(AioContext context, AioBlock block)
    {
        Assert.Equal(1, context.Submit([block]));
        var events = new AioEvent[1];
        Assert.Equal(1, context.GetEvents(1, events, s_wait));
        Assert.Same(block, events[0].Block);
        Assert.False(block.IsInFlight);
        return events[0];
    }
}
