using CsCheck;
using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

/// <summary>
/// The ep0 event parser fuzzed with arbitrary bytes: it never throws (TryParse), fails only as documented (Parse),
/// sees nothing outside the span it is given, and reads back every well-formed <c>struct usb_functionfs_event</c>.
/// </summary>
/// <remarks>A failure prints CsCheck's seed; pass it as <c>seed:</c> to the same <c>Sample</c> call to replay it.</remarks>
public class FunctionFsEventParserPropertyTests
{
    private const int Iterations = 5000;

    private static readonly Gen<byte[]> s_arbitraryBytes = Gen.OneOf(
        Gen.Byte.Array[0, 100],
        Gen.Int[0, 8].SelectMany(n => Gen.Byte.Array[n * FunctionFsEvent.Size])); // whole records more often

    private static readonly Gen<(byte Type, ControlRequest Setup, byte[] Padding)> s_event =
        Gen.Select(
            Gen.Frequency((3, Gen.Byte[0, 6]), (1, Gen.Byte)),
            Gen.Select(Gen.Byte, Gen.Byte, Gen.UShort, Gen.UShort, Gen.UShort).Select((t, r, v, i, l) => new ControlRequest(t, r, v, i, l)),
            Gen.Byte.Array[3]);

    [Fact]
    public void TryParse_NeverThrows_AndSucceedsExactlyForWholeRecordsThatFit()
    {
        Gen.Select(s_arbitraryBytes, Gen.Int[0, 10]).Sample((data, capacity) =>
        {
            var destination = new FunctionFsEvent[capacity];

            bool parsed = FunctionFsEventParser.TryParse(data, destination, out int count);

            bool fits = data.Length % FunctionFsEvent.Size == 0 && data.Length / FunctionFsEvent.Size <= capacity;
            Assert.Equal(fits, parsed);
            Assert.Equal(fits ? data.Length / FunctionFsEvent.Size : 0, count);
            for (int k = 0; k < count; k++)
            {
                ReadOnlySpan<byte> record = data.AsSpan(k * FunctionFsEvent.Size, FunctionFsEvent.Size);
                Assert.Equal(record[8], (byte)destination[k].Type);
                Assert.Equal(ControlRequest.Read(record), destination[k].Setup);
                Assert.Equal(record[8] <= 6, destination[k].IsKnown);
                Assert.NotNull(destination[k].ToString());
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Parse_ThrowsOnlyFormatException_AndOnlyForAPartialRecord()
    {
        s_arbitraryBytes.Sample(data =>
        {
            if (data.Length % FunctionFsEvent.Size != 0)
            {
                Assert.Throws<FormatException>(() => FunctionFsEventParser.Parse(data));
            }
            else
            {
                Assert.Equal(data.Length / FunctionFsEvent.Size, FunctionFsEventParser.Parse(data).Length);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void BytesOutsideTheGivenSpan_NeverChangeTheResult()
    {
        // The read sits in the middle of a larger buffer; flipping everything around it must not matter.
        Gen.Select(s_arbitraryBytes, Gen.Byte.Array[0, 24], Gen.Byte.Array[0, 24]).Sample((data, before, after) =>
        {
            byte[] buffer = [.. before, .. data, .. after];
            var first = new FunctionFsEvent[FunctionFsEvent.MaxPerRead * 3];
            bool parsedFirst = FunctionFsEventParser.TryParse(buffer.AsSpan(before.Length, data.Length), first, out int countFirst);

            for (int i = 0; i < buffer.Length; i++)
            {
                if (i < before.Length || i >= before.Length + data.Length)
                {
                    buffer[i] ^= 0xFF;
                }
            }

            var second = new FunctionFsEvent[first.Length];
            bool parsedSecond = FunctionFsEventParser.TryParse(buffer.AsSpan(before.Length, data.Length), second, out int countSecond);

            Assert.Equal(parsedFirst, parsedSecond);
            Assert.Equal(first.AsSpan(0, countFirst).ToArray(), second.AsSpan(0, countSecond).ToArray());
        }, iter: Iterations);
    }

    [Fact]
    public void WellFormedEvents_RoundTripThroughTheKernelLayout_WithPaddingIgnored()
    {
        s_event.Array[0, FunctionFsEvent.MaxPerRead].Sample(events =>
        {
            // struct usb_functionfs_event: usb_ctrlrequest (8 bytes, little-endian), u8 type, u8 _pad[3].
            var data = new byte[events.Length * FunctionFsEvent.Size];
            for (int k = 0; k < events.Length; k++)
            {
                var (type, setup, padding) = events[k];
                Span<byte> record = data.AsSpan(k * FunctionFsEvent.Size, FunctionFsEvent.Size);
                record[0] = setup.RequestType;
                record[1] = setup.Request;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(record[2..], setup.Value);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(record[4..], setup.Index);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(record[6..], setup.Length);
                record[8] = type;
                padding.CopyTo(record[9..]);
            }

            FunctionFsEvent[] parsed = FunctionFsEventParser.Parse(data);

            Assert.Equal(events.Select(e => new FunctionFsEvent((FunctionFsEventType)e.Type, e.Setup)), parsed);
        }, iter: Iterations);
    }
}
