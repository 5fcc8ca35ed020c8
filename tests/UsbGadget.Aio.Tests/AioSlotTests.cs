using UsbGadget.Linux;
using static Interop;

namespace UsbGadget.Aio.Tests;

/// <summary>
/// The context's iocb array: one slot per in-flight block, each iocb's aio_data the index of its slot, a completion
/// found by that index and nothing else.
/// </summary>
public sealed class AioSlotTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void ASlot_IsFreeAgainOnceItsEventWasReaped_AndTheNextBlockTakesIt()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(1))
        using (var first = new AioBlock { UserData = 0xA })
        using (var second = new AioBlock { UserData = 0xB })
        {
            first.PreparePoll(readEnd, PollEvents.POLLIN);
            second.PreparePoll(readEnd, PollEvents.POLLIN);
            context.Submit([first]);
            nint slot = first.IocbAddress;
            Assert.Throws<InvalidOperationException>(() => context.Submit([second]));

            writeEnd.Write([1]);
            var events = new AioEvent[1];
            Assert.Equal(1, context.GetEvents(1, events, s_wait));
            Assert.Same(first, events[0].Block);
            Assert.Equal(0xAUL, events[0].UserData);
            Assert.False(first.IsInFlight);
            Assert.Equal(0, context.InFlight);

            context.Submit([second]);
            Assert.Equal(slot, second.IocbAddress);
            Assert.Equal(1, context.GetEvents(1, events, s_wait));
            Assert.Same(second, events[0].Block);
            Assert.Equal(0xBUL, events[0].UserData);
        }
    }

    [Fact]
    public void ABlockSubmittedAgain_TakesTheSameSlot_WhateverTheOrderOfTheBatch()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe(nonBlocking: true);
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(4))
        {
            AioBlock[] blocks = [new(), new(), new()];
            try
            {
                var slots = new nint[blocks.Length];
                var events = new AioEvent[blocks.Length];
                for (int round = 0; round < 3; round++)
                {
                    foreach (AioBlock block in blocks)
                    {
                        block.PreparePoll(readEnd, PollEvents.POLLIN);
                    }

                    AioBlock[] batch = round % 2 == 0 ? blocks : [.. blocks.Reverse()];
                    context.Submit(batch);
                    for (int i = 0; i < blocks.Length; i++)
                    {
                        if (round == 0)
                        {
                            slots[i] = blocks[i].IocbAddress;
                        }

                        Assert.Equal(slots[i], blocks[i].IocbAddress);
                    }

                    writeEnd.Write([1]);
                    int reaped = 0;
                    while (reaped < blocks.Length)
                    {
                        reaped += context.GetEvents(1, events.AsSpan(reaped), s_wait);
                    }

                    readEnd.TryRead(new byte[1], out _);
                }

                // One contiguous array: every slot lies within maxEvents iocbs of the others.
                Assert.Equal(blocks.Length, slots.Distinct().Count());
                Assert.True(slots.Max() - slots.Min() < 4 * 64);
                Assert.All(slots, s => Assert.Equal(0, (s - slots.Min()) % 64));
            }
            finally
            {
                Array.ForEach(blocks, b => b.Dispose());
            }
        }
    }

    [Fact]
    public void CancellingASlot_YieldsExactlyOneCompletion_AndFreesTheSlot()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(1))
        using (var block = new AioBlock())
        {
            var events = new AioEvent[2];
            for (int i = 0; i < 500; i++)
            {
                block.PreparePoll(readEnd, PollEvents.POLLIN);
                context.Submit([block]);
                Assert.Equal(AioCancelResult.Requested, context.Cancel(block));
                Assert.Equal(1, context.GetEvents(1, events, s_wait));
                Assert.Equal(0, context.GetEvents(0, events, TimeSpan.Zero));
                Assert.Same(block, events[0].Block);
                Assert.True(events[0].CancelRequested);
                Assert.Equal(0, context.InFlight);
                Assert.Equal(AioCancelResult.NotInFlight, context.Cancel(block));
            }
        }
    }

    [Fact]
    public void Dispose_WaitsUntilTheKernelReturnedEverySlot_IncludingThoseOfBlocksDisposedInFlight()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            var context = new AioContext(8);
            AioBlock[] blocks = [.. Enumerable.Range(0, 8).Select(_ => new AioBlock())];
            foreach (AioBlock block in blocks)
            {
                block.PreparePoll(readEnd, PollEvents.POLLIN);
            }

            context.Submit(blocks);
            Assert.Equal(8, context.InFlight);

            // Freed only once the kernel returns them.
            blocks[0].Dispose();
            blocks[7].Dispose();
            context.Dispose();

            Assert.Equal(0, context.InFlight);
            Assert.All(blocks, b => Assert.False(b.IsInFlight));
            Array.ForEach(blocks, b => b.Dispose());
        }
    }

    [Theory]
    [InlineData(8UL)]
    [InlineData(0x1_0000_0000UL)]
    [InlineData(ulong.MaxValue)]
    public void AnEventWhoseAioDataIsOutOfRange_IsDroppedAndLogged_NotFollowed(ulong data)
    {
        var logger = new ListLogger();
        using var context = new AioContext(8, logger);
        var events = new AioEvent[1];
        io_event e = new() { data = data, obj = (ulong)context.SlotIocbAddress(0), res = 512 };
        Assert.Equal(0, context.CompleteForTest([e], events));
        Assert.Equal(0, context.InFlight);
        Assert.True(logger.Has(5));
    }

    [Fact]
    public void AnEventNamingASlotButNotItsIocb_OrAFreeSlot_IsDropped_AndTheRealCompletionStillArrivesOnce()
    {
        var logger = new ListLogger();
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(2, logger))
        using (var block = new AioBlock())
        {
            block.PreparePoll(readEnd, PollEvents.POLLIN);
            context.Submit([block]);
            int slot = block.Slot;
            int free = 1 - slot;
            var events = new AioEvent[2];
            ReadOnlySpan<io_event> forged =
            [
                new() { data = (ulong)slot, obj = (ulong)context.SlotIocbAddress(free) },
                new() { data = (ulong)slot, obj = 0 },
                new() { data = (ulong)free, obj = (ulong)context.SlotIocbAddress(free) },
            ];
            Assert.Equal(0, context.CompleteForTest(forged, events));
            Assert.True(block.IsInFlight);
            Assert.Equal(1, context.InFlight);
            Assert.Equal(3, logger.Entries.Count(x => x.Id.Id == 5));

            writeEnd.Write([1]);
            Assert.Equal(1, context.GetEvents(1, events, s_wait));
            Assert.Same(block, events[0].Block);
            Assert.Equal(0, context.GetEvents(0, events, TimeSpan.Zero));
            Assert.Equal(0, context.InFlight);
        }
    }

    [Fact]
    public void SubmitsRacingAReaperOnAnotherThread_FindEveryCompletion_EvenThoseThatArriveInsideIoSubmit()
    {
        // /dev/zero completes a read inside io_submit: the reaper may see the event before io_submit has returned, so
        // the slot must name its block before the call.
        const int Blocks = 8;
        const int Rounds = 4000;
        var logger = new ListLogger();
        using var zero = UnixFileHandle.Open("/dev/zero", OpenFlags.ReadOnly);
        using var context = new AioContext(Blocks, logger);
        using var buffer = AioBuffer.Allocate(4096);
        AioBlock[] blocks = [.. Enumerable.Range(0, Blocks).Select(_ => new AioBlock())];
        var free = new System.Collections.Concurrent.BlockingCollection<AioBlock>();
        var seen = new int[Blocks];
        foreach (AioBlock block in blocks)
        {
            free.Add(block);
        }

        Exception? reaperFailure = null;
        var reaper = new Thread(() =>
        {
            try
            {
                var events = new AioEvent[Blocks];
                for (int reaped = 0; reaped < Rounds;)
                {
                    int got = context.GetEvents(1, events, s_wait);
                    Assert.True(got > 0, "a completion was lost");
                    for (int i = 0; i < got; i++)
                    {
                        Assert.Equal(512, events[i].Result);
                        Interlocked.Increment(ref seen[Array.IndexOf(blocks, events[i].Block)]);
                        free.Add(events[i].Block);
                    }

                    reaped += got;
                }
            }
            catch (Exception e)
            {
                reaperFailure = e;
            }
        });
        reaper.Start();
        try
        {
            for (int i = 0; i < Rounds; i++)
            {
                Assert.True(free.TryTake(out AioBlock? block, s_wait), $"a completion was lost ({reaperFailure?.Message})");
                block!.PrepareRead(zero, buffer, 512, 0);
                context.Submit([block]);
            }

            Assert.True(reaper.Join(s_wait));
            Assert.Null(reaperFailure);
            Assert.Equal(Rounds, seen.Sum());
            Assert.Equal(0, context.InFlight);
            Assert.False(logger.Has(5));
            Assert.Equal(0, buffer.KernelReferences);
        }
        finally
        {
            Array.ForEach(blocks, b => b.Dispose());
        }
    }

    [Fact]
    public void ThousandsOfSubmitAndCancelRaces_EveryBlockCompletesExactlyOnce()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe(nonBlocking: true);
        using (readEnd)
        using (writeEnd)
        using (var context = new AioContext(4))
        {
            AioBlock[] blocks = [new(), new(), new(), new()];
            try
            {
                using var start = new Barrier(2);
                var events = new AioEvent[8];
                var drain = new byte[16];
                for (int round = 0; round < 1000; round++)
                {
                    foreach (AioBlock block in blocks)
                    {
                        block.PreparePoll(readEnd, PollEvents.POLLIN);
                    }

                    var canceller = new Thread(() =>
                    {
                        start.SignalAndWait();
                        foreach (AioBlock block in blocks)
                        {
                            context.Cancel(block);
                        }
                    });
                    canceller.Start();
                    start.SignalAndWait();
                    foreach (AioBlock block in blocks)
                    {
                        context.Submit([block]);
                    }

                    canceller.Join();

                    // What the cancel missed completes on data.
                    writeEnd.Write([1]);
                    var seen = new int[blocks.Length];
                    for (int reaped = 0; reaped < blocks.Length;)
                    {
                        int got = context.GetEvents(1, events, s_wait);
                        Assert.True(got > 0, "a completion was lost");
                        for (int i = 0; i < got; i++)
                        {
                            seen[Array.IndexOf(blocks, events[i].Block)]++;
                        }

                        reaped += got;
                    }

                    Assert.Equal(0, context.GetEvents(0, events, TimeSpan.Zero));
                    Assert.All(seen, n => Assert.Equal(1, n));
                    Assert.Equal(0, context.InFlight);
                    readEnd.TryRead(drain, out _);
                }
            }
            finally
            {
                Array.ForEach(blocks, b => b.Dispose());
            }
        }
    }

    [Fact]
    public void HundredsOfSubmitCancelAndDisposeRaces_LeaveNoSlotOrBlockInFlight()
    {
        // Each round is a new context, and io_destroy waits out an RCU grace period: hundreds of rounds, not thousands.
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            AioBlock[] blocks = [new(), new(), new(), new()];
            try
            {
                using var start = new Barrier(3);
                for (int i = 0; i < 400; i++)
                {
                    var context = new AioContext(4) { DrainTimeout = s_wait };
                    foreach (AioBlock block in blocks)
                    {
                        block.PreparePoll(readEnd, PollEvents.POLLIN);
                    }

                    var submitter = new Thread(() =>
                    {
                        start.SignalAndWait();
                        foreach (AioBlock block in blocks)
                        {
                            try
                            {
                                context.Submit([block]);
                            }
                            catch (ObjectDisposedException)
                            {
                                // Disposed first: the block never went out.
                            }
                        }
                    });
                    var canceller = new Thread(() =>
                    {
                        start.SignalAndWait();
                        foreach (AioBlock block in blocks)
                        {
                            try
                            {
                                context.Cancel(block);
                            }
                            catch (ObjectDisposedException)
                            {
                                // Disposed first: Dispose cancelled it.
                            }
                        }
                    });
                    submitter.Start();
                    canceller.Start();
                    start.SignalAndWait();
                    if (i % 2 == 0)
                    {
                        Thread.Yield();
                    }

                    context.Dispose();
                    submitter.Join();
                    canceller.Join();

                    // A submit that counted its blocks before Dispose looked has them drained; one after sees it disposed.
                    Assert.Equal(0, context.InFlight);
                    Assert.All(blocks, b => Assert.False(b.IsInFlight));
                }
            }
            finally
            {
                Array.ForEach(blocks, b => b.Dispose());
            }
        }
    }
}
