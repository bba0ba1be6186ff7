using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

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
    public async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<T> rows, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY {Staging} ({ColumnList}, import_ord) FROM STDIN (FORMAT BINARY)", cancellationToken);
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

            importer.Write(i, NpgsqlDbType.Integer);
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
    /// first inserted (<c>ON CONFLICT DO NOTHING</c>); when it already exists it is updated only where a value differs.
    /// Same effect as the PostgreSQL upsert, and a fresh load costs one statement per row.
    /// </summary>
    public SqliteUpserter PrepareSqlite(SqliteConnection connection, SqliteTransaction transaction) => new(this, connection, transaction);

    internal sealed class SqliteUpserter : IDisposable
    {
        private readonly BulkUpsert<T> _owner;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _update;
        private readonly SqliteParameter[] _insertParameters;
        private readonly SqliteParameter[] _updateParameters;
        private readonly object?[] _values;
        private DateTimeOffset _lastInstant;
        private string _lastInstantText = "";

        public SqliteUpserter(BulkUpsert<T> owner, SqliteConnection connection, SqliteTransaction transaction)
        {
            _owner = owner;
            var columns = owner._columns;
            _values = new object?[columns.Count];
            _insert = connection.CreateCommand();
            _insert.Transaction = transaction;
            _insert.CommandText =
                $"INSERT INTO {owner._table} ({owner.ColumnList}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))}) " +
                $"ON CONFLICT ({owner._key}) DO NOTHING";
            _insertParameters = columns.Select((_, i) => _insert.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();

            _update = connection.CreateCommand();
            _update.Transaction = transaction;
            var index = columns.Select((c, i) => (c, i)).ToList();
            var set = string.Join(", ", index.Where(x => x.c.Role is BulkRole.Compared or BulkRole.Touched).Select(x => $"{x.c.Name} = $p{x.i}"));
            var changed = string.Join(" OR ", index.Where(x => x.c.Role == BulkRole.Compared).Select(x => $"{x.c.Name} IS NOT $p{x.i}"));
            var key = index.Single(x => x.c.Role == BulkRole.Key);
            _update.CommandText = $"UPDATE {owner._table} SET {set} WHERE {key.c.Name} = $p{key.i} AND ({changed})";
            _updateParameters = columns.Select((_, i) => _update.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();
            _insert.Prepare();
            _update.Prepare();
        }

        public UpsertOutcome Upsert(T row)
        {
            var columns = _owner._columns;
            for (var i = 0; i < columns.Count; i++)
            {
                var value = ToSqlite(columns[i].Value(row));
                _values[i] = value;
                _insertParameters[i].Value = value;
            }

            if (_insert.ExecuteNonQuery() == 1)
            {
                return UpsertOutcome.Inserted;
            }

            for (var i = 0; i < _values.Length; i++)
            {
                _updateParameters[i].Value = _values[i];
            }

            return _update.ExecuteNonQuery() == 1 ? UpsertOutcome.Updated : UpsertOutcome.Unchanged;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _update.Dispose();
        }

        private object ToSqlite(object? value) => value switch
        {
            null => DBNull.Value,
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
