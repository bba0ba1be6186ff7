using Dapper;
using Immunise.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Immunise.Booking;

/// <summary>
/// Releases holds whose 5 minutes have passed: marks them expired and gives their places back, a batch per transaction.
/// Safe with several nodes: on PostgreSQL each batch claims its rows with <c>FOR UPDATE SKIP LOCKED</c>, so two nodes never
/// wait for or double-release the same hold; on SQLite the one writer runs the batch, and the <c>status = 'held'</c>
/// condition on the UPDATE makes a hold released (or confirmed) by someone else count for nothing.
/// </summary>
public sealed class ReleaseExpiredHolds(Database database, TimeProvider clock)
{
    public const int BatchSize = 500;

    /// <summary>Releases every lapsed hold; returns how many.</summary>
    public async Task<int> HandleAsync(CancellationToken cancellationToken = default)
    {
        var total = 0;
        while (true)
        {
            var released = await Deadlocks.RetryAsync(() => ReleaseBatchAsync(cancellationToken));
            total += released;
            if (released < BatchSize)
            {
                return total;
            }
        }
    }

    private async Task<int> ReleaseBatchAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claim = database.Dialect.IsPostgres
            ? "SELECT id FROM bookings WHERE status = 'held' AND hold_expires_at <= @now ORDER BY hold_expires_at LIMIT @limit FOR UPDATE SKIP LOCKED"
            : "SELECT id FROM bookings WHERE status = 'held' AND hold_expires_at <= @now ORDER BY hold_expires_at LIMIT @limit";
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var slots = (await connection.QueryAsync<long>(new CommandDefinition(
            $"""
            UPDATE bookings SET status = 'expired', updated_at = @now
            WHERE id IN ({claim}) AND status = 'held'
            RETURNING slot_id
            """,
            new { now, limit = BatchSize }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var slot in slots.GroupBy(s => s))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE slots SET booked = booked - @count WHERE id = @slotId",
                new { slotId = slot.Key, count = slot.Count() }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return slots.Count;
    }
}

/// <summary>Background work settings for bookings (section <c>Booking</c>).</summary>
public sealed class BookingOptions
{
    public const string Section = "Booking";

    /// <summary>Run the hold releaser on this node.</summary>
    public bool ReleaseExpiredHolds { get; set; } = true;

    /// <summary>How often lapsed holds are looked for.</summary>
    public TimeSpan ReleaseInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Runs <see cref="ReleaseExpiredHolds"/> (and forgets old idempotency keys) every <see cref="BookingOptions.ReleaseInterval"/> (when switched on).</summary>
public sealed partial class HoldReleaser(ReleaseExpiredHolds release, IdempotencyKeys keys, IOptions<BookingOptions> options, TimeProvider clock, ILogger<HoldReleaser> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ReleaseExpiredHolds)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.ReleaseInterval, clock);
        do
        {
            try
            {
                var released = await release.HandleAsync(stoppingToken);
                if (released > 0)
                {
                    Released(logger, released);
                }

                await keys.PurgeAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Released {Count} lapsed holds")]
    private static partial void Released(ILogger logger, int count);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Releasing lapsed holds failed: {Error}")]
    private static partial void Failed(ILogger logger, string error);
}
