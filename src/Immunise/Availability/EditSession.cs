using Dapper;
using Immunise.Common;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Storage;

namespace Immunise.Availability;

/// <summary>
/// Changes a session's times, slot length, capacity or services (not its day: cancel it and publish another). Slots that
/// keep their start time keep their bookings up to the new capacity; the bookings that no longer fit are re-fitted into the
/// new slot covering their old start time where there is room, else cancelled, and each affected citizen gets a notification
/// intent (<see cref="Displacement"/>) — all in one transaction, with the session's slots locked so no hold slips in between.
/// The new times must not overlap another active session of the site that day (<c>session-overlaps</c>).
/// </summary>
public sealed class EditSession(Database database, TimeProvider clock)
{
    public Task<Result<SessionChange>> HandleAsync(string sessionId, SessionDetails details, CancellationToken cancellationToken = default) =>
        RunAsync(sessionId, details, commit: true, cancellationToken);

    /// <summary>
    /// What the change would do, without doing it: the same work in a transaction that is rolled back (no booking moved or
    /// cancelled, no message written). For a page to say "this will move 2 appointments and cancel 1" before it is confirmed.
    /// </summary>
    public Task<Result<SessionChange>> PreviewAsync(string sessionId, SessionDetails details, CancellationToken cancellationToken = default) =>
        RunAsync(sessionId, details, commit: false, cancellationToken);

    private async Task<Result<SessionChange>> RunAsync(string sessionId, SessionDetails details, bool commit, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var session = await SessionChanges.LockAsync(connection, transaction, database.Dialect, sessionId, cancellationToken);
        if (session is null)
        {
            return SessionChanges.NotFound;
        }

        if (session.Status != "active")
        {
            return SessionChanges.AlreadyCancelled;
        }

        if (details.Date is { } date && date != session.Date)
        {
            return Failure.Invalid("session-date-fixed", "A session's day cannot change; cancel it and publish a new session.", "date");
        }

        var plan = SessionRules.Validate(details with { Date = session.Date }, London.Today(clock));
        if (!plan.Succeeded)
        {
            return plan.Failure!;
        }

        var site = await PublishSessions.SiteServicesAsync(connection, transaction, session.SiteOdsCode, cancellationToken, lockSite: database.Dialect.IsPostgres);
        if (PublishSessions.Unoffered(plan.Value!.Services, site.Value!.Services) is { } unoffered)
        {
            return unoffered;
        }

        var sameDay = await SessionRows.ActiveTimesAsync(connection, transaction, session.SiteOdsCode, session.Date, session.Date, cancellationToken);
        if (SessionRules.FirstOverlap([plan.Value], sameDay, except: sessionId) is { } overlap)
        {
            return SessionRules.Overlaps(overlap);
        }

        var newSlots = plan.Value.Slots();
        var oldSlots = (await connection.QueryAsync<SlotState>(new CommandDefinition(
            "SELECT id, start_time, capacity, booked FROM slots WHERE session_id = @sessionId ORDER BY start_time",
            new { sessionId }, transaction, cancellationToken: cancellationToken))).ToList();
        var byStart = oldSlots.ToDictionary(s => s.StartTime, StringComparer.Ordinal);

        // The new shape: existing rows for start times kept (capacity set last), new rows for new start times.
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET start_time = @From, end_time = @Until, slot_minutes = @SlotMinutes, capacity = @Capacity, services = @services, updated_at = @now WHERE id = @sessionId",
            new { From = plan.Value.FromText, Until = plan.Value.UntilText, plan.Value.SlotMinutes, plan.Value.Capacity, services = SiteRules.Join(plan.Value.Services), now, sessionId },
            transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM session_services WHERE session_id = @sessionId", new { sessionId }, transaction, cancellationToken: cancellationToken));
        await SessionRows.InsertServicesAsync(connection, transaction, sessionId, plan.Value.Services, cancellationToken);
        var added = newSlots.Where(s => !byStart.ContainsKey(s.StartTime)).ToList();
        if (added.Count > 0)
        {
            await SessionRows.InsertSlotsAsync(connection, transaction, sessionId, session.SiteOdsCode, session.Date, plan.Value.Capacity, added, cancellationToken);
        }

        // Kept slots whose capacity grows get it now, so bookings can be moved into them below; capacity that shrinks is set last,
        // once the bookings that no longer fit have gone (booked may never exceed capacity, not even inside the transaction).
        foreach (var slot in newSlots.Where(s => byStart.ContainsKey(s.StartTime)))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE slots SET starts_at = @StartsAt, ends_at = @EndsAt, capacity = CASE WHEN capacity < @capacity THEN @capacity ELSE capacity END WHERE id = @id",
                new { slot.StartsAt, slot.EndsAt, capacity = plan.Value.Capacity, id = byStart[slot.StartTime].Id }, transaction, cancellationToken: cancellationToken));
        }

        var slotsNow = (await connection.QueryAsync<SlotState>(new CommandDefinition(
            "SELECT id, start_time, capacity, booked FROM slots WHERE session_id = @sessionId",
            new { sessionId }, transaction, cancellationToken: cancellationToken))).ToDictionary(s => s.StartTime, StringComparer.Ordinal);
        var capacityOf = newSlots.ToDictionary(s => s.StartTime, _ => plan.Value.Capacity, StringComparer.Ordinal);
        var placesTaken = slotsNow.Values.ToDictionary(s => s.Id, _ => 0);
        var displaced = Displaced.None;
        foreach (var booking in await Displacement.ActiveAsync(connection, transaction, sessionId, cancellationToken))
        {
            var serviceKept = plan.Value.Services.Contains(booking.Service);
            var here = capacityOf.ContainsKey(booking.StartTime) ? slotsNow[booking.StartTime] : null;
            if (serviceKept && here is not null && placesTaken[here.Id] < plan.Value.Capacity)
            {
                placesTaken[here.Id]++;
                continue;
            }

            var covering = newSlots.FirstOrDefault(s => string.CompareOrdinal(s.StartTime, booking.StartTime) <= 0
                && string.CompareOrdinal(SessionRules.Format(TimeOnly.Parse(s.StartTime, System.Globalization.CultureInfo.InvariantCulture).AddMinutes(plan.Value.SlotMinutes)), booking.StartTime) > 0);
            if (serviceKept && covering is not null && placesTaken[slotsNow[covering.StartTime].Id] < plan.Value.Capacity)
            {
                var target = slotsNow[covering.StartTime];
                placesTaken[target.Id]++;
                await Displacement.MoveAsync(connection, transaction, booking, target.Id, target.StartTime, now, cancellationToken);
                displaced = displaced.Add(new Displaced(booking.Status == "booked" ? 1 : 0, 0, 0));
                continue;
            }

            await Displacement.CancelAsync(connection, transaction, booking, "session-changed", now, cancellationToken);
            displaced = displaced.Add(booking.Status == "booked" ? new Displaced(0, 1, 0) : new Displaced(0, 0, 1));
        }

        foreach (var slot in slotsNow.Values)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE slots SET capacity = @capacity WHERE id = @Id",
                new { capacity = capacityOf.GetValueOrDefault(slot.StartTime), slot.Id }, transaction, cancellationToken: cancellationToken));
        }

        var changed = await SessionRows.FindAsync(connection, transaction, sessionId, cancellationToken);
        if (commit)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        else
        {
            await transaction.RollbackAsync(cancellationToken);
        }

        return new SessionChange([changed!], displaced);
    }

    internal sealed class SlotState
    {
        public long Id { get; set; }
        public string StartTime { get; set; } = "";
        public int Capacity { get; set; }
        public int Booked { get; set; }
    }
}
