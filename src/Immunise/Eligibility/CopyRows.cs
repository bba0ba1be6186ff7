using System.Buffers.Binary;
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
    public void Begin(Stream stream)
    {
        _stream = stream;
        _start = _end = _rowLength = 0;
        if (!Ensure(s_signature.Length + 8) || !_buffer.AsSpan(0, s_signature.Length).SequenceEqual(s_signature))
        {
            throw new InvalidDataException("Not a binary COPY: the header is missing.");
        }

        var extension = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(s_signature.Length + 4));
        var header = s_signature.Length + 8 + extension;
        if (!Ensure(header))
        {
            throw new InvalidDataException("A binary COPY ended inside its header.");
        }

        _start = header;
    }

    /// <summary>Moves to the next row, read whole; false at the end of the copy.</summary>
    public bool Next()
    {
        _start += _rowLength;
        _rowLength = 0;
        if (!Ensure(2))
        {
            return false;
        }

        var count = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_start));
        if (count < 0)
        {
            _rowLength = 2;
            return false;
        }

        if (count > MaxFields)
        {
            throw new InvalidDataException($"A binary COPY row has {count} fields; at most {MaxFields} are read.");
        }

        // Offsets are from the row's start (which a refill may move): each field's is that of its length.
        var length = 2;
        for (var field = 0; field < count; field++)
        {
            Need(length + 4);
            _fields[field] = length;
            length += 4 + Math.Max(0, BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + length)));
        }

        Need(length);
        _rowLength = length;
        return true;
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

    private void Need(int bytes)
    {
        if (!Ensure(bytes))
        {
            throw new InvalidDataException("A binary COPY ended inside a row.");
        }
    }

    /// <summary>Makes sure the buffer holds at least this many bytes from the row's start; false when the copy ends first.</summary>
    private bool Ensure(int bytes)
    {
        while (_end - _start < bytes)
        {
            if (_start > 0)
            {
                // Move what is left of the row to the front, and grow the buffer for a row longer than it.
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (bytes > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(bytes, _buffer.Length * 2));
            }

            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }
}
