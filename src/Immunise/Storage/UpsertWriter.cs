using System.Data.Common;
using Immunise.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Immunise.Storage;

/// <summary>Writes import batches with a <see cref="BulkUpsert{T}"/>, one transaction per batch, on one connection.</summary>
internal static class UpsertWriter
{
    public static async Task<IBatchWriter<T>> OpenAsync<T>(Database database, BulkUpsert<T> upsert, CancellationToken cancellationToken)
        where T : class
    {
        if (database.Dialect.IsPostgres)
        {
            var sessions = new PostgresSessions(database, upsert.CreateStagingAsync);
            var empty = await sessions.WithAsync(c => upsert.IsEmptyAsync(c, cancellationToken), cancellationToken);
            return new PostgresWriter<T>(sessions, upsert, empty);
        }

        var connection = await database.OpenSessionAsync(cancellationToken);
        await SqliteBulk.EnterAsync(connection, cancellationToken);
        return new SqliteWriter<T>((SqliteConnection)connection, upsert);
    }

    /// <summary>
    /// Writes batches on PostgreSQL. Into a table that was empty when the import began, batches are copied straight in (keys
    /// are unique within a file, so only another writer could collide); the first unique violation switches the import to
    /// staging and merging for that batch and every later one.
    /// </summary>
    private sealed class PostgresWriter<T>(PostgresSessions sessions, BulkUpsert<T> upsert, bool tableWasEmpty) : IBatchWriter<T>
        where T : class
    {
        private volatile bool _direct = tableWasEmpty;

        public int Parallelism => PostgresSessions.Parallelism;

        public Task<BatchOutcome> WriteAsync(IReadOnlyList<ImportRow<T>> batch, CancellationToken cancellationToken) =>
            sessions.WithAsync(async connection =>
            {
                var values = new List<T>(batch.Count);
                foreach (var row in batch)
                {
                    values.Add(row.Value!);
                }

                if (_direct && await TryCopyStraightInAsync(connection, values, cancellationToken))
                {
                    return new BatchOutcome(values.Count, 0, []);
                }

                // The merge takes its keys in order, so two merges cannot deadlock; but a merge can meet another writer's
                // straight copy (keys in file order), and PostgreSQL may choose the merge as the victim. Its transaction
                // rolled back whole (staged rows included), so it is run again.
                return await Deadlocks.RetryAsync(async () =>
                {
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                    await upsert.CopyAsync(connection, values, cancellationToken);
                    var (inserted, updated) = await upsert.MergeAsync(connection, transaction, cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    return new BatchOutcome(inserted, updated, []);
                });
            }, cancellationToken);

        private async Task<bool> TryCopyStraightInAsync(NpgsqlConnection connection, List<T> values, CancellationToken cancellationToken)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            try
            {
                await upsert.CopyIntoTableAsync(connection, values, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return true;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected)
            {
                // Another writer is loading the same people: a duplicate key, or (two straight copies meeting in opposite
                // orders) a deadlock. The batch rolls back with the transaction and is merged instead, in key order.
                _direct = false;
                return false;
            }
        }

        public ValueTask DisposeAsync() => sessions.DisposeAsync();
    }

    private sealed class SqliteWriter<T>(SqliteConnection connection, BulkUpsert<T> upsert) : IBatchWriter<T>
        where T : class
    {
        private readonly List<T> _values = [];

        public async Task<BatchOutcome> WriteAsync(IReadOnlyList<ImportRow<T>> batch, CancellationToken cancellationToken)
        {
            long inserted = 0, updated = 0;
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            using (var upserter = upsert.PrepareSqlite(connection))
            {
                _values.Clear();
                foreach (var row in batch)
                {
                    _values.Add(row.Value!);
                }

                (inserted, updated) = upserter.UpsertAll(_values);
            }

            await transaction.CommitAsync(cancellationToken);
            return new BatchOutcome(inserted, updated, []);
        }

        public async ValueTask DisposeAsync()
        {
            await SqliteBulk.LeaveAsync(connection);
            await ((DbConnection)connection).DisposeAsync();
        }
    }
}
