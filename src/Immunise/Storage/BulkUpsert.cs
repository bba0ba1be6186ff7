using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace Immunise.Storage;

/// <summary>What a column does in an upsert.</summary>
internal enum BulkRole
{
    /// <summary>The conflict target.</summary>
    Key,

    /// <summary>Updated when it differs; a difference makes the row "updated".</summary>
    Compared,

    /// <summary>Written with every change (updated_at) but never compared.</summary>
    Touched,

    /// <summary>Written only on insert (created_at, status).</summary>
    InsertOnly,
}

/// <summary>One column of a bulk upsert: its name, PostgreSQL wire type, role, and how to read it from a row.</summary>
internal sealed record BulkColumn<T>(string Name, NpgsqlDbType Type, BulkRole Role, Func<T, object?> Value);

/// <summary>
/// Bulk upserts that change nothing when re-run. PostgreSQL: binary COPY into a temporary staging table, then one
/// <c>INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM …</c> per batch. SQLite: prepared statements
/// with reused parameters inside the caller's large transaction.
/// </summary>
internal sealed class BulkUpsert<T>
{
    private readonly string _table;
    private readonly IReadOnlyList<BulkColumn<T>> _columns;
    private readonly string _key;

    public BulkUpsert(string table, IReadOnlyList<BulkColumn<T>> columns)
    {
        _table = table;
        _columns = columns;
        _key = columns.Single(c => c.Role == BulkRole.Key).Name;
    }

    public string Staging => _table + "_staging";

    private string ColumnList => string.Join(", ", _columns.Select(c => c.Name));

    private IEnumerable<BulkColumn<T>> Updated => _columns.Where(c => c.Role is BulkRole.Compared or BulkRole.Touched);

    private IEnumerable<BulkColumn<T>> Compared => _columns.Where(c => c.Role == BulkRole.Compared);

    // ---- PostgreSQL ----

    /// <summary>Creates the session's staging table (once per connection); rows vanish at each commit.</summary>
    public async Task CreateStagingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            SET temp_buffers = '256MB';
            CREATE TEMP TABLE IF NOT EXISTS {Staging} (LIKE {_table}, import_ord integer NOT NULL) ON COMMIT DELETE ROWS;
            """,
            connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Copies rows into the staging table; <c>import_ord</c> is each row's index in <paramref name="rows"/>.</summary>
    public Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<T> rows, CancellationToken cancellationToken) =>
        CopyAsync(connection, rows, $"COPY {Staging} ({ColumnList}, import_ord) FROM STDIN (FORMAT BINARY)", withOrder: true, cancellationToken);

    /// <summary>
    /// Copies rows straight into the table: the fast path while none of the keys can already be there (a first load).
    /// A key that is there after all fails the COPY with a unique violation, and the caller merges that batch instead.
    /// </summary>
    public Task CopyIntoTableAsync(NpgsqlConnection connection, IReadOnlyList<T> rows, CancellationToken cancellationToken) =>
        CopyAsync(connection, rows, $"COPY {_table} ({ColumnList}) FROM STDIN (FORMAT BINARY)", withOrder: false, cancellationToken);

    /// <summary>True when the table has no rows, so a first load can copy straight into it.</summary>
    public async Task<bool> IsEmptyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT NOT EXISTS (SELECT 1 FROM {_table})", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<T> rows, string copy, bool withOrder, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            importer.StartRow();
            foreach (var column in _columns)
            {
                var value = column.Value(row);
                switch (value)
                {
                    case null:
                        importer.WriteNull();
                        break;
                    case string s:
                        importer.Write(s, column.Type);
                        break;
                    case DateOnly d:
                        importer.Write(d, column.Type);
                        break;
                    case DateTimeOffset o:
                        importer.Write(o.ToUniversalTime(), column.Type);
                        break;
                    case bool b:
                        importer.Write(b, column.Type);
                        break;
                    case int n:
                        importer.Write(n, column.Type);
                        break;
                    case short n:
                        importer.Write(n, column.Type);
                        break;
                    case double x:
                        importer.Write(x, column.Type);
                        break;
                    default:
                        importer.Write(value, column.Type);
                        break;
                }
            }

            if (withOrder)
            {
                importer.Write(i, NpgsqlDbType.Integer);
            }
        }

        await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>Merges the staging table into the table; returns how many rows were inserted and how many updated.</summary>
    public async Task<(long Inserted, long Updated)> MergeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var set = string.Join(", ", Updated.Select(c => $"{c.Name} = excluded.{c.Name}"));
        var changed = string.Join(" OR ", Compared.Select(c => $"{_table}.{c.Name} IS DISTINCT FROM excluded.{c.Name}"));
        await using var command = new NpgsqlCommand(
            $"""
            WITH upserted AS (
                INSERT INTO {_table} ({ColumnList}) SELECT {ColumnList} FROM {Staging}
                ON CONFLICT ({_key}) DO UPDATE SET {set} WHERE {changed}
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
            """,
            connection,
            transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    // ---- SQLite ----

    /// <summary>
    /// Prepares the two statements SQLite needs. An SQLite upsert cannot say whether it inserted or updated, so a row is
    /// first inserted (<c>ON CONFLICT DO NOTHING</c>); when it already exists it is updated only where a value differs
    /// (<c>IS NOT</c>). Same effect as the PostgreSQL upsert, and a fresh load costs one statement per row.
    /// </summary>
    public SqliteUpserter PrepareSqlite(SqliteConnection connection) => new(this, connection);

    /// <summary>
    /// Runs the upsert statements through SQLitePCL's raw API on the connection's own handle (so inside its transaction),
    /// binding by position: about 1.5× the rows per second of <see cref="SqliteCommand"/>, whose per-execution work
    /// (binding each parameter by name, a data reader per call) costs more than SQLite's insert itself.
    /// </summary>
    internal sealed class SqliteUpserter : IDisposable
    {
        private readonly BulkUpsert<T> _owner;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _insert;
        private readonly sqlite3_stmt _update;
        private readonly object?[] _values;
        private DateTimeOffset _lastInstant;
        private string _lastInstantText = "";

        public SqliteUpserter(BulkUpsert<T> owner, SqliteConnection connection)
        {
            _owner = owner;
            var columns = owner._columns;
            _values = new object?[columns.Count];
            _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");

            // Parameter ?N is column N-1 in both statements.
            var insert =
                $"INSERT INTO {owner._table} ({owner.ColumnList}) VALUES ({string.Join(", ", columns.Select((_, i) => "?" + (i + 1)))}) " +
                $"ON CONFLICT ({owner._key}) DO NOTHING";
            var index = columns.Select((c, i) => (c, n: i + 1)).ToList();
            var set = string.Join(", ", index.Where(x => x.c.Role is BulkRole.Compared or BulkRole.Touched).Select(x => $"{x.c.Name} = ?{x.n}"));
            var changed = string.Join(" OR ", index.Where(x => x.c.Role == BulkRole.Compared).Select(x => $"{x.c.Name} IS NOT ?{x.n}"));
            var key = index.Single(x => x.c.Role == BulkRole.Key);
            var update = $"UPDATE {owner._table} SET {set} WHERE {key.c.Name} = ?{key.n} AND ({changed})";
            _insert = Prepare(insert);
            _update = Prepare(update);
        }

        public UpsertOutcome Upsert(T row)
        {
            var columns = _owner._columns;
            for (var i = 0; i < columns.Count; i++)
            {
                var value = ToSqlite(columns[i].Value(row));
                _values[i] = value;
                Bind(_insert, i + 1, value);
            }

            if (Step(_insert) == 1)
            {
                return UpsertOutcome.Inserted;
            }

            for (var i = 0; i < _values.Length; i++)
            {
                Bind(_update, i + 1, _values[i]);
            }

            return Step(_update) == 1 ? UpsertOutcome.Updated : UpsertOutcome.Unchanged;
        }

        public (long Inserted, long Updated) UpsertAll(IReadOnlyList<T> rows)
        {
            long inserted = 0, updated = 0;
            foreach (var row in rows)
            {
                switch (Upsert(row))
                {
                    case UpsertOutcome.Inserted:
                        inserted++;
                        break;
                    case UpsertOutcome.Updated:
                        updated++;
                        break;
                }
            }

            return (inserted, updated);
        }

        public void Dispose()
        {
            raw.sqlite3_finalize(_insert);
            raw.sqlite3_finalize(_update);
        }

        private sqlite3_stmt Prepare(string sql)
        {
            return SqliteRaw.Prepare(_db, sql);
        }

        private static void Bind(sqlite3_stmt statement, int index, object? value)
        {
            _ = value switch
            {
                string s => raw.sqlite3_bind_text(statement, index, s),
                long n => raw.sqlite3_bind_int64(statement, index, n),
                double x => raw.sqlite3_bind_double(statement, index, x),
                _ => raw.sqlite3_bind_null(statement, index),
            };
        }

        /// <summary>Runs a statement; returns rows changed. Failures (constraints) throw, as <see cref="SqliteCommand"/> would.</summary>
        private int Step(sqlite3_stmt statement)
        {
            SqliteRaw.Execute(_db, statement);
            return raw.sqlite3_changes(_db);
        }

        private object? ToSqlite(object? value) => value switch
        {
            null => null,
            string s => s,
            DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            DateTimeOffset o => FormatInstant(o),
            bool b => b ? 1L : 0L,
            int n => (long)n,
            short n => (long)n,
            _ => value,
        };

        private string FormatInstant(DateTimeOffset value)
        {
            if (value != _lastInstant || _lastInstantText.Length == 0)
            {
                _lastInstant = value;
                _lastInstantText = Instant.Format(value);
            }

            return _lastInstantText;
        }
    }
}

internal enum UpsertOutcome
{
    Inserted,
    Updated,
    Unchanged,
}

/// <summary>Connection settings for a long bulk write on SQLite: a big page cache and memory temp store, restored afterwards.</summary>
internal static class SqliteBulk
{
    public static async Task EnterAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task LeaveAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT;";
        await command.ExecuteNonQueryAsync();
    }
}
