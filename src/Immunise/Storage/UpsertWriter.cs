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
            return new PostgresWriter<T>(new PostgresSessions(database, upsert.CreateStagingAsync), upsert);
        }

        var connection = await database.OpenSessionAsync(cancellationToken);
        await SqliteBulk.EnterAsync(connection, cancellationToken);
        return new SqliteWriter<T>((SqliteConnection)connection, upsert);
    }

    private sealed class PostgresWriter<T>(PostgresSessions sessions, BulkUpsert<T> upsert) : IBatchWriter<T>
        where T : class
    {
        public int Parallelism => PostgresSessions.Parallelism;

        public Task<BatchOutcome> WriteAsync(IReadOnlyList<ImportRow<T>> batch, CancellationToken cancellationToken) =>
            sessions.WithAsync(async connection =>
            {
                var values = new List<T>(batch.Count);
                foreach (var row in batch)
                {
                    values.Add(row.Value!);
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await upsert.CopyAsync(connection, values, cancellationToken);
                var (inserted, updated) = await upsert.MergeAsync(connection, transaction, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return new BatchOutcome(inserted, updated, []);
            }, cancellationToken);

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
