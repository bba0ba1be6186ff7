using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Dapper;
using Immunise.People;
using Immunise.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace Immunise.Audit;

/// <summary>Who is acting: an API key, a member of staff, or the system itself.</summary>
public sealed record Actor(string Type, string Id)
{
    public static Actor ApiKey(string name) => new("api-key", name);

    /// <summary>A signed-in member of staff, by their account id (never their name or email).</summary>
    public static Actor Staff(string userId) => new("staff", userId);

    /// <summary>Someone not (yet) signed in: a failed sign-in with an unknown email address.</summary>
    public static Actor Anonymous { get; } = new("anonymous", "-");

    public static Actor System(string component) => new("system", component);
}

/// <summary>One line of the append-only audit trail.</summary>
public sealed record AuditEntry(
    Actor Actor,
    string Action,
    NhsNumber? NhsNumber = null,
    string? ResourceType = null,
    string? ResourceId = null,
    string? Purpose = null,
    string? CorrelationId = null);

public sealed record AuditEvent(
    long Id,
    DateTimeOffset OccurredAt,
    string ActorType,
    string ActorId,
    string Action,
    string? NhsNumber,
    string? ResourceType,
    string? ResourceId,
    string? Purpose,
    string? CorrelationId);

/// <summary>
/// Writes and reads the audit trail. Reads of a person's record are written here, never to logs.
/// <para>
/// <see cref="WriteAsync(AuditEntry, CancellationToken)"/> completes only when the entry is committed, so no answer leaves
/// the service before its audit line is durable. Entries that arrive together are committed together (group commit): one
/// multi-row insert per batch instead of one transaction per read, which is what lets audited reads keep up with load.
/// </para>
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private const string Columns = "occurred_at, actor_type, actor_id, action, nhs_number, resource_type, resource_id, purpose, correlation_id";

    private readonly Database _database;
    private readonly TimeProvider _clock;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly SemaphoreSlim _inFlight;
    private readonly int _maxInFlight;
    private readonly SqliteWriter _sqlite;

    public AuditLog(Database database, TimeProvider clock)
    {
        _database = database;
        _clock = clock;
        // One batch at a time on both databases. SQLite has one writer, so more would only queue for its lock. On PostgreSQL
        // four side by side made batches four times smaller and each one a round trip and a commit: person lookups spent
        // about 290 µs of the service's CPU each with four, 215 µs with one, and answered 25-35 % more a second.
        _maxInFlight = 1;
        _inFlight = new SemaphoreSlim(_maxInFlight, _maxInFlight);
        _sqlite = new SqliteWriter(database);
        _writer = Task.Run(WriteBatchesAsync).ContinueWith(FailWhatIsLeft, TaskScheduler.Default);
    }

    /// <summary>Appends an entry; completes when it is committed (together with whatever else was waiting).</summary>
    public Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        // Completed from a work item of its own (Release), so the waiting request continues there, not on the writer.
        var done = new TaskCompletionSource();
        if (!_queue.Writer.TryWrite(new Pending(entry, _clock.GetUtcNow(), done)))
        {
            throw new ObjectDisposedException(nameof(AuditLog), "The audit log is shut down.");
        }

        return done.Task;
    }

    /// <summary>Writes within a caller's transaction, so the audit line commits with the change it describes.</summary>
    public Task WriteAsync(DbConnection connection, DbTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken = default)
    {
        var (sql, parameters) = Insert([new Pending(entry, _clock.GetUtcNow(), null)], instantsAsText: connection is SqliteConnection or SqliteWriterConnection);
        return connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Stops taking entries and commits those already queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        await _sqlite.DisposeAsync();
        _inFlight.Dispose();
    }

    private async Task WriteBatchesAsync()
    {
        while (await _queue.Reader.WaitToReadAsync())
        {
            // Wait for a free writer first: entries arriving meanwhile join this batch, so batches grow with load.
            await _inFlight.WaitAsync();
            var batch = new List<Pending>(MaxBatch);
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            _ = CommitAsync(batch);
        }

        // Shut down: wait until every batch in flight has committed.
        for (var i = 0; i < _maxInFlight; i++)
        {
            await _inFlight.WaitAsync();
        }
    }

    /// <summary>If the writer ever stops on an error, nothing may wait for it forever: fail what is queued and refuse more.</summary>
    private void FailWhatIsLeft(Task writer)
    {
        if (writer.Exception is not { } error)
        {
            return;
        }

        _queue.Writer.TryComplete(error);
        while (_queue.Reader.TryRead(out var pending))
        {
            pending.Done?.TrySetException(error);
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        try
        {
            if (batch.Count > 0 && _database.Dialect.IsPostgres)
            {
                await PostgresWriter.CommitAsync(_database, batch);
            }
            else if (batch.Count > 0)
            {
                await _sqlite.CommitAsync(batch);
            }

            Release(batch, null);
        }
        catch (Exception e)
        {
            // The callers see the failure (their request fails rather than going unaudited); the writer carries on.
            Release(batch, e);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>
    /// Lets a committed batch's requests go on: one work item per core, each running its share of the waiting requests one
    /// after another. Completing each waiter separately would wake a thread per request, and on a small machine those
    /// wake-ups cost more than the requests' own remaining work.
    /// </summary>
    private static void Release(List<Pending> batch, Exception? error)
    {
        var shares = Math.Clamp(Math.Min(Environment.ProcessorCount, batch.Count), 1, 64);
        var size = (batch.Count + shares - 1) / shares;
        for (var start = 0; start < batch.Count; start += size)
        {
            var share = batch.GetRange(start, Math.Min(size, batch.Count - start));
            ThreadPool.UnsafeQueueUserWorkItem(static state =>
            {
                foreach (var pending in state.Share)
                {
                    if (state.Error is null)
                    {
                        pending.Done?.TrySetResult();
                    }
                    else
                    {
                        pending.Done?.TrySetException(state.Error);
                    }
                }
            }, (Share: share, Error: error), preferLocal: false);
        }
    }

    /// <summary>
    /// A multi-row insert. On SQLite instants are written as <see cref="Instant.Format"/> text, as the group-commit writer
    /// writes them, so every line of the trail sorts and compares by time the same way.
    /// </summary>
    private static (string Sql, DynamicParameters Parameters) Insert(IReadOnlyList<Pending> batch, bool instantsAsText)
    {
        var sql = new StringBuilder($"INSERT INTO audit_events ({Columns}) VALUES ");
        var parameters = new DynamicParameters();
        for (var i = 0; i < batch.Count; i++)
        {
            var (entry, at, _) = batch[i];
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture,
                $"(@at{i}, @actorType{i}, @actorId{i}, @action{i}, @nhs{i}, @resourceType{i}, @resourceId{i}, @purpose{i}, @correlation{i})");
            parameters.Add($"at{i}", instantsAsText ? Instant.Format(at) : at);
            parameters.Add($"actorType{i}", entry.Actor.Type);
            parameters.Add($"actorId{i}", entry.Actor.Id);
            parameters.Add($"action{i}", entry.Action);
            parameters.Add($"nhs{i}", entry.NhsNumber?.Value);
            parameters.Add($"resourceType{i}", entry.ResourceType);
            parameters.Add($"resourceId{i}", entry.ResourceId);
            parameters.Add($"purpose{i}", Truncate(entry.Purpose, 200));
            parameters.Add($"correlation{i}", Truncate(entry.CorrelationId, 100));
        }

        return (sql.ToString(), parameters);
    }

    private sealed record Pending(AuditEntry Entry, DateTimeOffset At, TaskCompletionSource? Done);

    /// <summary>
    /// SQLite's one writer: a connection kept open with a prepared one-row insert, run once per entry inside one transaction
    /// per batch (SQLite's fastest way to append; a long multi-row statement would be parsed afresh for every batch). The
    /// insert goes through SQLitePCL's raw API on the connection's own handle, binding by position: a
    /// <see cref="SqliteCommand"/> looks each of the nine parameters up by name and makes a data reader on every execution.
    /// </summary>
    private sealed class SqliteWriter(Database database) : IAsyncDisposable
    {
        private SqliteConnection? _connection;
        private sqlite3_stmt? _insert;

        public async Task CommitAsync(IReadOnlyList<Pending> batch)
        {
            try
            {
                if (_connection is null || _insert is null)
                {
                    _connection = (SqliteConnection)await database.OpenSessionAsync();
                    await using (var pragma = _connection.CreateCommand())
                    {
                        // Each line goes into the per-person index at a random place: a larger page cache (32 MB, not
                        // SQLite's 2 MB) keeps more of that index's pages in memory instead of reading them again.
                        pragma.CommandText = "PRAGMA cache_size = -32768";
                        await pragma.ExecuteNonQueryAsync();
                    }

                    _insert = SqliteRaw.Prepare(_connection.Handle!,
                        $"INSERT INTO audit_events ({Columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
                }

                // Take this process's turn to write, as other SQLite writers do, rather than sleep in the busy handler.
                using var turn = await database.WriteTurnAsync();
                await using var transaction = _connection.BeginTransaction();
                var db = _connection.Handle!;
                var lastAt = default(DateTimeOffset);
                var lastAtText = "";
                foreach (var (entry, at, _) in batch)
                {
                    if (at != lastAt || lastAtText.Length == 0)
                    {
                        (lastAt, lastAtText) = (at, Instant.Format(at));
                    }

                    SqliteRaw.BindText(_insert, 1, lastAtText);
                    SqliteRaw.BindText(_insert, 2, entry.Actor.Type);
                    SqliteRaw.BindText(_insert, 3, entry.Actor.Id);
                    SqliteRaw.BindText(_insert, 4, entry.Action);
                    SqliteRaw.BindText(_insert, 5, entry.NhsNumber?.Value);
                    SqliteRaw.BindText(_insert, 6, entry.ResourceType);
                    SqliteRaw.BindText(_insert, 7, entry.ResourceId);
                    SqliteRaw.BindText(_insert, 8, Truncate(entry.Purpose, 200));
                    SqliteRaw.BindText(_insert, 9, Truncate(entry.CorrelationId, 100));
                    SqliteRaw.Execute(db, _insert);
                }

                await transaction.CommitAsync();
            }
            catch
            {
                await DisposeAsync(); // start afresh on the next batch
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_insert is not null)
            {
                raw.sqlite3_finalize(_insert);
                _insert = null;
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
                _connection = null;
            }
        }
    }

    /// <summary>
    /// PostgreSQL: a batch is one prepared statement whose parameters are nine arrays (<c>INSERT … SELECT FROM unnest(…)</c>),
    /// so every batch, whatever its size, runs the same plan; a multi-row <c>VALUES</c> list would be a new statement to
    /// parse and plan for each batch size. It runs on a plain pooled connection, where the preparation persists.
    /// </summary>
    private static class PostgresWriter
    {
        private const string Sql =
            $"""
            INSERT INTO audit_events ({Columns})
            SELECT * FROM unnest(@at, @actorType, @actorId, @action, @nhs, @resourceType, @resourceId, @purpose, @correlation)
            """;

        public static async Task CommitAsync(Database database, IReadOnlyList<Pending> batch)
        {
            var at = new DateTime[batch.Count];
            var actorType = new string[batch.Count];
            var actorId = new string[batch.Count];
            var action = new string[batch.Count];
            var nhs = new string?[batch.Count];
            var resourceType = new string?[batch.Count];
            var resourceId = new string?[batch.Count];
            var purpose = new string?[batch.Count];
            var correlation = new string?[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var (entry, when, _) = batch[i];
                at[i] = when.UtcDateTime;
                actorType[i] = entry.Actor.Type;
                actorId[i] = entry.Actor.Id;
                action[i] = entry.Action;
                nhs[i] = entry.NhsNumber?.Value;
                resourceType[i] = entry.ResourceType;
                resourceId[i] = entry.ResourceId;
                purpose[i] = Truncate(entry.Purpose, 200);
                correlation[i] = Truncate(entry.CorrelationId, 100);
            }

            await using var connection = (NpgsqlConnection)await database.OpenSessionAsync();
            await using var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.Add(new NpgsqlParameter<DateTime[]>("at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = at });
            Text(command, "actorType", actorType);
            Text(command, "actorId", actorId);
            Text(command, "action", action);
            Text(command, "nhs", nhs);
            Text(command, "resourceType", resourceType);
            Text(command, "resourceId", resourceId);
            Text(command, "purpose", purpose);
            Text(command, "correlation", correlation);
            await command.PrepareAsync();
            await command.ExecuteNonQueryAsync();
        }

        private static void Text(NpgsqlCommand command, string name, string?[] values) =>
            command.Parameters.Add(new NpgsqlParameter<string?[]>(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = values });
    }

    /// <summary>The audit trail for one person, newest first: who looked at or changed their record.</summary>
    public async Task<IReadOnlyList<AuditEvent>> ForPersonAsync(NhsNumber nhsNumber, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            """
            SELECT id, occurred_at, actor_type, actor_id, action, nhs_number, resource_type, resource_id, purpose, correlation_id
            FROM audit_events WHERE nhs_number = @nhs ORDER BY occurred_at DESC, id DESC LIMIT @limit
            """,
            new { nhs = nhsNumber.Value, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToEvent()).ToList();
    }

    private static string? Truncate(string? value, int length) =>
        value is null ? null : value.Length <= length ? value : value[..length];

    /// <summary>An audit line as read by Dapper (a class: with no rows SQLite cannot type a record's constructor).</summary>
    internal sealed class AuditRow
    {
        public long Id { get; set; }
        public DateTimeOffset OccurredAt { get; set; }
        public string ActorType { get; set; } = "";
        public string ActorId { get; set; } = "";
        public string Action { get; set; } = "";
        public string? NhsNumber { get; set; }
        public string? ResourceType { get; set; }
        public string? ResourceId { get; set; }
        public string? Purpose { get; set; }
        public string? CorrelationId { get; set; }

        public AuditEvent ToEvent() => new(Id, OccurredAt, ActorType, ActorId, Action, NhsNumber, ResourceType, ResourceId, Purpose, CorrelationId);
    }
}
