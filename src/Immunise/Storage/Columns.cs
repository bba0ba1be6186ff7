using System.Data.Common;
using System.Globalization;

namespace Immunise.Storage;

/// <summary>
/// Typed reads of one column for the hot read paths, which map rows by position instead of through Dapper (no per-call
/// column-name hashing, no boxing through type handlers). The stored forms are those of <see cref="DapperTypes"/>: on
/// SQLite dates are <c>yyyy-MM-dd</c> text, instants fixed-width UTC text and booleans integers; on PostgreSQL they are
/// <c>date</c>, <c>timestamptz</c> and <c>boolean</c>.
/// </summary>
public static class Columns
{
    public static string Text(DbDataReader reader, int ordinal) => reader.GetString(ordinal);

    public static string? TextOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>An integer column read without boxing: SQLite's are 64-bit, PostgreSQL's as declared.</summary>
    public static int Integer(DbDataReader reader, int ordinal)
    {
        var type = reader.GetFieldType(ordinal);
        return type == typeof(long) ? checked((int)reader.GetInt64(ordinal))
            : type == typeof(int) ? reader.GetInt32(ordinal)
            : type == typeof(short) ? reader.GetInt16(ordinal)
            : Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
    }

    public static bool Boolean(DbDataReader reader, int ordinal) => reader.GetFieldType(ordinal) == typeof(bool)
        ? reader.GetBoolean(ordinal)
        : reader.GetInt64(ordinal) != 0;

    public static DateOnly Date(DbDataReader reader, int ordinal)
    {
        if (reader.GetFieldType(ordinal) != typeof(string))
        {
            return reader.GetFieldValue<DateOnly>(ordinal);
        }

        return Storage.Instant.ParseDate(reader.GetString(ordinal));
    }

    public static DateOnly? DateOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Date(reader, ordinal);

    public static DateTimeOffset Instant(DbDataReader reader, int ordinal)
    {
        if (reader.GetFieldType(ordinal) != typeof(string))
        {
            return new DateTimeOffset(DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(ordinal), DateTimeKind.Utc));
        }

        return Storage.Instant.Parse(reader.GetString(ordinal));
    }

    public static DateTimeOffset? InstantOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Instant(reader, ordinal);

    /// <summary>A date parameter: <c>date</c> on PostgreSQL, ISO text on SQLite.</summary>
    public static object DateValue(DbCommand command, DateOnly date) =>
        command is Npgsql.NpgsqlCommand ? date : date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Adds a parameter the same way on both providers (<c>@name</c> in the SQL).</summary>
    public static void Parameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
