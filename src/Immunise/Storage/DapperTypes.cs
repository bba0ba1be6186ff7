using System.Data;
using System.Globalization;
using Dapper;
using Immunise.People;

namespace Immunise.Storage;

/// <summary>
/// How our value types cross the database boundary: dates as ISO dates, instants always in UTC, NHS numbers as their
/// ten digits. SQLite stores them as text; PostgreSQL as <c>date</c> and <c>timestamptz</c>.
/// </summary>
internal static class DapperTypes
{
    private static int s_registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1)
        {
            return;
        }

        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new DateOnlyHandler());
        SqlMapper.AddTypeHandler(new InstantHandler());
        SqlMapper.AddTypeHandler(new NhsNumberHandler());
    }

    private sealed class DateOnlyHandler : SqlMapper.TypeHandler<DateOnly>
    {
        public override DateOnly Parse(object value) => value switch
        {
            DateOnly d => d,
            DateTime dt => DateOnly.FromDateTime(dt),
            string s => Instant.ParseDate(s),
            _ => throw new DataException($"Cannot read a date from {value.GetType().Name}."),
        };

        public override void SetValue(IDbDataParameter parameter, DateOnly value)
        {
            if (parameter is Npgsql.NpgsqlParameter)
            {
                parameter.Value = value;
            }
            else
            {
                parameter.DbType = DbType.String;
                parameter.Value = value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            }
        }
    }

    private sealed class InstantHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTimeOffset o => o.ToUniversalTime(),
            DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
            string s => Instant.Parse(s),
            _ => throw new DataException($"Cannot read an instant from {value.GetType().Name}."),
        };

        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            if (parameter is Npgsql.NpgsqlParameter)
            {
                parameter.Value = value.ToUniversalTime();
            }
            else
            {
                parameter.DbType = DbType.String;
                parameter.Value = Instant.Format(value);
            }
        }
    }

    private sealed class NhsNumberHandler : SqlMapper.TypeHandler<NhsNumber>
    {
        public override NhsNumber Parse(object value) => NhsNumber.FromStored((string)value);

        public override void SetValue(IDbDataParameter parameter, NhsNumber value)
        {
            parameter.DbType = DbType.String;
            parameter.Value = value.Value;
        }
    }
}

/// <summary>How instants are written as text (SQLite, CSV): UTC, fixed width, so text order is time order.</summary>
public static class Instant
{
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// An instant as stored: the form <see cref="Format"/> writes is read digit by digit (<see cref="TryParseFixed"/>), any
    /// other ISO 8601 text by the general parser, as UTC.
    /// </summary>
    public static DateTimeOffset Parse(string text) => TryParseFixed(text, out var instant)
        ? instant
        : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>A stored <c>yyyy-MM-dd</c> date; anything else is a <see cref="FormatException"/>.</summary>
    public static DateOnly ParseDate(string text) => TryParseDate(text, out var date)
        ? date
        : DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads text in exactly the form <see cref="Format"/> writes (<c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>) digit by digit, without
    /// the general parser's format machinery: SQLite rows carry two or three instants each. Anything else (another width, an
    /// offset, an impossible date) answers false.
    /// </summary>
    public static bool TryParseFixed(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length != 28 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':'
            || text[19] != '.' || text[27] != 'Z'
            || !TryDigits(text[..4], out var year) || !TryDigits(text.Slice(5, 2), out var month) || !TryDigits(text.Slice(8, 2), out var day)
            || !TryDigits(text.Slice(11, 2), out var hour) || !TryDigits(text.Slice(14, 2), out var minute)
            || !TryDigits(text.Slice(17, 2), out var second) || !TryDigits(text.Slice(20, 7), out var fraction)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        value = new DateTimeOffset(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction));
        return true;
    }

    /// <summary>A <c>yyyy-MM-dd</c> date read digit by digit; false for anything else, as <see cref="TryParseFixed"/>.</summary>
    public static bool TryParseDate(ReadOnlySpan<char> text, out DateOnly value)
    {
        value = default;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-'
            || !TryDigits(text[..4], out var year) || !TryDigits(text.Slice(5, 2), out var month) || !TryDigits(text.Slice(8, 2), out var day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        value = new DateOnly(year, month, day);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
