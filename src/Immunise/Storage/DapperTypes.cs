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
            string s => DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture),
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
            string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
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
}
