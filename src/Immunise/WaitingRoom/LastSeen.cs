using System.Collections.Concurrent;
using Immunise.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Immunise.WaitingRoom;

/// <summary>
/// When each waiting ticket's holder was last seen, kept cheaply: a poll only notes the ticket in memory, and this node writes
/// what it has noted every <see cref="WaitingRoomOptions.FlushInterval"/> in one statement. A ticket is noted at most once
/// per <see cref="WaitingRoomOptions.SeenInterval"/> per node, so a queue of N polling every few seconds costs about
/// N / SeenInterval row updates a second, in batches, whatever the poll rate. The admission ticker counts a ticket as
/// abandoned when its last-seen time is older than <see cref="WaitingRoomOptions.AbandonAfter"/>, which is set well above
/// SeenInterval + FlushInterval + the slowest poll interval.
/// </summary>
public sealed class LastSeen(Database database, WaitingRoomOptions options, TimeProvider clock)
{
    private const int MaxBatch = 5_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _noted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _unwritten = new(StringComparer.Ordinal);
    private DateTimeOffset _lastPrune;

    /// <summary>Tickets noted and not yet written.</summary>
    public int Unwritten => _unwritten.Count;

    /// <summary>Notes that a ticket's holder is still here (no database work).</summary>
    public void Touch(string ticketId)
    {
        var now = clock.GetUtcNow();
        if (_noted.TryGetValue(ticketId, out var noted) && now - noted < options.SeenInterval)
        {
            return;
        }

        _noted[ticketId] = now;
        _unwritten.TryAdd(ticketId, 0);
    }

    /// <summary>Writes the last-seen times noted since the last flush; answers how many tickets were written.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        PruneNoted(now);
        var total = 0;
        while (!_unwritten.IsEmpty)
        {
            var ids = new List<string>(Math.Min(_unwritten.Count, MaxBatch));
            foreach (var id in _unwritten.Keys)
            {
                if (_unwritten.TryRemove(id, out _))
                {
                    ids.Add(id);
                }

                if (ids.Count == MaxBatch)
                {
                    break;
                }
            }

            if (ids.Count == 0)
            {
                break;
            }

            ids.Sort(StringComparer.Ordinal); // rows are locked in the same order by every node
            try
            {
                await Deadlocks.RetryAsync(() => WriteAsync(ids, now, cancellationToken));
            }
            catch
            {
                foreach (var id in ids)
                {
                    _unwritten.TryAdd(id, 0); // written with the next flush
                }

                throw;
            }

            total += ids.Count;
        }

        return total;
    }

    private async Task<int> WriteAsync(List<string> ids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (database.Dialect.IsPostgres)
        {
            await using var connection = (NpgsqlConnection)await database.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "UPDATE waiting_room_tickets SET last_seen_at = @now WHERE id = ANY(@ids) AND last_seen_at < @now", connection);
            command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. ids] });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now.ToUniversalTime() });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var sqlite = (SqliteConnection)await database.OpenAsync(cancellationToken);
        await using var transaction = sqlite.BeginTransaction();
        await using var update = sqlite.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE waiting_room_tickets SET last_seen_at = $now WHERE id = $id AND last_seen_at < $now";
        var at = update.Parameters.Add("$now", SqliteType.Text);
        var id = update.Parameters.Add("$id", SqliteType.Text);
        at.Value = now; // as Dapper's parameters write instants, so comparisons with them hold
        update.Prepare();
        var rows = 0;
        foreach (var ticket in ids)
        {
            id.Value = ticket;
            rows += await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return rows;
    }

    /// <summary>Forgets tickets not seen here for a while (their holders have gone, or poll another node).</summary>
    private void PruneNoted(DateTimeOffset now)
    {
        if (now - _lastPrune < options.AbandonAfter)
        {
            return;
        }

        _lastPrune = now;
        foreach (var (id, noted) in _noted)
        {
            if (now - noted > options.AbandonAfter)
            {
                _noted.TryRemove(id, out _);
            }
        }
    }
}
