using Dapper;
using Immunise.Audit;
using Immunise.People;
using Immunise.Records;
using Immunise.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Immunise.SiteDay;

/// <summary>Settings of the site's day (section <c>SiteDay</c>).</summary>
public sealed class SiteDayOptions
{
    public const string Section = "SiteDay";

    /// <summary>Run the did-not-attend sweep on this node (any number of nodes may).</summary>
    public bool MarkDidNotAttend { get; set; } = true;

    /// <summary>How often the sweep looks for appointments whose site's day is over.</summary>
    public TimeSpan DidNotAttendInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after a site's last session of the day ends its open appointments become did-not-attend.</summary>
    public TimeSpan DidNotAttendAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How many days back the sweep looks (an appointment left open longer, e.g. while the service was down, is caught up to this).</summary>
    public int DidNotAttendLookbackDays { get; set; } = 7;
}

/// <summary>
/// After a site's day ends, marks its appointments still booked or checked in (nothing recorded) as did-not-attend, each
/// audited (<c>booking.did-not-attend</c>, actor the system) in the transaction that marks it. A site's day ends
/// <see cref="SiteDayOptions.DidNotAttendAfter"/> after the end of its last active session that day, or at midnight.
/// <para>
/// Idempotent and safe on several nodes at once: each batch claims its bookings with one conditional UPDATE (<c>status IN
/// ('booked', 'checked-in')</c>), so a booking marked (or checked in, or recorded) by someone else counts for nothing; on
/// PostgreSQL the candidates are locked with <c>FOR UPDATE SKIP LOCKED</c> so two nodes never wait for each other's rows,
/// on SQLite the one writer runs each batch. The places stay taken in their slots.
/// </para>
/// </summary>
public sealed class MarkDidNotAttend(Database database, AuditLog audit, TimeProvider clock, IOptions<SiteDayOptions> options)
{
    public const int BatchSize = 500;
    public const string SystemActor = "did-not-attend";

    /// <summary>Marks every appointment whose site's day is over; returns how many this call marked.</summary>
    public async Task<int> HandleAsync(CancellationToken cancellationToken = default)
    {
        var total = 0;
        while (true)
        {
            var marked = await Deadlocks.RetryAsync(() => MarkBatchAsync(cancellationToken));
            total += marked;
            if (marked < BatchSize)
            {
                return total;
            }
        }
    }

    private async Task<int> MarkBatchAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var today = London.Day(now);
        var settings = options.Value;
        var candidates =
            $"""
            SELECT b.id FROM slots sl
            JOIN bookings b ON b.slot_id = sl.id AND b.status IN ('booked', 'checked-in')
            WHERE sl.slot_date >= @from AND sl.slot_date <= @today
                AND (sl.slot_date < @today OR NOT EXISTS (
                    SELECT 1 FROM slots late JOIN sessions se ON se.id = late.session_id
                    WHERE late.site_ods_code = sl.site_ods_code AND late.slot_date = sl.slot_date AND se.status = 'active' AND late.ends_at > @cutoff))
            ORDER BY b.id
            LIMIT @limit{(database.Dialect.IsPostgres ? " FOR UPDATE OF b SKIP LOCKED" : "")}
            """;
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var marked = (await connection.QueryAsync<(string Reference, string NhsNumber, string SiteOdsCode)>(new CommandDefinition(
            $"""
            UPDATE bookings SET status = 'did-not-attend', closed_at = @now, closed_by = @by, updated_at = @now
            WHERE id IN ({candidates}) AND status IN ('booked', 'checked-in')
            RETURNING reference, nhs_number, site_ods_code
            """,
            new
            {
                now, today, from = today.AddDays(-Math.Max(0, settings.DidNotAttendLookbackDays)), cutoff = now - settings.DidNotAttendAfter,
                limit = BatchSize, by = $"system:{SystemActor}",
            },
            transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var (reference, nhs, site) in marked)
        {
            await audit.WriteAsync(connection, transaction, new AuditEntry(Actor.System(SystemActor), "booking.did-not-attend", NhsNumber.FromStored(nhs),
                "Booking", reference, $"site {site}"), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return marked.Count;
    }
}

/// <summary>Runs <see cref="MarkDidNotAttend"/> every <see cref="SiteDayOptions.DidNotAttendInterval"/> (when switched on).</summary>
public sealed partial class DidNotAttendWorker(MarkDidNotAttend mark, IOptions<SiteDayOptions> options, TimeProvider clock, ILogger<DidNotAttendWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.MarkDidNotAttend)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.DidNotAttendInterval, clock);
        do
        {
            try
            {
                var marked = await mark.HandleAsync(stoppingToken);
                if (marked > 0)
                {
                    Marked(logger, marked);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Marked {Count} appointments did-not-attend")]
    private static partial void Marked(ILogger logger, int count);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "Marking appointments did-not-attend failed: {Error}")]
    private static partial void Failed(ILogger logger, string error);
}
