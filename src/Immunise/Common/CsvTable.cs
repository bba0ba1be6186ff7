using System.Globalization;

namespace Immunise.Common;

/// <summary>One record of a CSV file: its first line number and its fields, or why it could not be read.</summary>
public readonly record struct CsvRecord(long Line, string[] Fields, string? Error)
{
    public bool IsMalformed => Error is not null;
}

/// <summary>
/// A CSV file (RFC 4180) with a header row, read record by record: columns in any order, header names matched
/// case-insensitively. Quoted fields may hold commas, doubled quotes and line breaks. A record with a misplaced quote,
/// an unterminated quote or the wrong number of fields comes back with an <see cref="CsvRecord.Error"/> and the read goes
/// on. The field array is reused between records: copy what you keep. (Hand-written rather than CsvHelper: it is small,
/// strict about quoting, and knows each record's first line number.)
/// </summary>
public sealed class CsvTable : IDisposable
{
    private const int MaxLinesPerRecord = 20;
    private readonly TextReader _reader;
    private readonly Dictionary<string, int> _columns;
    private readonly int _width;
    private readonly Stack<string> _pushedBack = new();
    private readonly List<string> _fields = [];
    private readonly System.Text.StringBuilder _field = new();
    private long _line;

    private CsvTable(TextReader reader, Dictionary<string, int> columns, int width, long line)
    {
        _reader = reader;
        _columns = columns;
        _width = width;
        _line = line;
    }

    /// <summary>
    /// Opens a CSV source and reads its header. Fails with <c>missing-columns</c> when a required column is absent (each
    /// required entry may list alternatives separated by <c>|</c>, e.g. <c>pcds|pcd|postcode</c>), or <c>empty-file</c>.
    /// </summary>
    public static Result<CsvTable> Open(TextReader reader, IReadOnlyList<string> required)
    {
        var header = reader.ReadLine();
        if (header is null || header.Trim().Length == 0)
        {
            reader.Dispose();
            return Failure.Invalid("empty-file", "The file is empty: it needs a header row.");
        }

        var names = new List<string>();
        if (!TrySplit(header.TrimStart('\uFEFF'), names, new System.Text.StringBuilder(), out _))
        {
            reader.Dispose();
            return Failure.Invalid("malformed-header", "The header row is not valid CSV.");
        }

        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i].Trim();
            if (name.Length > 0)
            {
                columns.TryAdd(name, i);
            }
        }

        var missing = required.Where(r => !r.Split('|').Any(columns.ContainsKey)).Select(r => r.Split('|')[0]).ToList();
        if (missing.Count > 0)
        {
            reader.Dispose();
            return Failure.Invalid(
                "missing-columns",
                $"The file's header row is missing required column{(missing.Count == 1 ? "" : "s")}: {string.Join(", ", missing)}.");
        }

        return new CsvTable(reader, columns, names.Count, 1);
    }

    public static Result<CsvTable> Open(string path, IReadOnlyList<string> required) =>
        Open(new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16), required);

    /// <summary>The index of the first of the named columns present (alternatives separated by <c>|</c>), or -1.</summary>
    public int IndexOf(string names)
    {
        foreach (var name in names.Split('|'))
        {
            if (_columns.TryGetValue(name, out var index))
            {
                return index;
            }
        }

        return -1;
    }

    public IEnumerable<CsvRecord> Records()
    {
        var fields = new string[_width];
        var lines = new List<string>();
        while (true)
        {
            var first = NextLine();
            if (first is null)
            {
                yield break;
            }

            var line = _line;
            if (first.Length == 0)
            {
                continue; // a blank line
            }

            lines.Clear();
            lines.Add(first);
            var text = first;
            string? error = null;
            while (true)
            {
                if (TrySplit(text, _fields, _field, out var open))
                {
                    break;
                }

                if (!open)
                {
                    error = "The row has a misplaced quote: a field with a quote must be wholly enclosed in quotes.";
                    break;
                }

                // A quoted field runs on to the next line; give up (and re-read those lines) if it never closes.
                var next = lines.Count < MaxLinesPerRecord ? NextLine() : null;
                if (next is null)
                {
                    error = "The row has a quote that is never closed.";
                    for (var i = lines.Count - 1; i >= 1; i--)
                    {
                        PushBack(lines[i]);
                    }

                    break;
                }

                lines.Add(next);
                text = text + "\n" + next;
            }

            if (error is not null)
            {
                yield return new CsvRecord(line, fields, error);
                continue;
            }

            if (_fields.Count != _width)
            {
                yield return new CsvRecord(line, fields, $"The row has {_fields.Count} fields; the header has {_width}.");
                continue;
            }

            _fields.CopyTo(fields);
            yield return new CsvRecord(line, fields, null);
        }
    }

    public void Dispose() => _reader.Dispose();

    private string? NextLine()
    {
        if (_pushedBack.Count > 0)
        {
            _line++;
            return _pushedBack.Pop();
        }

        var text = _reader.ReadLine();
        if (text is not null)
        {
            _line++;
        }

        return text;
    }

    private void PushBack(string text)
    {
        // The caller pushes from the last line to the first, so they come off the stack in file order.
        _pushedBack.Push(text);
        _line--;
    }

    /// <summary>Splits one record. False with <paramref name="open"/> when a quoted field is still open at the end.</summary>
    private static bool TrySplit(string text, List<string> fields, System.Text.StringBuilder field, out bool open)
    {
        fields.Clear();
        open = false;
        var span = text.AsSpan();
        var i = 0;
        while (true)
        {
            if (i < span.Length && span[i] == '"')
            {
                field.Clear();
                i++;
                while (true)
                {
                    var quote = span[i..].IndexOf('"');
                    if (quote < 0)
                    {
                        open = true;
                        return false;
                    }

                    field.Append(span.Slice(i, quote));
                    i += quote + 1;
                    if (i < span.Length && span[i] == '"')
                    {
                        field.Append('"');
                        i++;
                        continue;
                    }

                    break;
                }

                fields.Add(field.ToString());
                if (i == span.Length)
                {
                    return true;
                }

                if (span[i] != ',')
                {
                    return false;
                }

                i++;
            }
            else
            {
                var rest = span[i..];
                var comma = rest.IndexOfAny(',', '"');
                if (comma >= 0 && rest[comma] == '"')
                {
                    return false;
                }

                if (comma < 0)
                {
                    fields.Add(i == 0 ? text : rest.ToString());
                    return true;
                }

                fields.Add(rest[..comma].ToString());
                i += comma + 1;
            }
        }
    }
}

/// <summary>Field helpers shared by the CSV importers.</summary>
internal static class CsvField
{
    public static string? Get(string[] fields, int index)
    {
        if (index < 0)
        {
            return null;
        }

        var value = fields[index].AsSpan().Trim();
        return value.Length == 0 ? null : value.Length == fields[index].Length ? fields[index] : value.ToString();
    }

    public static bool TryParseDate(string value, out DateOnly date) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    public static bool? ParseBoolean(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => false,
        "true" or "1" or "yes" or "y" or "t" => true,
        "false" or "0" or "no" or "n" or "f" => false,
        _ => null,
    };
}
