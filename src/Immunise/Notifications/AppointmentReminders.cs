using System.Globalization;
using Dapper;
using Immunise.Storage;

namespace Immunise.Notifications;

/// <summary>
/// Reminders before each appointment, by default 3 days and 1 day before (<see cref="NotificationOptions.ReminderHours"/>).
/// A reminder goes only to an appointment still booked (not cancelled, not attended), of a person not yet vaccinated with
/// that dose since they booked, and only if the booking was made before the reminder was due (someone who books the day
/// before gets the confirmation, not a "3 days to go" reminder too). Each reminder is written to the outbox once: its key
/// names the booking and the offset, so every instance may run this.
/// </summary>
public sealed class AppointmentReminders(Database database, NotificationOptions options, TimeProvider clock)
{
    /// <summary>Writes the reminders now due; returns how many messages were written.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var written = 0;
        var bookedInTime = database.Dialect.IsPostgres
            ? "b.confirmed_at <= sl.starts_at - make_interval(hours => @hours)"
            : "julianday(b.confirmed_at) <= julianday(sl.starts_at) - (@hours / 24.0)";
        foreach (var hours in options.ReminderOffsets())
        {
            var key = $"reminder-{hours.ToString(CultureInfo.InvariantCulture)}h";
            List<string> due;
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                due = [.. await connection.QueryAsync<string>(new CommandDefinition(
                    $"""
                    SELECT b.id
                    FROM bookings b JOIN slots sl ON sl.id = b.slot_id
                    WHERE b.status = 'booked' AND sl.starts_at > @now AND sl.starts_at <= @horizon AND {bookedInTime}
                      AND (b.mobile IS NOT NULL OR b.email IS NOT NULL) -- reminders go by text or email only: no contact, nothing to write
                      AND NOT EXISTS (SELECT 1 FROM notification_messages m
                                      WHERE m.dedupe_key IN ('booking:' || b.id || ':' || @key || ':sms', 'booking:' || b.id || ':' || @key || ':email',
                                                             'booking:' || b.id || ':' || @key || ':letter'))
                      AND NOT EXISTS (SELECT 1 FROM vaccination_events v
                                      WHERE v.nhs_number = b.nhs_number AND v.target_disease = b.programme AND v.dose_number = b.dose_number
                                        AND v.status = 'completed' AND v.recorded_at >= b.created_at)
                    ORDER BY sl.starts_at
                    LIMIT 1000
                    """,
                    new { now, horizon = now.AddHours(hours), hours, key }, cancellationToken: cancellationToken))];
            }

            foreach (var bookingId in due)
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                // Still booked? It may have been cancelled since it was read.
                var stillBooked = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT count(*) FROM bookings WHERE id = @bookingId AND status = 'booked'", new { bookingId }, transaction, cancellationToken: cancellationToken));
                if (stillBooked > 0)
                {
                    written += await BookingMessages.EnqueueAsync(connection, transaction, bookingId, MessageTemplates.Reminder, key, now, cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }
        }

        return written;
    }
}
