using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Immunise.Storage;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Where the data lives. Bound from the <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary><c>Sqlite</c> (the default: a file under <c>./data</c>) or <c>Postgres</c>.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>An ADO.NET connection string for the provider.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/immunise.db";
}

/// <summary>
/// The one database the service and CLI share. Opens connections for either provider and carries the
/// few places where the SQL dialects differ (<see cref="Dialect"/>).
/// </summary>
public sealed class Database : IAsyncDisposable
{
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> s_configured = new();
    private static readonly object s_configuredMarker = new();
    private readonly NpgsqlDataSource? _postgres;
    private readonly NpgsqlDataSource? _postgresSessions;
    private readonly NpgsqlDataSource? _postgresKeyed;
    private readonly string _sqliteConnectionString = string.Empty;
    private readonly SqliteReads? _sqliteReads;
    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);
    private SqliteWriterSession? _writerSession;

    static Database() => DapperTypes.Register();

    public Database(DatabaseOptions options)
    {
        Provider = options.Provider;
        Dialect = Dialect.For(Provider);
        if (Provider == DatabaseProvider.Postgres)
        {
            // Ordinary work is multiplexed: many requests' statements share a few connections, pipelined, and hot statements
            // are prepared automatically. Work that keeps state in the session (advisory locks, temporary tables, COPY, long
            // streamed reads) gets a connection of its own from a second, plain pool (OpenSessionAsync).
            var shared = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            if (!HasKey(options.ConnectionString, "Multiplexing") && shared.Pooling)
            {
                shared.Multiplexing = true;
            }

            if (!HasKey(options.ConnectionString, "Max Auto Prepare"))
            {
                shared.MaxAutoPrepare = 32;
            }

            _postgres = new NpgsqlDataSourceBuilder(shared.ConnectionString).Build();

            // Reads by a list of keys (ReadBatcher) get a pool of their own whose sessions always use the generic plan. Left
            // to choose, PostgreSQL planned `nhs_number = ANY(@keys)` afresh on 31,184 of 38,696 executions: a plan for 4
            // keys looks cheaper than the generic one (which assumes 10), though both are the same index scan.
            var keyed = new NpgsqlConnectionStringBuilder(shared.ConnectionString);
            keyed.Options = $"{keyed.Options} -c plan_cache_mode=force_generic_plan".Trim();
            _postgresKeyed = new NpgsqlDataSourceBuilder(keyed.ConnectionString).Build();
            var sessions = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Multiplexing = false };
            _postgresSessions = new NpgsqlDataSourceBuilder(sessions.ConnectionString).Build();
        }
        else
        {
            var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
            {
                ForeignKeys = true,
                Pooling = true,
            };
            _sqliteConnectionString = builder.ToString();
            if (builder.Mode != SqliteOpenMode.Memory && !builder.DataSource.StartsWith(':') && builder.DataSource.Length > 0)
            {
                SqliteFile = Path.GetFullPath(builder.DataSource);
                if (Path.GetDirectoryName(SqliteFile) is { } directory)
                {
                    Directory.CreateDirectory(directory);
                }

                UseWriteAheadLog(_sqliteConnectionString);
            }

            _sqliteReads = new SqliteReads(() =>
            {
                var connection = new SqliteConnection(_sqliteConnectionString) { DefaultTimeout = 30 };
                connection.Open();
                using var pragma = connection.CreateCommand();
                // A 32 MB page cache per kept reader (SQLite's default is 2 MB): random people's index and table pages stay in
                // memory instead of being read again from the OS with a pread each. A cache lasts until the database next
                // changes, which since the audit journal is every 200 ms under load rather than every few milliseconds. FHIR
                // history on a 200,000-person register, warmed: 242 / 243 µs of CPU per search with 2 MB, 223 / 215 µs with 32 MB.
                pragma.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA cache_size = -32768;";
                pragma.ExecuteNonQuery();
                return connection;
            });
        }
    }

    public DatabaseProvider Provider { get; }

    /// <summary>The full path of the SQLite database file; null on PostgreSQL and for an in-memory SQLite database.</summary>
    public string? SqliteFile { get; }

    public Dialect Dialect { get; }

    /// <summary>
    /// Opens a connection for ordinary statements and transactions. On PostgreSQL it is multiplexed: statements outside a
    /// transaction may run on different physical connections, so keep no session state on it (use <see cref="OpenSessionAsync"/>).
    /// </summary>
    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_sqliteConnectionString) { DefaultTimeout = 30 };
        await connection.OpenAsync(cancellationToken);
        if (connection.Handle is { } handle && !s_configured.TryGetValue(handle, out _))
        {
            // Once per physical connection (the pool hands the same one out again): with WAL, NORMAL loses no committed data
            // on a process crash (only, on power loss, the last commits); busy_timeout makes SQLite itself wait for the write
            // lock in short steps, rather than the driver's coarse retries. The log is checkpointed every 10,000 pages (40 MB)
            // instead of SQLite's 1,000: audited reads append small batches all the time, and each checkpoint copies every
            // page written since the last one and syncs the file, so a page changed by many batches (an index's leaf) is copied
            // and synced once per 10,000 pages, not ten times. Measured on a copy of the register's audit table (16-line
            // batches): about 20 % less CPU per audit line.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000; PRAGMA wal_autocheckpoint = 10000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            s_configured.AddOrUpdate(handle, s_configuredMarker);
        }

        return connection;
    }

    /// <summary>
    /// Runs one read with a statement that stays prepared: on SQLite, connections kept open by <see cref="SqliteReads"/> each
    /// hold their statements prepared (the driver otherwise parses the SQL on every call); on PostgreSQL the multiplexed
    /// pool prepares hot statements itself. <paramref name="bind"/> adds the parameters, <paramref name="read"/> reads
    /// the rows.
    /// </summary>
    public async Task<T> ReadAsync<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken = default)
    {
        if (_sqliteReads is { } reads)
        {
            var session = reads.Rent();
            try
            {
                var command = session.Command(sql);
                command.Parameters.Clear();
                bind(command);
                await using var rows = await command.ExecuteReaderAsync(cancellationToken);
                return await read(rows, cancellationToken);
            }
            catch
            {
                session.Dispose(); // not returned: a failed session is not reused
                throw;
            }
            finally
            {
                reads.Return(session);
            }
        }

        await using var connection = await OpenAsync(cancellationToken);
        return await ReadOnAsync(connection, sql, bind, read, cancellationToken);
    }

    /// <summary>
    /// As <see cref="ReadAsync{T}"/>, for a statement that looks rows up by a list of keys (<see cref="ReadBatcher{TKey, TValue}"/>):
    /// on PostgreSQL it runs on connections that always reuse the statement's generic plan, which for such a lookup is the
    /// same index scan whatever the keys.
    /// </summary>
    public async Task<T> ReadByKeysAsync<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken = default)
    {
        if (_postgresKeyed is null)
        {
            return await ReadAsync(sql, bind, read, cancellationToken);
        }

        await using var connection = await _postgresKeyed.OpenConnectionAsync(cancellationToken);
        return await ReadOnAsync(connection, sql, bind, read, cancellationToken);
    }

    /// <summary>
    /// A batcher for reads by key where batching pays (decision 010): on PostgreSQL, where each statement is a round trip; null
    /// on SQLite, whose reads run in this process one at a time.
    /// </summary>
    public ReadBatcher<TKey, TValue>? BatchedReads<TKey, TValue>(Func<TKey[], Task<IReadOnlyDictionary<TKey, TValue>>> read)
        where TKey : notnull
        where TValue : class =>
        Provider == DatabaseProvider.Postgres ? new ReadBatcher<TKey, TValue>(read) : null;

    private static async Task<T> ReadOnAsync<T>(
        DbConnection connection, string sql, Action<DbCommand> bind, Func<DbDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await read(reader, cancellationToken);
    }

    /// <summary>
    /// Opens a connection that is this caller's alone until disposed: for session state (advisory locks, temporary tables),
    /// bulk COPY and long streamed reads. On SQLite every connection is one.
    /// </summary>
    public async ValueTask<DbConnection> OpenSessionAsync(CancellationToken cancellationToken = default) =>
        _postgresSessions is not null ? await _postgresSessions.OpenConnectionAsync(cancellationToken) : await OpenAsync(cancellationToken);

    /// <summary>
    /// On SQLite, waits for this process's turn to write and holds it until disposed: SQLite has one writer, and requests
    /// that queue here take turns at once instead of sleeping in SQLite's busy handler (which backs off in steps of up to
    /// 100 ms). Other processes on the same file still wait in the busy handler. On PostgreSQL it does nothing.
    /// </summary>
    public async ValueTask<WriteTurn> WriteTurnAsync(CancellationToken cancellationToken = default)
    {
        if (Provider != DatabaseProvider.Sqlite)
        {
            return new WriteTurn(this, null);
        }

        await _sqliteWriter.WaitAsync(cancellationToken);
        return new WriteTurn(this, _sqliteWriter);
    }

    /// <summary>
    /// A connection for the holder of the write turn. On SQLite it is the kept writer connection, whose statements stay
    /// prepared from one turn to the next (disposing it ends this use, not the connection); on PostgreSQL an ordinary one.
    /// </summary>
    internal async ValueTask<DbConnection> OpenForTurnAsync(CancellationToken cancellationToken)
    {
        if (Provider != DatabaseProvider.Sqlite)
        {
            return await OpenAsync(cancellationToken);
        }

        if (_writerSession is { IsBroken: true } broken)
        {
            _writerSession = null;
            broken.Dispose();
        }

        _writerSession ??= new SqliteWriterSession((SqliteConnection)await OpenAsync(cancellationToken));
        return new SqliteWriterConnection(_writerSession);
    }

    private static bool HasKey(string connectionString, string key) =>
        connectionString.Replace(" ", "", StringComparison.Ordinal).Contains(key.Replace(" ", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);

    /// <summary>WAL (readers run beside the one writer) is a property of the file: set once, not on every open.</summary>
    private static void UseWriteAheadLog(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode = WAL";
        pragma.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        _sqliteReads?.Dispose();
        if (await _sqliteWriter.WaitAsync(TimeSpan.FromSeconds(30)))
        {
            _writerSession?.Dispose();
            _writerSession = null;
            _sqliteWriter.Release();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        if (_postgresSessions is not null)
        {
            await _postgresSessions.DisposeAsync();
        }

        if (_postgresKeyed is not null)
        {
            await _postgresKeyed.DisposeAsync();
        }
    }
}

/// <summary>This process's turn to write to SQLite (<see cref="Database.WriteTurnAsync"/>); disposing ends it.</summary>
public readonly struct WriteTurn(Database database, SemaphoreSlim? turn) : IDisposable
{
    /// <summary>The connection to write through during this turn (see <see cref="Database.OpenForTurnAsync"/>).</summary>
    public ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken = default) => database.OpenForTurnAsync(cancellationToken);

    public void Dispose() => turn?.Release();
}

/// <summary>The few SQL fragments that differ between SQLite and PostgreSQL.</summary>
public sealed record Dialect(DatabaseProvider Provider, string IsDistinctFrom)
{
    public static Dialect For(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Postgres => new Dialect(provider, "IS DISTINCT FROM"),
        _ => new Dialect(provider, "IS NOT"),
    };

    public bool IsPostgres => Provider == DatabaseProvider.Postgres;

    public override string ToString() => Provider.ToString();
}
