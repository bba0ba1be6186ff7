using Dapper;
using Immunise.Storage;

namespace Immunise.WaitingRoom;

/// <summary>Where a ticket stands.</summary>
public enum QueueState
{
    /// <summary>The waiting room is off: no ticket or admission is needed.</summary>
    NoQueue,

    /// <summary>Taken before a scheduled opening: it gets its number (in a random order among such tickets) at the opening.</summary>
    NotOpenYet,

    /// <summary>In the queue, at <see cref="QueueStatusResult.Position"/>.</summary>
    Waiting,

    /// <summary>Its number has been reached: <see cref="QueueStatusResult.Admission"/> lets its holder book.</summary>
    Admitted,

    /// <summary>No longer valid (see <see cref="QueueStatusResult.Reason"/>): its holder must join the queue again.</summary>
    Expired,
}

/// <summary>
/// A ticket's standing. <see cref="Ticket"/> is the ticket to keep using: a ticket taken before an opening comes back with
/// its number once it has one (<see cref="TicketChanged"/>).
/// </summary>
public sealed record QueueStatusResult(
    QueueState State,
    Ticket Ticket,
    long? Position = null,
    double? WaitMinutes = null,
    bool Paused = false,
    DateTimeOffset? OpensAt = null,
    int PollSeconds = 0,
    Admission? Admission = null,
    bool TicketChanged = false,
    string? Reason = null)
{
    /// <summary>"about 6 minutes", when there is an estimate.</summary>
    public string? WaitText => WaitMinutes is { } minutes ? QueueRules.DescribeWait(minutes) : null;
}

/// <summary>
/// Answers a status poll: the ticket's position is its sequence number minus this node's copy of the serving number
/// (<see cref="QueueCounters"/>), so a waiting ticket costs no database work — the holder is noted as seen
/// (<see cref="LastSeen"/>) in memory. Only when its number has been reached is the database asked, once, to record the
/// admission (refused when the ticket was passed over as abandoned, or its admission has lapsed); the admission token is
/// then the same on every later poll until it expires.
/// </summary>
public sealed class QueueStatus(QueueCounters counters, LastSeen seen, Database database, WaitingRoomOptions options, TimeProvider clock)
{
    /// <summary>Tickets dated further ahead than this (clocks of nodes differ a little) are refused.</summary>
    private static readonly TimeSpan s_clockSkew = TimeSpan.FromMinutes(5);

    public async ValueTask<QueueStatusResult> CheckAsync(Ticket ticket, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (ticket.IssuedAt + options.TicketLifetime <= now || ticket.IssuedAt > now + s_clockSkew)
        {
            return new QueueStatusResult(QueueState.Expired, ticket, Reason: "ticket-expired");
        }

        var counted = await counters.GetAsync(cancellationToken);
        if (!counted.InUse(now))
        {
            return new QueueStatusResult(QueueState.NoQueue, ticket);
        }

        var changed = false;
        if (!ticket.Numbered)
        {
            if (counted.BeforeOpening(now) || counted.OpeningDue(now))
            {
                seen.Touch(ticket.Id);
                return new QueueStatusResult(QueueState.NotOpenYet, ticket, OpensAt: counted.OpensAt,
                    PollSeconds: counted.BeforeOpening(now) ? options.PollSecondsFar : options.PollSecondsNear);
            }

            var sequence = await SequenceAsync(ticket.Id, cancellationToken);
            if (sequence is null)
            {
                return new QueueStatusResult(QueueState.Expired, ticket, Reason: "ticket-unknown");
            }

            if (sequence == 0)
            {
                // Numbered by the opening on another node, not yet seen here.
                return new QueueStatusResult(QueueState.NotOpenYet, ticket, OpensAt: counted.OpensAt, PollSeconds: options.PollSecondsNear);
            }

            ticket = ticket with { Sequence = sequence.Value };
            changed = true;
        }

        var position = QueueRules.Position(ticket.Sequence, counted.Serving);
        if (position > 0 && counted.IsActive(now))
        {
            seen.Touch(ticket.Id);
            var rate = QueueRules.EstimateRate(counted.ServingPerMinute, counted.RatePerMinute, counted.MaxActive, options.AdmissionLifetime);
            var halted = counted.Paused || counted.BeforeOpening(now);
            return new QueueStatusResult(QueueState.Waiting, ticket, position,
                WaitMinutes: halted ? null : QueueRules.MinutesToWait(position, rate),
                Paused: counted.Paused,
                OpensAt: counted.BeforeOpening(now) ? counted.OpensAt : null,
                PollSeconds: halted ? options.PollSecondsFar : QueueRules.PollSeconds(position, rate, options.PollSecondsNear, options.PollSecondsFar),
                TicketChanged: changed);
        }

        // Its number has been reached (or the room is on automatic and not active, when everyone is admitted at once).
        var (admission, reason) = await AdmitAsync(ticket, now, cancellationToken);
        return admission is null
            ? new QueueStatusResult(QueueState.Expired, ticket, Reason: reason, TicketChanged: changed)
            : new QueueStatusResult(QueueState.Admitted, ticket, Position: Math.Min(position, 0), Admission: admission, TicketChanged: changed);
    }

    /// <summary>
    /// Records the admission the first time (its lifetime runs from then) and answers it; refused when the ticket was passed
    /// over as abandoned, was admitted but not taken up within the claim window, its admission has run out, or its booking
    /// has been made (a ticket is one turn).
    /// </summary>
    private async Task<(Admission?, string?)> AdmitAsync(Ticket ticket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        var admittedAt = await connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(new CommandDefinition(
            """
            UPDATE waiting_room_tickets SET admitted_at = COALESCE(admitted_at, @now)
            WHERE id = @id AND seq = @seq AND abandoned_at IS NULL AND finished_at IS NULL
              AND (admitted_at IS NOT NULL OR passed_at IS NULL OR passed_at > @claimCutoff)
            RETURNING admitted_at
            """,
            new { id = ticket.Id, seq = ticket.Sequence, now, claimCutoff = now - options.ClaimWindow }, cancellationToken: cancellationToken));
        if (admittedAt is { } at)
        {
            var expires = at + options.AdmissionLifetime;
            return expires > now ? (new Admission(ticket.Id, ticket.Sequence, at, expires), null) : (null, "admission-lapsed");
        }

        var found = await connection.QuerySingleOrDefaultAsync<TicketRow>(new CommandDefinition(
            "SELECT seq, abandoned_at, passed_at, finished_at FROM waiting_room_tickets WHERE id = @id AND seq = @seq",
            new { id = ticket.Id, seq = ticket.Sequence }, cancellationToken: cancellationToken));
        return (null, found switch
        {
            null => "ticket-unknown",
            { FinishedAt: not null } => "admission-used",
            { AbandonedAt: not null, PassedAt: null } => "ticket-abandoned",
            _ => "admission-lapsed",
        });
    }

    /// <summary>A ticket's number: 0 while it waits for an opening, null when there is no such ticket.</summary>
    private async Task<long?> SequenceAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TicketRow>(new CommandDefinition(
            "SELECT seq, abandoned_at, passed_at, finished_at FROM waiting_room_tickets WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : row.Seq ?? 0;
    }

    /// <summary>Marks a ticket's booking done, so its holder no longer counts among the active visitors.</summary>
    public async Task FinishAsync(Ticket ticket, CancellationToken cancellationToken = default)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE waiting_room_tickets SET finished_at = @now WHERE id = @id AND finished_at IS NULL AND admitted_at IS NOT NULL",
            new { id = ticket.Id, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    private sealed class TicketRow
    {
        public long? Seq { get; set; }
        public DateTimeOffset? AbandonedAt { get; set; }
        public DateTimeOffset? PassedAt { get; set; }
        public DateTimeOffset? FinishedAt { get; set; }
    }
}
