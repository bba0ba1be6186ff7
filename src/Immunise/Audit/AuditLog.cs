using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Dapper;
using Immunise.People;
using Immunise.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
/// No answer leaves the service before its audit line is durable. On PostgreSQL <see cref="WriteAsync(AuditEntry, CancellationToken)"/>
/// completes only when the entry is committed; entries that arrive together are committed together (group commit, decision
/// 005). On a SQLite file the line is first appended to this process's journal file (<see cref="AuditJournal"/>), which is
/// as durable as a SQLite commit at <c>synchronous = NORMAL</c>, and is moved into <c>audit_events</c> with the others in one
/// transaction a few times a second (decision 009). Reading the trail through this class (<see cref="ForPersonAsync"/>,
/// <see cref="FlushAsync"/>) first moves every line this process has written.
/// </para>
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private const string Columns = "occurred_at, actor_type, actor_id, action, nhs_number, resource_type, resource_id, purpose, correlation_id";

    /// <summary>How often the journal's lines are moved into the table when nothing asks sooner.</summary>
    internal static readonly TimeSpan LoadInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>A load starts at once when this many lines wait (about a megabyte of journal).</summary>
    private const int LoadAt = 8192;

    private readonly Database _database;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly SemaphoreSlim _inFlight;
    private readonly int _maxInFlight;
    private readonly SqliteWriter _sqlite;
    private readonly PostgresWriter _postgres;
    private readonly AuditJournal? _journal;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushes = [];
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _loaded;

    public AuditLog(Database database, TimeProvider clock, ILogger<AuditLog>? logger = null)
    {
        _database = database;
        _clock = clock;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        // One batch at a time on both databases. SQLite has one writer, so more would only queue for its lock. On PostgreSQL
        // four side by side made batches four times smaller and each one a round trip and a commit: person lookups spent
        // about 290 µs of the service's CPU each with four, 215 µs with one, and answered 25-35 % more a second.
        _maxInFlight = 1;
        _inFlight = new SemaphoreSlim(_maxInFlight, _maxInFlight);
        _sqlite = new SqliteWriter(database);
        _postgres = new PostgresWriter(database);
        if (database.SqliteFile is { } file)
        {
            _journal = AuditJournal.Create(AuditJournal.DirectoryFor(file));
            _queue.Writer.TryComplete();
            _writer = Task.Run(LoadJournalAsync);
        }
        else
        {
            _writer = Task.Run(WriteBatchesAsync).ContinueWith(FailWhatIsLeft, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Appends an entry. The task completes when the line is durable: on SQLite once it is in the journal (at once), on
    /// PostgreSQL once it is committed together with whatever else was waiting.
    /// </summary>
    /// <exception cref="IOException">The journal could not be written; the caller must not answer unaudited.</exception>
    public Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        var line = AuditLine.From(entry, _clock.GetUtcNow());
        if (_journal is not null)
        {
            if (_journal.Append(line) == LoadAt)
            {
                _wake.Release();
            }

            return Task.CompletedTask;
        }

        // Completed from a work item of its own (Release), so the waiting request continues there, not on the writer.
        var done = new TaskCompletionSource();
        if (!_queue.Writer.TryWrite(new Pending(line, done)))
        {
            throw new ObjectDisposedException(nameof(AuditLog), "The audit log is shut down.");
        }

        return done.Task;
    }

    /// <summary>A journal file is retired, and a new one begun, once it is this long (64 MB; smaller in tests).</summary>
    internal long RotateAt { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Completes when every line this process wrote before the call is in <c>audit_events</c> and the journals of processes
    /// that died have been replayed, so that a query of the table sees them. (Lines written by another process on the same
    /// SQLite file arrive within <see cref="LoadInterval"/> or so.)
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_journal is null)
        {
            return; // every write has already waited for its commit
        }

        await _recovered.Task.WaitAsync(cancellationToken);
        var target = _journal.Appended;
        if (Interlocked.Read(ref _loaded) >= target)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushes)
        {
            _flushes.Add((target, done));
        }

        _wake.Release();
        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes within a caller's transaction, so the audit line commits with the change it describes.</summary>
    public Task WriteAsync(DbConnection connection, DbTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken = default)
    {
        var (sql, parameters) = Insert([AuditLine.From(entry, _clock.GetUtcNow())], instantsAsText: connection is SqliteConnection or SqliteWriterConnection);
        return connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Stops taking entries and commits those already queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        await _writer;
        await _sqlite.DisposeAsync();
        await _postgres.DisposeAsync();
        _inFlight.Dispose();
        _stop.Dispose();
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

    /// <summary>
    /// SQLite: replays journals left by processes that died, then moves this process's lines into the table every
    /// <see cref="LoadInterval"/> (sooner when many wait or a reader asks), and once more on shutdown.
    /// </summary>
    private async Task LoadJournalAsync()
    {
        var journal = _journal!;
        var carried = new List<AuditLine>();
        var retired = new List<AuditJournal.Retired>();
        var failures = 0;
        try
        {
            await RecoverAsync(journal);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Audit journals left by earlier processes could not be replayed yet; the next start tries again.");
        }
        finally
        {
            _recovered.TrySetResult();
        }

        while (true)
        {
            var stopping = _stop.IsCancellationRequested;
            if (!stopping)
            {
                try
                {
                    // After a failure, wait longer each time (up to 5 s) rather than retry in a tight loop.
                    var wait = failures == 0 ? LoadInterval : TimeSpan.FromMilliseconds(Math.Min(5000, 200 << Math.Min(failures, 5)));
                    await _wake.WaitAsync(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    stopping = true;
                }
            }

            if (stopping)
            {
                journal.Seal();
            }

            AuditJournal.Taken taken;
            try
            {
                taken = journal.Take(RotateAt);
                carried.AddRange(taken.Lines);
                if (taken.Retired is { } old)
                {
                    retired.Add(old);
                }

                if (carried.Count > 0 || retired.Count > 0)
                {
                    var positions = retired.Select(r => (r.Name, RandomAccess.GetLength(r.File))).Append((taken.Name, taken.LoadedTo)).ToList();
                    await _sqlite.CommitAsync(carried, positions);
                    carried.Clear();
                    await ForgetAsync(retired);
                }

                failures = 0;
                Loaded(taken.Appended, null);
            }
            catch (Exception e) when (!stopping)
            {
                // The lines stay in the journal and in memory; the next round tries again. Readers waiting for them are told.
                failures++;
                _logger.LogError(e, "Audit lines could not be moved from the journal into the audit table ({Waiting} waiting); retrying.", carried.Count);
                Loaded(-1, e);
                continue;
            }
            catch (Exception e)
            {
                // Shutting down: the journal file stays, and the next process to start replays it.
                _logger.LogError(e, "Audit lines could not be moved into the audit table at shutdown; the journal is kept for the next start.");
                Loaded(-1, e);
                journal.Close(delete: false);
                retired.ForEach(r => r.File.Dispose());
                return;
            }

            if (stopping)
            {
                journal.Close(delete: true);
                await DeletePositionsAsync([taken.Name]);
                TryDeleteEmptyDirectory(journal.Directory);
                return;
            }
        }
    }

    /// <summary>Completes the flushes whose lines are now loaded (<paramref name="appended"/> &lt; 0: none), or fails them all.</summary>
    private void Loaded(long appended, Exception? error)
    {
        if (appended >= 0)
        {
            Interlocked.Exchange(ref _loaded, appended);
        }

        lock (_flushes)
        {
            for (var i = _flushes.Count - 1; i >= 0; i--)
            {
                var (target, done) = _flushes[i];
                if (error is not null)
                {
                    done.TrySetException(error);
                }
                else if (target <= appended)
                {
                    done.TrySetResult();
                }
                else
                {
                    continue;
                }

                _flushes.RemoveAt(i);
            }
        }
    }

    /// <summary>Deletes retired journal files whose lines are committed, then their rows.</summary>
    private async Task ForgetAsync(List<AuditJournal.Retired> retired)
    {
        if (retired.Count == 0)
        {
            return;
        }

        var names = retired.ConvertAll(r => r.Name);
        foreach (var old in retired)
        {
            File.Delete(old.Path);
            old.File.Dispose();
        }

        retired.Clear();
        await DeletePositionsAsync(names);
    }

    /// <summary>
    /// Replays, exactly once, the journals of processes that ended before moving all their lines: from the position recorded
    /// with the last lines committed, in one transaction with the new position; then the file and its row go.
    /// </summary>
    private async Task RecoverAsync(AuditJournal journal)
    {
        var directory = journal.Directory;
        foreach (var name in AuditJournal.Files(directory))
        {
            if (journal.IsOwn(name) || AuditJournal.TryClaim(Path.Combine(directory, name)) is not { } file)
            {
                continue;
            }

            using (file)
            {
                long from;
                await using (var connection = await _database.OpenAsync())
                {
                    from = await connection.ExecuteScalarAsync<long?>("SELECT loaded_to FROM audit_journals WHERE name = @name", new { name }) ?? 0;
                }

                var lines = AuditJournal.Read(file, from, out var end);
                if (lines.Count > 0)
                {
                    await _sqlite.CommitAsync(lines, [(name, end)]);
                    _logger.LogWarning("Replayed {Lines} audit lines from a journal left by a process that stopped without moving them.", lines.Count);
                }

                var path = Path.Combine(directory, name);
                if (end < RandomAccess.GetLength(file))
                {
                    // A record cut short or damaged (a power cut, a disk fault): what follows cannot be trusted, but it is
                    // audit data, so it is set aside for an administrator rather than deleted or replayed again.
                    _logger.LogError("An audit journal has {Bytes} bytes that could not be read after {Lines} lines; kept as {File}.",
                        RandomAccess.GetLength(file) - end, lines.Count, name + ".unreadable");
                    File.Move(path, path + ".unreadable");
                }
                else
                {
                    File.Delete(path);
                }
            }

            await DeletePositionsAsync([name]);
        }

        // Rows whose file is gone: the file is deleted only after all its lines are committed, so they are finished.
        List<string> rows;
        await using (var connection = await _database.OpenAsync())
        {
            rows = (await connection.QueryAsync<string>("SELECT name FROM audit_journals")).ToList();
        }

        await DeletePositionsAsync(rows.Where(r => !File.Exists(Path.Combine(directory, r))).ToList());
    }

    /// <summary>
    /// Deletes the rows of journal files that are gone. Not fatal when it fails: a row without its file is finished, and the
    /// next process to start deletes it.
    /// </summary>
    private async Task DeletePositionsAsync(IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            return;
        }

        try
        {
            using var turn = await _database.WriteTurnAsync();
            await using var connection = await turn.OpenAsync();
            foreach (var name in names)
            {
                await connection.ExecuteAsync("DELETE FROM audit_journals WHERE name = @name", new { name });
            }
        }
        catch (Exception e) when (e is DbException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            _logger.LogWarning(e, "Finished audit journals' positions could not be deleted; the next start deletes them.");
        }
    }

    private static void TryDeleteEmptyDirectory(string directory)
    {
        try
        {
            if (!Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
            // another process has just started a journal there
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        try
        {
            if (batch.Count > 0 && _database.Dialect.IsPostgres)
            {
                await _postgres.CommitAsync(batch.ConvertAll(p => p.Line));
            }
            else if (batch.Count > 0)
            {
                await _sqlite.CommitAsync(batch.ConvertAll(p => p.Line), []);
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
    private static (string Sql, DynamicParameters Parameters) Insert(IReadOnlyList<AuditLine> batch, bool instantsAsText)
    {
        var sql = new StringBuilder($"INSERT INTO audit_events ({Columns}) VALUES ");
        var parameters = new DynamicParameters();
        for (var i = 0; i < batch.Count; i++)
        {
            var line = batch[i];
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture,
                $"(@at{i}, @actorType{i}, @actorId{i}, @action{i}, @nhs{i}, @resourceType{i}, @resourceId{i}, @purpose{i}, @correlation{i})");
            parameters.Add($"at{i}", instantsAsText ? Instant.Format(line.At) : line.At);
            parameters.Add($"actorType{i}", line.ActorType);
            parameters.Add($"actorId{i}", line.ActorId);
            parameters.Add($"action{i}", line.Action);
            parameters.Add($"nhs{i}", line.NhsNumber);
            parameters.Add($"resourceType{i}", line.ResourceType);
            parameters.Add($"resourceId{i}", line.ResourceId);
            parameters.Add($"purpose{i}", line.Purpose);
            parameters.Add($"correlation{i}", line.CorrelationId);
        }

        return (sql.ToString(), parameters);
    }

    private sealed record Pending(AuditLine Line, TaskCompletionSource? Done);

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

        /// <summary>Inserts the lines, and records how far into each named journal file they reach, in one transaction.</summary>
        public async Task CommitAsync(IReadOnlyList<AuditLine> batch, IReadOnlyList<(string Name, long LoadedTo)> journals)
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
                foreach (var line in batch)
                {
                    if (line.At != lastAt || lastAtText.Length == 0)
                    {
                        (lastAt, lastAtText) = (line.At, Instant.Format(line.At));
                    }

                    SqliteRaw.BindText(_insert, 1, lastAtText);
                    SqliteRaw.BindText(_insert, 2, line.ActorType);
                    SqliteRaw.BindText(_insert, 3, line.ActorId);
                    SqliteRaw.BindText(_insert, 4, line.Action);
                    SqliteRaw.BindText(_insert, 5, line.NhsNumber);
                    SqliteRaw.BindText(_insert, 6, line.ResourceType);
                    SqliteRaw.BindText(_insert, 7, line.ResourceId);
                    SqliteRaw.BindText(_insert, 8, line.Purpose);
                    SqliteRaw.BindText(_insert, 9, line.CorrelationId);
                    SqliteRaw.Execute(db, _insert);
                }

                foreach (var (name, loadedTo) in journals)
                {
                    await _connection.ExecuteAsync(
                        "INSERT INTO audit_journals (name, loaded_to) VALUES (@name, @loadedTo) ON CONFLICT (name) DO UPDATE SET loaded_to = excluded.loaded_to",
                        new { name, loadedTo }, transaction);
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
    /// parse and plan for each batch size. The writer keeps one connection of its own (from the session pool) with the
    /// statement prepared on it, as the SQLite writer does: a pooled connection given back after every batch was reset
    /// (<c>RESET ALL</c>, <c>UNLISTEN *</c>, … parsed and run by the server) before each next one.
    /// </summary>
    private sealed class PostgresWriter(Database database) : IAsyncDisposable
    {
        private const string Sql =
            $"""
            INSERT INTO audit_events ({Columns})
            SELECT * FROM unnest(@at, @actorType, @actorId, @action, @nhs, @resourceType, @resourceId, @purpose, @correlation)
            """;

        private NpgsqlConnection? _connection;
        private NpgsqlCommand? _insert;

        public async Task CommitAsync(IReadOnlyList<AuditLine> batch)
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
                var line = batch[i];
                at[i] = line.At.UtcDateTime;
                actorType[i] = line.ActorType;
                actorId[i] = line.ActorId;
                action[i] = line.Action;
                nhs[i] = line.NhsNumber;
                resourceType[i] = line.ResourceType;
                resourceId[i] = line.ResourceId;
                purpose[i] = line.Purpose;
                correlation[i] = line.CorrelationId;
            }

            try
            {
                if (_connection is null || _insert is null)
                {
                    _connection = (NpgsqlConnection)await database.OpenSessionAsync();
                    _insert = new NpgsqlCommand(Sql, _connection);
                    _insert.Parameters.Add(new NpgsqlParameter<DateTime[]>("at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz));
                    foreach (var name in (string[])["actorType", "actorId", "action", "nhs", "resourceType", "resourceId", "purpose", "correlation"])
                    {
                        _insert.Parameters.Add(new NpgsqlParameter<string?[]>(name, NpgsqlDbType.Array | NpgsqlDbType.Text));
                    }

                    await _insert.PrepareAsync();
                }

                ((NpgsqlParameter<DateTime[]>)_insert.Parameters[0]).TypedValue = at;
                string?[][] texts = [actorType, actorId, action, nhs, resourceType, resourceId, purpose, correlation];
                for (var i = 0; i < texts.Length; i++)
                {
                    ((NpgsqlParameter<string?[]>)_insert.Parameters[i + 1]).TypedValue = texts[i];
                }

                await _insert.ExecuteNonQueryAsync();
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
                await _insert.DisposeAsync();
                _insert = null;
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
                _connection = null;
            }
        }
    }

    /// <summary>The audit trail for one person, newest first: who looked at or changed their record.</summary>
    public async Task<IReadOnlyList<AuditEvent>> ForPersonAsync(NhsNumber nhsNumber, int limit = 100, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken);
        await using var connection = await _database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            """
            SELECT id, occurred_at, actor_type, actor_id, action, nhs_number, resource_type, resource_id, purpose, correlation_id
            FROM audit_events WHERE nhs_number = @nhs ORDER BY occurred_at DESC, id DESC LIMIT @limit
            """,
            new { nhs = nhsNumber.Value, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToEvent()).ToList();
    }

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
