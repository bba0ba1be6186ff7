namespace Immunise.Common;

/// <summary>Writes CSV rows (RFC 4180): fields with commas, quotes or line breaks are quoted; null is an empty field.</summary>
public static class CsvOut
{
    public static void WriteRow(TextWriter output, IReadOnlyList<string?> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                output.Write(',');
            }

            if (fields[i] is { } value)
            {
                output.Write(RejectsWriter.Quote(value));
            }
        }

        output.Write('\n');
    }
}
