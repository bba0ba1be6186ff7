using System.Data.Common;
using Dapper;
using Immunise.Storage;

namespace Immunise.WaitingRoom;

/// <summary>What one tick did (<see cref="AdmitVisitors.TickAsync"/>); <see cref="Claimed"/> false when another node had it.</summary>
public sealed record TickResult(bool Claimed, long Numbered = 0, long Passed = 0, long Skipped = 0, long Lapsed = 0, bool SwitchedOn = false, QueueSnapshot? Counters = null)
{
    public static readonly TickResult NotClaimed = new(false);
}

/// <summary>
/// The admission ticker. Every <see cref="WaitingRoomOptions.TickInterval"/> each node tries to claim the tick with one
/// conditional update of the counter row (<c>last_tick_at</c>); the one that succeeds, and only it, then in one transaction
/// with the row locked:
/// <list type="number">
/// <item>numbers the tickets taken before a scheduled opening, once it has come, in a random order (<see cref="IssueTickets.NumberPendingAsync"/>);</item>
/// <item>moves the serving number on by what the rate allows (<see cref="QueueRules.Allowance"/>) and the room left under the
/// maximum of active visitors, counting only holders still polling: tickets not seen for <see cref="WaitingRoomOptions.AbandonAfter"/>
/// are passed over and marked abandoned, so they neither hold up the queue nor use admission capacity;</item>
/// <item>marks abandoned the admissions not taken up within <see cref="WaitingRoomOptions.ClaimWindow"/>;</item>
/// <item>in automatic mode, switches the room on when arrivals per minute reach the rate, and keeps it on while people wait;</item>
/// <item>writes a sample and the measured rates: queue numbers passed per minute while people were left waiting (the basis
/// of the wait estimate), arrivals per minute, admissions per minute, active visitors.</item>
/// </list>
/// </summary>
public sealed class AdmitVisitors(Database database, QueueCounters counters, WaitingRoomOptions options, TimeProvider clock)
{
    /// <summary>Samples are kept this long.</summary>
    public static readonly TimeSpan SampleHistory = TimeSpan.FromHours(1);

    /// <summary>Arrivals per minute are measured over the last minute, and over no less than this at the start.</summary>
    private static readonly TimeSpan s_shortestArrivalWindow = TimeSpan.FromSeconds(10);

    public async Task<TickResult> TickAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (!(await counters.GetAsync(cancellationToken)).NeedsTicks(now))
        {
            return TickResult.NotClaimed;
        }

        if (!await ClaimAsync(now, cancellationToken))
        {
            return TickResult.NotClaimed;
        }

        var numbered = await Deadlocks.RetryAsync(async () =>
        {
            using var turn = await database.WriteTurnAsync(cancellationToken);
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var count = await IssueTickets.NumberPendingAsync(connection, transaction, database.Dialect, now);
            await transaction.CommitAsync(cancellationToken);
            return count;
        });

        var result = await Deadlocks.RetryAsync(() => AdvanceAsync(now, cancellationToken));
        counters.Keep(result.Counters!);
        return result with { Numbered = numbered };
    }

    /// <summary>One node per interval: a tick is claimed by moving <c>last_tick_at</c> on, only if it is due.</summary>
    private async Task<bool> ClaimAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE waiting_room SET last_tick_at = @now WHERE id = 1 AND (last_tick_at IS NULL OR last_tick_at <= @due)",
            new { now, due = now - options.TickInterval * 0.8 }, cancellationToken: cancellationToken));
        return rows == 1;
    }

    private async Task<TickResult> AdvanceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var s = await QueueCounters.ReadAsync(connection, transaction, cancellationToken, forUpdate: database.Dialect.IsPostgres);
        var elapsed = s.LastAdvanceAt is not { } last ? options.TickInterval : last < now ? now - last : TimeSpan.Zero;
        var seenCutoff = now - options.AbandonAfter;
        var claimCutoff = now - options.ClaimWindow;
        var active = await ActiveAsync(connection, transaction, now, cancellationToken);

        var serving = s.Serving;
        var credit = 0d;
        long passed = 0, skipped = 0;
        var saturated = false;
        if (s.IsActive(now) && !s.Paused && !s.BeforeOpening(now) && s.LastSequence > s.Serving)
        {
            var allowance = QueueRules.Allowance(s.Credit, s.RatePerMinute, elapsed, s.MaxActive, active);
            credit = allowance.Credit;
            saturated = true;
            if (allowance.Allowed > 0)
            {
                // The allowed-th ticket still being polled for, after the serving number; the ones between that were left are passed over.
                var target = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
                    $"""
                    SELECT seq FROM waiting_room_tickets
                    WHERE seq > @serving AND seq <= @last AND last_seen_at >= @seenCutoff AND abandoned_at IS NULL
                    ORDER BY seq LIMIT 1 OFFSET @skip
                    """,
                    new { serving = s.Serving, last = s.LastSequence, seenCutoff, skip = Math.Min(allowance.Allowed, int.MaxValue) - 1 },
                    transaction, cancellationToken: cancellationToken)) ?? s.LastSequence;
                saturated = target < s.LastSequence;
                var range = new { from = s.Serving, to = target, now, seenCutoff };
                passed = await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE waiting_room_tickets SET passed_at = @now
                    WHERE seq > @from AND seq <= @to AND last_seen_at >= @seenCutoff AND passed_at IS NULL AND abandoned_at IS NULL AND admitted_at IS NULL
                    """, range, transaction, cancellationToken: cancellationToken));
                skipped = await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE waiting_room_tickets SET abandoned_at = @now
                    WHERE seq > @from AND seq <= @to AND last_seen_at < @seenCutoff AND passed_at IS NULL AND abandoned_at IS NULL AND admitted_at IS NULL
                    """, range, transaction, cancellationToken: cancellationToken));
                serving = target;
                credit = s.RatePerMinute > 0 ? Math.Max(0, allowance.Credit - passed) : 0;
            }
        }

        var lapsed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE waiting_room_tickets SET abandoned_at = @now
            WHERE passed_at IS NOT NULL AND passed_at <= @claimCutoff AND admitted_at IS NULL AND abandoned_at IS NULL
            """, new { now, claimCutoff }, transaction, cancellationToken: cancellationToken));

        var saturatedServed = s.SaturatedServed + (saturated ? serving - s.Serving : 0);
        var saturatedSeconds = s.SaturatedSeconds + (saturated ? Math.Min(elapsed.TotalSeconds, QueueRules.MaxCatchUp.TotalSeconds) : 0);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO waiting_room_samples (at, issued, serving, saturated_served, saturated_seconds)
            VALUES (@now, @last, @serving, @saturatedServed, @saturatedSeconds) ON CONFLICT (at) DO NOTHING
            """,
            new { now, last = s.LastSequence + s.Pending, serving, saturatedServed, saturatedSeconds }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM waiting_room_samples WHERE at < @cutoff", new { cutoff = now - SampleHistory }, transaction, cancellationToken: cancellationToken));

        var window = await OldestSinceAsync(connection, transaction, now - options.EstimateWindow, cancellationToken);
        var servedDelta = saturatedSeconds - (window?.SaturatedSeconds ?? saturatedSeconds);
        var servingPerMinute = servedDelta >= 30 ? (saturatedServed - window!.SaturatedServed) / servedDelta * 60 : 0;
        var minute = await OldestSinceAsync(connection, transaction, now - TimeSpan.FromMinutes(1), cancellationToken);
        var arrivalsPerMinute = minute is null ? 0
            : (s.LastSequence + s.Pending - minute.Issued) / Math.Max((now - minute.At).TotalSeconds, s_shortestArrivalWindow.TotalSeconds) * 60;
        var admittedPerMinute = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM waiting_room_tickets WHERE admitted_at > @since",
            new { since = now - options.EstimateWindow }, transaction, cancellationToken: cancellationToken)) / options.EstimateWindow.TotalMinutes;

        // Automatic mode: on when arrivals reach the rate, and kept on while anyone waits or arrivals stay high.
        var autoUntil = s.AutoUntil;
        var switchedOn = false;
        if (s.Automatic)
        {
            var busy = s.RatePerMinute > 0 && arrivalsPerMinute >= s.RatePerMinute;
            var waiting = s.IsActive(now) && s.LastSequence > serving;
            if (busy || waiting)
            {
                switchedOn = !s.IsActive(now);
                autoUntil = now + options.AutomaticHold;
            }
        }

        var snapshot = (await connection.QuerySingleAsync<QueueCounters.Row>(new CommandDefinition(
            $"""
            UPDATE waiting_room SET serving = @serving, credit = @credit, last_advance_at = @now, saturated_served = @saturatedServed,
                saturated_seconds = @saturatedSeconds, serving_per_minute = @servingPerMinute, arrivals_per_minute = @arrivalsPerMinute,
                admitted_per_minute = @admittedPerMinute, active = @active, auto_until = @autoUntil
            WHERE id = 1
            RETURNING {QueueCounters.Columns}
            """,
            new { serving, credit, now, saturatedServed, saturatedSeconds, servingPerMinute, arrivalsPerMinute, admittedPerMinute, active = active + passed, autoUntil },
            transaction, cancellationToken: cancellationToken))).ToSnapshot();
        await transaction.CommitAsync(cancellationToken);
        return new TickResult(true, 0, passed, skipped, lapsed, switchedOn, snapshot);
    }

    /// <summary>Visitors within their admission and not finished, plus admissions offered and not yet taken up.</summary>
    private async Task<long> ActiveAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT (SELECT COUNT(*) FROM waiting_room_tickets WHERE admitted_at > @lifetimeCutoff AND finished_at IS NULL)
                 + (SELECT COUNT(*) FROM waiting_room_tickets WHERE passed_at > @claimCutoff AND admitted_at IS NULL AND abandoned_at IS NULL)
            """,
            new { lifetimeCutoff = now - options.AdmissionLifetime, claimCutoff = now - options.ClaimWindow }, transaction, cancellationToken: cancellationToken));

    private static Task<Sample?> OldestSinceAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset since, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Sample>(new CommandDefinition(
            "SELECT at, issued, serving, saturated_served, saturated_seconds FROM waiting_room_samples WHERE at >= @since ORDER BY at LIMIT 1",
            new { since }, transaction, cancellationToken: cancellationToken));

    private sealed class Sample
    {
        public DateTimeOffset At { get; set; }
        public long Issued { get; set; }
        public long Serving { get; set; }
        public long SaturatedServed { get; set; }
        public double SaturatedSeconds { get; set; }
    }
}
