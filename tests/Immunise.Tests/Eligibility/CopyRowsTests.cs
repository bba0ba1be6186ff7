using System.Buffers.Binary;
using System.Text;
using Immunise.Eligibility;

namespace Immunise.Tests.Eligibility;

/// <summary>
/// <see cref="CopyRows"/> reads PostgreSQL's binary COPY format from its bytes. The count tests read it from a real server,
/// in rows far smaller than its buffer; here the bytes arrive a few at a time, and one row is longer than the buffer, so
/// that rows split across reads and the buffer's growth are exercised too.
/// </summary>
public sealed class CopyRowsTests
{
    [Fact]
    public async Task RowsSplitAcrossReads_AndARowLongerThanTheBuffer_ReadWhole()
    {
        var longText = new string('x', 100_000);
        var bytes = Copy(
            [Text("9990000018"), Date(new DateOnly(1950, 3, 1)), null, [1], Text("DIABETES")],
            [Text("9990000026"), Date(new DateOnly(2025, 10, 1)), Date(new DateOnly(2026, 1, 2)), [0], Text(longText)],
            [Text("9990000034"), Date(new DateOnly(1999, 12, 31)), null, [0], null]);
        var rows = new CopyRows();
        await rows.BeginAsync(new Trickle(bytes, 7), CancellationToken.None);

        Assert.True(await rows.NextAsync(CancellationToken.None));
        Assert.Equal("9990000018", Encoding.UTF8.GetString(rows.Bytes(0)));
        Assert.Equal(19500301, rows.Date(1));
        Assert.Equal(0, rows.Date(2));
        Assert.True(rows.IsNull(2));
        Assert.True(rows.Boolean(3));
        Assert.Equal("DIABETES", rows.Text(4));

        Assert.True(await rows.NextAsync(CancellationToken.None));
        Assert.Equal(20251001, rows.Date(1));
        Assert.Equal(20260102, rows.Date(2));
        Assert.False(rows.Boolean(3));
        Assert.Equal(longText, rows.Text(4));

        Assert.True(await rows.NextAsync(CancellationToken.None));
        Assert.Equal("9990000034", rows.Text(0));
        Assert.Equal(19991231, rows.Date(1));
        Assert.Null(rows.Text(4));
        Assert.True(rows.Bytes(4).IsEmpty);

        Assert.False(await rows.NextAsync(CancellationToken.None));
    }

    [Fact]
    public async Task NotABinaryCopy_IsRefused()
    {
        var rows = new CopyRows();
        await Assert.ThrowsAsync<InvalidDataException>(async () => await rows.BeginAsync(new MemoryStream("9990000018\t1950-03-01\n"u8.ToArray()), CancellationToken.None));
    }

    [Fact]
    public async Task ACopyCutShortInsideARow_IsAnError()
    {
        var bytes = Copy([Text("9990000018"), Text("DIABETES")]);
        var rows = new CopyRows();
        await rows.BeginAsync(new MemoryStream(bytes[..^8]), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await rows.NextAsync(CancellationToken.None));
    }

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Date(DateOnly date)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, date.DayNumber - new DateOnly(2000, 1, 1).DayNumber);
        return bytes;
    }

    /// <summary>A binary COPY's bytes: header, rows (a null field is NULL), trailer.</summary>
    private static byte[] Copy(params byte[]?[][] rows)
    {
        var output = new MemoryStream();
        output.Write([0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
        var number = new byte[4];
        foreach (var row in rows)
        {
            BinaryPrimitives.WriteInt16BigEndian(number, (short)row.Length);
            output.Write(number, 0, 2);
            foreach (var field in row)
            {
                BinaryPrimitives.WriteInt32BigEndian(number, field?.Length ?? -1);
                output.Write(number);
                output.Write(field ?? []);
            }
        }

        BinaryPrimitives.WriteInt16BigEndian(number, -1);
        output.Write(number, 0, 2);
        return output.ToArray();
    }

    /// <summary>A stream that hands out at most a few bytes a read, as a socket may.</summary>
    private sealed class Trickle(byte[] bytes, int most) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, most)], cancellationToken);
    }
}
