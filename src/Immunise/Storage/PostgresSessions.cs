using System.Collections.Concurrent;
using Npgsql;

namespace Immunise.Storage;

/// <summary>
/// A few PostgreSQL connections for one bulk import, each prepared once (its staging table), lent to one batch at a time,
/// so one batch can be copied while another is merged.
/// </summary>
internal sealed class PostgresSessions(Database database, Func<NpgsqlConnection, CancellationToken, Task> prepare) : IAsyncDisposable
{
    /// <summary>Batches in flight at once: two keeps the client (parsing, COPY) and the server (merge) busy on two cores.</summary>
    public const int Parallelism = 2;

    private readonly ConcurrentQueue<NpgsqlConnection> _idle = new();
    private readonly ConcurrentBag<NpgsqlConnection> _all = [];

    public async Task<T> WithAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        if (!_idle.TryDequeue(out var connection))
        {
            connection = (NpgsqlConnection)await database.OpenSessionAsync(cancellationToken);
            _all.Add(connection);
            await prepare(connection, cancellationToken);
        }

        try
        {
            return await work(connection);
        }
        finally
        {
            _idle.Enqueue(connection);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _all)
        {
            await connection.DisposeAsync();
        }
    }
}
