using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Immunise.Storage;

/// <summary>Recognises a unique-constraint violation on either database, so a race becomes a clear 409, not a 500.</summary>
public static class UniqueViolation
{
    public static bool Is(DbException e) => e switch
    {
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException s => s.SqliteErrorCode == 19 && s.SqliteExtendedErrorCode is 2067 or 1555,
        _ => false,
    };

    /// <summary>The constraint or index named by the violation (no row values).</summary>
    public static string Message(DbException e) => e switch
    {
        PostgresException p => p.ConstraintName ?? "",
        _ => e.Message,
    };
}
