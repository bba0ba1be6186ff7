using System.Buffers.Binary;
using System.Data.Common;
using System.Security.Cryptography;
using System.Threading.Channels;
using Dapper;
using Immunise.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Immunise.WaitingRoom;

/// <summary>A ticket just given: numbered (or waiting for a scheduled opening), and admitted at once when the room is not active.</summary>
public sealed record IssuedTicket(Ticket Ticket, bool Admitted, DateTimeOffset IssuedAt);

/// <summary>
/// Gives queue tickets. Sequence numbers come from one counter in the database (<c>waiting_room.last_sequence</c>), so the
/// numbers of every node form one strictly increasing sequence in the order in which the requests reached the counter. A
/// node gathers the requests that arrive while its previous batch is being written and numbers them together, in the
/// order they arrived, with one update of the counter and one insert (group issue, like the audit log's group commit): the
/// counter's row lock is then taken once per batch instead of once per ticket. Numbers are never reserved ahead (that would
/// put a later arrival at one node before an earlier one at another).
/// <para>
/// Before a scheduled opening, tickets are not numbered: they get a random draw, and at the opening they are numbered in
/// the order of their draws (<see cref="NumberPendingAsync"/>) before any later arrival is numbered. While the room is not
/// active (automatic mode) the serving number moves with the counter, so each ticket is admitted at once.
/// </para>
/// </summary>
public sealed class IssueTickets : IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private readonly Database _database;
    private readonly TimeProvider _clock;
    private readonly QueueCounters _counters;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private SqliteCommand? _sqliteInsert;
    private SqliteConnection? _sqliteConnection;

    public IssueTickets(Database database, TimeProvider clock, QueueCounters counters)
    {
        _database = database;
        _clock = clock;
        _counters = counters;
        _writer = Task.Run(WriteBatchesAsync);
    }

    /// <summary>Gives a new ticket; completes when it is stored.</summary>
    public Task<IssuedTicket> IssueAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<IssuedTicket>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Request(QueueSigning.NewTicketId(), Draw(), done)))
        {
            throw new ObjectDisposedException(nameof(IssueTickets), "The waiting room is shut down.");
        }

        return cancellationToken.CanBeCanceled ? done.Task.WaitAsync(cancellationToken) : done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        if (_sqliteInsert is not null)
        {
            await _sqliteInsert.DisposeAsync();
        }

        if (_sqliteConnection is not null)
        {
            await _sqliteConnection.DisposeAsync();
        }
    }

    private async Task WriteBatchesAsync()
    {
        var batch = new List<Request>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                var issued = await Deadlocks.RetryAsync(() => WriteAsync(batch));
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(issued[i]);
                }
            }
            catch (Exception e)
            {
                // The callers see the failure (their request fails); the writer carries on with the next batch.
                _counters.Forget();
                foreach (var request in batch)
                {
                    request.Done.TrySetException(e);
                }

                await DropSqliteWriterAsync();
            }
        }
    }

    private async Task<IssuedTicket[]> WriteAsync(List<Request> batch)
    {
        var now = _clock.GetUtcNow();
        var n = batch.Count;
        if (_database.Dialect.IsPostgres && await WritePostgresAsync(batch, now) is { } written)
        {
            return written;
        }

        using var turn = await _database.WriteTurnAsync();
        var connection = _database.Dialect.IsPostgres ? await _database.OpenAsync() : await SqliteConnectionAsync();
        try
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var counted = await CountAsync(connection, transaction, now, n);
            if (counted is null)
            {
                // An opening has come and the tickets taken before it are not numbered yet: they go first.
                await NumberPendingAsync(connection, transaction, _database.Dialect, now);
                counted = await CountAsync(connection, transaction, now, n) ?? throw new InvalidOperationException("The waiting room's counter could not be taken.");
            }

            var beforeOpening = counted.OpensAt > now;
            var first = counted.LastSequence - n + 1;
            var issued = new IssuedTicket[n];
            var sequences = new long[n];
            var admitted = new bool[n];
            for (var i = 0; i < n; i++)
            {
                sequences[i] = beforeOpening ? 0 : first + i;
                admitted[i] = !beforeOpening && sequences[i] <= counted.Serving;
                issued[i] = new IssuedTicket(new Ticket(batch[i].Id, sequences[i], now), admitted[i], now);
            }

            if (connection is NpgsqlConnection postgres)
            {
                await InsertPostgresAsync(postgres, (NpgsqlTransaction)transaction, batch, sequences, admitted, now);
            }
            else
            {
                await InsertSqliteAsync((SqliteTransaction)transaction, batch, sequences, admitted, now);
            }

            await transaction.CommitAsync();
            return issued;
        }
        finally
        {
            if (connection is NpgsqlConnection)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// PostgreSQL: the counter update and the insert as one statement (one round trip; the counter's row lock is held for the
    /// statement and its commit only). Null when an opening's tickets must be numbered first (the counter was not updated):
    /// the batch then takes the transaction path, which numbers them.
    /// </summary>
    private async Task<IssuedTicket[]?> WritePostgresAsync(List<Request> batch, DateTimeOffset now)
    {
        var ids = new string[batch.Count];
        var draws = new long[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            ids[i] = batch[i].Id;
            draws[i] = batch[i].Draw;
        }

        await using var connection = (NpgsqlConnection)await _database.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            WITH counted AS (
                UPDATE waiting_room SET
                    pending = pending + CASE WHEN opens_at > @now THEN @n ELSE 0 END,
                    last_sequence = last_sequence + CASE WHEN opens_at > @now THEN 0 ELSE @n END,
                    serving = CASE WHEN opens_at > @now OR enabled OR auto_until > @now THEN serving ELSE last_sequence + @n END
                WHERE id = 1 AND NOT (pending > 0 AND (opens_at IS NULL OR opens_at <= @now))
                RETURNING last_sequence, serving, opens_at > @now AS before_opening
            )
            INSERT INTO waiting_room_tickets (id, seq, draw, issued_at, last_seen_at, admitted_at)
            SELECT t.id, CASE WHEN c.before_opening THEN NULL ELSE c.last_sequence - @n + t.ord END, t.draw, @now, @now,
                CASE WHEN c.before_opening IS NOT TRUE AND c.last_sequence - @n + t.ord <= c.serving THEN @now END
            FROM counted c CROSS JOIN unnest(@ids, @draws) WITH ORDINALITY AS t(id, draw, ord)
            RETURNING id, seq, admitted_at IS NOT NULL
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<int>("n", NpgsqlDbType.Integer) { TypedValue = batch.Count });
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<long[]>("draws", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = draws });
        var stored = new Dictionary<string, (long Sequence, bool Admitted)>(batch.Count, StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored[reader.GetString(0)] = (reader.IsDBNull(1) ? 0 : reader.GetInt64(1), reader.GetBoolean(2));
            }
        }

        if (stored.Count == 0)
        {
            return null;
        }

        return batch.Select(r => new IssuedTicket(new Ticket(r.Id, stored[r.Id].Sequence, now), stored[r.Id].Admitted, now)).ToArray();
    }

    /// <summary>
    /// Takes <paramref name="n"/> numbers from the counter (or counts them as waiting for the opening), and while the room is
    /// not active moves the serving number with them; null when an opening's tickets must be numbered first.
    /// </summary>
    private static Task<Counted?> CountAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, int n) =>
        connection.QuerySingleOrDefaultAsync<Counted>(new CommandDefinition(
            """
            UPDATE waiting_room SET
                pending = pending + CASE WHEN opens_at > @now THEN @n ELSE 0 END,
                last_sequence = last_sequence + CASE WHEN opens_at > @now THEN 0 ELSE @n END,
                serving = CASE WHEN opens_at > @now OR enabled OR auto_until > @now THEN serving ELSE last_sequence + @n END
            WHERE id = 1 AND NOT (pending > 0 AND (opens_at IS NULL OR opens_at <= @now))
            RETURNING last_sequence, serving, opens_at
            """,
            new { now, n }, transaction));

    /// <summary>
    /// Numbers the tickets taken before a scheduled opening, after every number already given, in the random order of their
    /// draws (made when each was issued, by a cryptographic generator). Runs with the counter's row locked; answers how many.
    /// </summary>
    internal static async Task<long> NumberPendingAsync(DbConnection connection, DbTransaction transaction, Dialect dialect, DateTimeOffset now)
    {
        var counters = await QueueCounters.ReadAsync(connection, transaction, CancellationToken.None, forUpdate: dialect.IsPostgres);
        if (!counters.OpeningDue(now))
        {
            return 0;
        }

        var numbered = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE waiting_room_tickets SET seq = @base + r.rn
            FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY draw, id) AS rn FROM waiting_room_tickets WHERE seq IS NULL) AS r
            WHERE waiting_room_tickets.id = r.id
            """,
            new { @base = counters.LastSequence }, transaction));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE waiting_room SET last_sequence = @last, pending = 0 WHERE id = 1",
            new { last = counters.LastSequence + numbered }, transaction));
        return numbered;
    }

    private static async Task InsertPostgresAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Request> batch, long[] sequences, bool[] admitted, DateTimeOffset now)
    {
        var ids = new string[batch.Count];
        var draws = new long[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            ids[i] = batch[i].Id;
            draws[i] = batch[i].Draw;
        }

        await using var command = new NpgsqlCommand(
            """
            INSERT INTO waiting_room_tickets (id, seq, draw, issued_at, last_seen_at, admitted_at)
            SELECT t.id, NULLIF(t.seq, 0), t.draw, @now, @now, CASE WHEN t.admitted THEN @now END
            FROM unnest(@ids, @seqs, @draws, @admitted) AS t(id, seq, draw, admitted)
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<long[]>("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = sequences });
        command.Parameters.Add(new NpgsqlParameter<long[]>("draws", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = draws });
        command.Parameters.Add(new NpgsqlParameter<bool[]>("admitted", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = admitted });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now.ToUniversalTime() });
        await command.ExecuteNonQueryAsync();
    }

    private async Task InsertSqliteAsync(SqliteTransaction transaction, List<Request> batch, long[] sequences, bool[] admitted, DateTimeOffset now)
    {
        var insert = _sqliteInsert!;
        insert.Transaction = transaction;
        var p = insert.Parameters;
        // Instants as the driver writes a DateTimeOffset (as Dapper's parameters do), so that every comparison is like with like.
        for (var i = 0; i < batch.Count; i++)
        {
            p[0].Value = batch[i].Id;
            p[1].Value = sequences[i] == 0 ? DBNull.Value : sequences[i];
            p[2].Value = batch[i].Draw;
            p[3].Value = now;
            p[4].Value = admitted[i] ? now : DBNull.Value;
            await insert.ExecuteNonQueryAsync();
        }
    }

    /// <summary>SQLite: one kept connection with a prepared insert (the driver would otherwise parse it for every ticket).</summary>
    private async Task<DbConnection> SqliteConnectionAsync()
    {
        if (_sqliteConnection is null || _sqliteInsert is null)
        {
            _sqliteConnection = (SqliteConnection)await _database.OpenSessionAsync();
            _sqliteInsert = _sqliteConnection.CreateCommand();
            _sqliteInsert.CommandText =
                "INSERT INTO waiting_room_tickets (id, seq, draw, issued_at, last_seen_at, admitted_at) VALUES ($id, $seq, $draw, $at, $at, $admitted)";
            _sqliteInsert.Parameters.Add("$id", SqliteType.Text);
            _sqliteInsert.Parameters.Add("$seq", SqliteType.Integer);
            _sqliteInsert.Parameters.Add("$draw", SqliteType.Integer);
            _sqliteInsert.Parameters.Add("$at", SqliteType.Text);
            _sqliteInsert.Parameters.Add("$admitted", SqliteType.Text);
        }

        return _sqliteConnection;
    }

    private async Task DropSqliteWriterAsync()
    {
        if (_sqliteInsert is not null)
        {
            await _sqliteInsert.DisposeAsync();
            _sqliteInsert = null;
        }

        if (_sqliteConnection is not null)
        {
            await _sqliteConnection.DisposeAsync();
            _sqliteConnection = null;
        }
    }

    private static long Draw()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadInt64LittleEndian(bytes) & long.MaxValue;
    }

    private sealed record Request(string Id, long Draw, TaskCompletionSource<IssuedTicket> Done);

    private sealed class Counted
    {
        public long LastSequence { get; set; }
        public long Serving { get; set; }
        public DateTimeOffset? OpensAt { get; set; }
    }
}
