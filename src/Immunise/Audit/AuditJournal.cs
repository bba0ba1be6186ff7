using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Immunise.Audit;

/// <summary>One audit line as stored: the entry's fields, flattened, with the instant it was written.</summary>
internal readonly record struct AuditLine(
    DateTimeOffset At,
    string ActorType,
    string ActorId,
    string Action,
    string? NhsNumber,
    string? ResourceType,
    string? ResourceId,
    string? Purpose,
    string? CorrelationId)
{
    public static AuditLine From(AuditEntry entry, DateTimeOffset at) => new(
        at, entry.Actor.Type, entry.Actor.Id, entry.Action, entry.NhsNumber?.Value, entry.ResourceType, entry.ResourceId,
        Truncate(entry.Purpose, 200), Truncate(entry.CorrelationId, 100));

    private static string? Truncate(string? value, int length) =>
        value is null ? null : value.Length <= length ? value : value[..length];
}

/// <summary>
/// This process's journal of audit lines that are not yet in the audit table (SQLite; see decision 009). A read's line is
/// appended to the file before the read is answered, with one <c>write</c> into the operating system's cache: from then on
/// it survives the process crashing, which is what a commit at SQLite's <c>synchronous = NORMAL</c> promises too. The audit
/// log moves the lines into <c>audit_events</c> in large batches and records in <c>audit_journals</c>, in the same
/// transaction, how far into the file it has moved them; a journal left behind by a process that died is replayed from
/// there, once, by the next process to start.
/// <para>
/// The owner holds its file open with <see cref="FileShare.None"/>, which on Linux is an exclusive <c>flock</c> that the
/// kernel drops when the process ends: another process can claim a journal only once its owner is gone.
/// </para>
/// <para>
/// A record is its body's length (4 bytes), the body, and an FNV-1a checksum of the body (4 bytes). The body is the instant
/// (UTC ticks, 8 bytes) and the eight text fields, each a length (4 bytes, -1 for none) and its UTF-8 bytes. Reading stops
/// at the first record that is incomplete or does not match its checksum.
/// </para>
/// </summary>
internal sealed class AuditJournal : IDisposable
{
    public const string Extension = ".journal";

    private readonly object _gate = new();
    private readonly string _directory;
    private SafeFileHandle? _file;
    private string _name;
    private long _length;
    private List<AuditLine> _pending = [];
    private long _appended;
    private bool _sealed;

    private AuditJournal(string directory, SafeFileHandle file, string name)
    {
        _directory = directory;
        _file = file;
        _name = name;
    }

    /// <summary>The folder for a SQLite database file's journals: beside it, as SQLite's own <c>-wal</c> file is.</summary>
    public static string DirectoryFor(string databaseFile) => databaseFile + ".audit";

    public string Directory => _directory;

    /// <summary>Starts a new journal file of this process's own in <paramref name="directory"/>.</summary>
    public static AuditJournal Create(string directory)
    {
        var (file, name) = NewFile(directory);
        return new AuditJournal(directory, file, name);
    }

    /// <summary>Lines appended since the journal was created (a running count, to tell when a flush is done).</summary>
    public long Appended
    {
        get
        {
            lock (_gate)
            {
                return _appended;
            }
        }
    }

    /// <summary>Writes a line to the file; returns how many lines now wait to be moved into the table.</summary>
    /// <exception cref="IOException">The file could not be written: the line is not recorded, and the caller must not go on.</exception>
    public int Append(in AuditLine line)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxSize(line));
        try
        {
            var size = Encode(line, buffer);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_file is null || _sealed, this);
                RandomAccess.Write(_file, buffer.AsSpan(0, size), _length);
                _length += size;
                _pending.Add(line);
                _appended++;
                return _pending.Count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Takes the lines waiting to be moved, with where the file ends after them. When the file has grown past
    /// <paramref name="rotateAt"/> bytes, later lines go to a new file, and the old one is handed over (still locked) to be
    /// deleted once its lines are committed.
    /// </summary>
    public Taken Take(long rotateAt)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_file is null, this);
            Retired? retired = null;
            if (_length >= rotateAt)
            {
                // The new file first: if it cannot be made, nothing has changed and the old one carries on.
                var (file, name) = NewFile(_directory);
                retired = new Retired(_name, Path.Combine(_directory, _name), _file);
                (_file, _name, _length) = (file, name, 0);
            }

            var taken = new Taken(_pending, _name, _length, _appended, retired);
            _pending = [];
            return taken;
        }
    }

    /// <summary>Refuses further lines (shutting down): whatever is taken after this is all the file will ever hold.</summary>
    public void Seal()
    {
        lock (_gate)
        {
            _sealed = true;
        }
    }

    /// <summary>The journal files in a folder, by name.</summary>
    public static IReadOnlyList<string> Files(string directory) =>
        System.IO.Directory.Exists(directory)
            ? System.IO.Directory.EnumerateFiles(directory, "*" + Extension).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    public bool IsOwn(string name)
    {
        lock (_gate)
        {
            return name == _name;
        }
    }

    /// <summary>Opens another process's journal if that process is gone (nobody holds its lock); null while it lives.</summary>
    public static SafeFileHandle? TryClaim(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null; // locked by its owner, or already gone
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads the whole records from <paramref name="from"/> on; <paramref name="end"/> is where the last one ends.</summary>
    public static List<AuditLine> Read(SafeFileHandle file, long from, out long end)
    {
        var length = RandomAccess.GetLength(file);
        var lines = new List<AuditLine>();
        end = from;
        if (length <= from)
        {
            return lines;
        }

        var bytes = new byte[checked((int)(length - from))];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(file, bytes.AsSpan(read), from + read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        var position = 0;
        while (TryDecode(bytes.AsSpan(position, read - position), out var line, out var consumed))
        {
            lines.Add(line);
            position += consumed;
        }

        end = from + position;
        return lines;
    }

    /// <summary>Closes this process's file; with <paramref name="delete"/>, removes it (every line in it is committed).</summary>
    public void Close(bool delete)
    {
        lock (_gate)
        {
            if (_file is null)
            {
                return;
            }

            if (delete)
            {
                File.Delete(Path.Combine(_directory, _name));
            }

            _file.Dispose();
            _file = null;
        }
    }

    public void Dispose() => Close(delete: false);

    internal static int Encode(in AuditLine line, Span<byte> buffer)
    {
        var position = 4;
        BinaryPrimitives.WriteInt64LittleEndian(buffer[position..], line.At.UtcTicks);
        position += 8;
        position = WriteText(buffer, position, line.ActorType);
        position = WriteText(buffer, position, line.ActorId);
        position = WriteText(buffer, position, line.Action);
        position = WriteText(buffer, position, line.NhsNumber);
        position = WriteText(buffer, position, line.ResourceType);
        position = WriteText(buffer, position, line.ResourceId);
        position = WriteText(buffer, position, line.Purpose);
        position = WriteText(buffer, position, line.CorrelationId);
        BinaryPrimitives.WriteInt32LittleEndian(buffer, position - 4);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[position..], Checksum(buffer[4..position]));
        return position + 4;
    }

    internal static bool TryDecode(ReadOnlySpan<byte> bytes, out AuditLine line, out int consumed)
    {
        line = default;
        consumed = 0;
        if (bytes.Length < 8)
        {
            return false;
        }

        var size = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (size < 8 || size > bytes.Length - 8)
        {
            return false;
        }

        var body = bytes.Slice(4, size);
        if (Checksum(body) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 + size)..]))
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64LittleEndian(body);
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        var position = 8;
        var texts = new string?[8];
        for (var i = 0; i < texts.Length; i++)
        {
            if (!TryReadText(body, ref position, out texts[i]))
            {
                return false;
            }
        }

        if (position != body.Length || texts[0] is null || texts[1] is null || texts[2] is null)
        {
            return false;
        }

        line = new AuditLine(new DateTimeOffset(ticks, TimeSpan.Zero), texts[0]!, texts[1]!, texts[2]!, texts[3], texts[4], texts[5], texts[6], texts[7]);
        consumed = size + 8;
        return true;
    }

    private static (SafeFileHandle File, string Name) NewFile(string directory)
    {
        var name = $"{Environment.ProcessId}-{Guid.NewGuid():N}{Extension}";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                System.IO.Directory.CreateDirectory(directory);
                return (File.OpenHandle(Path.Combine(directory, name), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None), name);
            }
            catch (DirectoryNotFoundException) when (attempt < 5)
            {
                // Another process (or audit log) removed the folder as it shut down, between our making it and our file.
            }
        }
    }

    private static int MaxSize(in AuditLine line) =>
        4 + 8 + (8 * 4) + 4 + Utf8(line.ActorType) + Utf8(line.ActorId) + Utf8(line.Action) + Utf8(line.NhsNumber)
        + Utf8(line.ResourceType) + Utf8(line.ResourceId) + Utf8(line.Purpose) + Utf8(line.CorrelationId);

    private static int Utf8(string? text) => text is null ? 0 : Encoding.UTF8.GetMaxByteCount(text.Length);

    private static int WriteText(Span<byte> buffer, int position, string? text)
    {
        if (text is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer[position..], -1);
            return position + 4;
        }

        var written = Encoding.UTF8.GetBytes(text, buffer[(position + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[position..], written);
        return position + 4 + written;
    }

    private static bool TryReadText(ReadOnlySpan<byte> body, ref int position, out string? text)
    {
        text = null;
        if (position + 4 > body.Length)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(body[position..]);
        position += 4;
        if (length == -1)
        {
            return true;
        }

        if (length < 0 || position + length > body.Length)
        {
            return false;
        }

        text = Encoding.UTF8.GetString(body.Slice(position, length));
        position += length;
        return true;
    }

    /// <summary>FNV-1a, 32 bits: enough to tell a record cut short or overwritten from a whole one.</summary>
    private static uint Checksum(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    /// <summary>Lines taken to be moved into the table, and where the current file (after any rotation) stood after them.</summary>
    public sealed record Taken(List<AuditLine> Lines, string Name, long LoadedTo, long Appended, Retired? Retired);

    /// <summary>A finished journal file, still open (and locked) until its lines are committed and it is deleted.</summary>
    public sealed record Retired(string Name, string Path, SafeFileHandle File);
}
