using Dapper;
using Immunise.Storage;

namespace Immunise.WaitingRoom;

/// <summary>
/// The waiting room as operators watch it. <see cref="Waiting"/> counts queue numbers given and not yet reached;
/// <see cref="StillPolling"/> those of them whose holders are still there. Rates are per minute: <see cref="ServingPerMinute"/>
/// is how fast places go down (measured while people were left waiting), <see cref="AdmittedPerMinute"/> how many people
/// came in. <see cref="EstimatedWaitMinutes"/> is what someone joining now is told; <see cref="RecentWaitMinutes"/> the
/// median wait of those admitted from the queue in the estimate window.
/// </summary>
public sealed record WaitingRoomFiguresResult(
    QueueSnapshot Counters,
    bool IsActive,
    long Waiting,
    long StillPolling,
    long Pending,
    double ServingPerMinute,
    double AdmittedPerMinute,
    double ArrivalsPerMinute,
    long Active,
    long AbandonedLastHour,
    long AbandonedTotal,
    long AdmittedTotal,
    double? EstimatedWaitMinutes,
    double? RecentWaitMinutes,
    DateTimeOffset At);

public sealed class WaitingRoomFigures(Database database, WaitingRoomOptions options, TimeProvider clock)
{
    public async Task<WaitingRoomFiguresResult> GetAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var s = await QueueCounters.ReadAsync(connection, null, cancellationToken);
        var counts = await connection.QuerySingleAsync<Counts>(new CommandDefinition(
            """
            SELECT
                (SELECT COUNT(*) FROM waiting_room_tickets WHERE seq > @serving AND last_seen_at >= @seenCutoff AND abandoned_at IS NULL) AS still_polling,
                (SELECT COUNT(*) FROM waiting_room_tickets WHERE abandoned_at > @hourAgo) AS abandoned_last_hour,
                (SELECT COUNT(*) FROM waiting_room_tickets WHERE abandoned_at IS NOT NULL) AS abandoned_total,
                (SELECT COUNT(*) FROM waiting_room_tickets WHERE admitted_at IS NOT NULL) AS admitted_total,
                (SELECT COUNT(*) FROM waiting_room_tickets WHERE admitted_at > @lifetimeCutoff AND finished_at IS NULL)
                  + (SELECT COUNT(*) FROM waiting_room_tickets WHERE passed_at > @claimCutoff AND admitted_at IS NULL AND abandoned_at IS NULL) AS active
            """,
            new
            {
                serving = s.Serving,
                seenCutoff = now - options.AbandonAfter,
                hourAgo = now - TimeSpan.FromHours(1),
                lifetimeCutoff = now - options.AdmissionLifetime,
                claimCutoff = now - options.ClaimWindow,
            }, cancellationToken: cancellationToken));
        var waits = (await connection.QueryAsync<Wait>(new CommandDefinition(
            """
            SELECT issued_at, admitted_at FROM waiting_room_tickets
            WHERE admitted_at > @since AND passed_at IS NOT NULL
            ORDER BY admitted_at DESC LIMIT 500
            """,
            new { since = now - options.EstimateWindow }, cancellationToken: cancellationToken)))
            .Select(w => (w.AdmittedAt - w.IssuedAt).TotalMinutes).Order().ToList();
        var rate = QueueRules.EstimateRate(s.ServingPerMinute, s.RatePerMinute, s.MaxActive, options.AdmissionLifetime);
        return new WaitingRoomFiguresResult(
            s, s.IsActive(now), s.Waiting, counts.StillPolling, s.Pending, s.ServingPerMinute, s.AdmittedPerMinute, s.ArrivalsPerMinute,
            counts.Active, counts.AbandonedLastHour, counts.AbandonedTotal, counts.AdmittedTotal,
            s.IsActive(now) && !s.Paused ? QueueRules.MinutesToWait(s.Waiting + 1, rate) : null,
            waits.Count == 0 ? null : waits[waits.Count / 2],
            now);
    }

    private sealed class Counts
    {
        public long StillPolling { get; set; }
        public long AbandonedLastHour { get; set; }
        public long AbandonedTotal { get; set; }
        public long AdmittedTotal { get; set; }
        public long Active { get; set; }
    }

    private sealed class Wait
    {
        public DateTimeOffset IssuedAt { get; set; }
        public DateTimeOffset AdmittedAt { get; set; }
    }
}
