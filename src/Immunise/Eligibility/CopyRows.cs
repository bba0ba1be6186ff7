using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Immunise.Eligibility;

/// <summary>
/// The rows of a PostgreSQL binary <c>COPY … TO STDOUT</c> read straight from its bytes (Npgsql's raw copy stream), for
/// the whole-register count. The format is a fixed header, then per row a 16-bit field count and per field a 32-bit
/// length (-1 for NULL) followed by the value in the type's binary form; a field count of -1 ends it. A row is read into
/// the buffer whole, so its fields can be taken in any order as spans, without a string or an allocation each:
/// through <c>NpgsqlBinaryExporter</c>, whose every field read goes through an asynchronous state machine and a converter,
/// the same rows cost about twice as much of the client.
/// </summary>
internal sealed class CopyRows
{
    private const int MaxFields = 32;

    /// <summary>The header's signature: <c>PGCOPY\n\377\r\n\0</c>.</summary>
    private static readonly byte[] s_signature = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];
    private static readonly int s_postgresEpoch = new DateOnly(2000, 1, 1).DayNumber;
    private readonly int[] _fields = new int[MaxFields];
    private byte[] _buffer = new byte[64 * 1024];
    private Stream _stream = Stream.Null;
    private int _start;
    private int _end;
    private int _rowLength;

    /// <summary>Starts reading a new copy's bytes: checks and skips its header.</summary>
    public async ValueTask BeginAsync(Stream stream, CancellationToken cancellationToken)
    {
        _stream = stream;
        _start = _end = _rowLength = 0;
        if (!await FillAsync(s_signature.Length + 8, cancellationToken) || !_buffer.AsSpan(0, s_signature.Length).SequenceEqual(s_signature))
        {
            throw new InvalidDataException("Not a binary COPY: the header is missing.");
        }

        var header = s_signature.Length + 8 + BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(s_signature.Length + 4));
        if (!await FillAsync(header, cancellationToken))
        {
            throw new InvalidDataException("A binary COPY ended inside its header.");
        }

        _start = header;
    }

    /// <summary>Moves to the next row, read whole; false at the end of the copy. Waits only when the row is not yet buffered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask<bool> NextAsync(CancellationToken cancellationToken)
    {
        _start += _rowLength;
        _rowLength = 0;
        var length = Buffered(out _);
        return length != 0 ? new ValueTask<bool>(Found(length)) : NextAfterReadingAsync(cancellationToken);
    }

    private async ValueTask<bool> NextAfterReadingAsync(CancellationToken cancellationToken)
    {
        int length;
        while ((length = Buffered(out var needed)) == 0)
        {
            var read = await _stream.ReadAsync(Room(needed), cancellationToken);
            if (read == 0)
            {
                // The stream ended: cleanly between rows, or inside one.
                return _end > _start ? throw new InvalidDataException("A binary COPY ended inside a row.") : false;
            }

            _end += read;
        }

        return Found(length);
    }

    /// <summary>
    /// The length of the row at the buffer's start when all of it is buffered (its fields' offsets noted), -1 for the copy's
    /// trailer, or 0 when <paramref name="needed"/> bytes from the row's start must be buffered to say more.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Buffered(out int needed)
    {
        var available = _end - _start;
        needed = 2;
        if (available < needed)
        {
            return 0;
        }

        var count = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_start));
        if (count < 0)
        {
            return -1;
        }

        if (count > MaxFields)
        {
            throw new InvalidDataException($"A binary COPY row has {count} fields; at most {MaxFields} are read.");
        }

        // Offsets are from the row's start (which a refill may move): each field's is that of its length.
        for (var field = 0; field < count; field++)
        {
            if (available < needed + 4)
            {
                needed += 4;
                return 0;
            }

            _fields[field] = needed;
            needed += 4 + Math.Max(0, BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + needed)));
        }

        return available < needed ? 0 : needed;
    }

    private bool Found(int length)
    {
        _rowLength = length < 0 ? 2 : length;
        return length > 0;
    }

    public bool IsNull(int field) => Length(field) < 0;

    /// <summary>A field's bytes (empty when NULL).</summary>
    public ReadOnlySpan<byte> Bytes(int field) => _buffer.AsSpan(_start + _fields[field] + 4, Math.Max(0, Length(field)));

    public string? Text(int field) => IsNull(field) ? null : Encoding.UTF8.GetString(Bytes(field));

    public int Int32(int field) => BinaryPrimitives.ReadInt32BigEndian(Bytes(field));

    public bool Boolean(int field) => Bytes(field)[0] != 0;

    /// <summary>A <c>date</c> field as the number <c>yyyymmdd</c>, 0 when NULL.</summary>
    public int Date(int field)
    {
        if (IsNull(field))
        {
            return 0;
        }

        var days = Int32(field);
        if (days is int.MaxValue or int.MinValue)
        {
            throw new InvalidDataException("A register date is infinite.");
        }

        return CountPlan.ToNumber(DateOnly.FromDayNumber(s_postgresEpoch + days));
    }

    private int Length(int field) => BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + _fields[field]));

    /// <summary>Reads until the buffer holds at least this many bytes from the row's start; false when the copy ends first.</summary>
    private async ValueTask<bool> FillAsync(int bytes, CancellationToken cancellationToken)
    {
        while (_end - _start < bytes)
        {
            var read = await _stream.ReadAsync(Room(bytes), cancellationToken);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    /// <summary>
    /// The free part of the buffer after what is buffered, with room for <paramref name="needed"/> bytes from the row's
    /// start: what is left of the row moves to the front when it would not fit, and the buffer grows for a longer row.
    /// </summary>
    private Memory<byte> Room(int needed)
    {
        if (_buffer.Length - _start < needed)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
            if (needed > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
            }
        }

        return _buffer.AsMemory(_end);
    }
}
