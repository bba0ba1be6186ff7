using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Immunise.Storage;

/// <summary>
/// The few calls the hot SQLite paths (bulk upserts, whole-register scans, the audit writer) make on SQLitePCL's raw API,
/// binding by position on prepared statements, with failures raised as <see cref="SqliteException"/> as
/// <see cref="SqliteCommand"/> would raise them.
/// </summary>
internal static class SqliteRaw
{
    public static sqlite3_stmt Prepare(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out sqlite3_stmt statement);
        return rc == raw.SQLITE_OK ? statement : throw Failure(db, rc);
    }

    /// <summary>Runs a statement that returns no rows and resets it for the next run; throws unless it completed.</summary>
    public static void Execute(sqlite3 db, sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE)
        {
            throw Failure(db, rc);
        }
    }

    /// <summary>Binds a text value, or NULL.</summary>
    public static void BindText(sqlite3_stmt statement, int index, string? value) =>
        _ = value is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_text(statement, index, value);

    /// <summary>The connection's last error as the exception <see cref="SqliteCommand"/> would throw.</summary>
    public static SqliteException Failure(sqlite3 db, int rc) =>
        new(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
}
