using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Immunise.Booking;

namespace Immunise.Availability;

/// <summary>What a change of availability did to bookings: moved to another time in the same session, or cancelled.</summary>
public sealed record Displaced(int Moved, int Cancelled, int HoldsReleased)
{
    public static readonly Displaced None = new(0, 0, 0);

    public Displaced Add(Displaced other) => new(Moved + other.Moved, Cancelled + other.Cancelled, HoldsReleased + other.HoldsReleased);
}

/// <summary>
/// When a session loses capacity (shortened, fewer places, a service dropped, cancelled), the bookings that no longer fit
/// are re-fitted where possible (into the new slot of the same session that covers their old start time, if it has room
/// and the session still offers their service) and otherwise cancelled. Each citizen whose confirmed booking is moved or
/// cancelled gets a notification intent (one per contact channel; a letter when there is none), written in the same
/// transaction. Holds that no longer fit are released without a message.
/// </summary>
internal static class Displacement
{
    public sealed class ActiveBooking
    {
        public string Id { get; set; } = "";
        public string Reference { get; set; } = "";
        public string NhsNumber { get; set; } = "";
        public string Status { get; set; } = "";
        public string Service { get; set; } = "";
        public long SlotId { get; set; }
        public string StartTime { get; set; } = "";
        public DateOnly SlotDate { get; set; }
        public string? Mobile { get; set; }
        public string? Email { get; set; }
        public string SiteName { get; set; } = "";
    }

    /// <summary>The session's active bookings, confirmed first then oldest first (the order in which they keep their places).</summary>
    public static async Task<List<ActiveBooking>> ActiveAsync(DbConnection connection, DbTransaction transaction, string sessionId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<ActiveBooking>(new CommandDefinition(
            """
            SELECT b.id, b.reference, b.nhs_number, b.status, b.service, b.slot_id, sl.start_time, sl.slot_date, b.mobile, b.email, st.name AS site_name
            FROM bookings b JOIN slots sl ON sl.id = b.slot_id JOIN sites st ON st.ods_code = b.site_ods_code
            WHERE sl.session_id = @sessionId AND b.status IN ('held', 'booked')
            ORDER BY CASE b.status WHEN 'booked' THEN 0 ELSE 1 END, b.created_at, b.id
            """,
            new { sessionId }, transaction, cancellationToken: cancellationToken))).ToList();

    public static async Task CancelAsync(DbConnection connection, DbTransaction transaction, ActiveBooking booking, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await CancelBooking.CancelAsync(connection, transaction, booking.Id, reason, now, cancellationToken);
        if (booking.Status == BookingStatus.Booked)
        {
            await NotifyAsync(connection, transaction, booking, "booking-cancelled-by-site", $"cancelled:{booking.Id}", null, now, cancellationToken);
        }
    }

    public static async Task MoveAsync(DbConnection connection, DbTransaction transaction, ActiveBooking booking, long toSlot, string newStartTime, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE bookings SET slot_id = @toSlot, updated_at = @now WHERE id = @Id",
            new { toSlot, now, booking.Id }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(BookingRows.ReleasePlace, new { slotId = booking.SlotId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("UPDATE slots SET booked = booked + 1 WHERE id = @toSlot", new { toSlot }, transaction, cancellationToken: cancellationToken));
        if (booking.Status == BookingStatus.Booked && newStartTime != booking.StartTime)
        {
            await NotifyAsync(connection, transaction, booking, "booking-time-changed", $"moved:{booking.Id}:{toSlot.ToString(CultureInfo.InvariantCulture)}", newStartTime, now, cancellationToken);
        }
    }

    private static async Task NotifyAsync(
        DbConnection connection, DbTransaction transaction, ActiveBooking booking, string template, string eventKey, string? newTime, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var personalisation = JsonSerializer.Serialize(new Dictionary<string, string?>
        {
            ["reference"] = booking.Reference,
            ["site"] = booking.SiteName,
            ["date"] = booking.SlotDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["time"] = booking.StartTime,
            ["new_time"] = newTime,
        });
        var channels = new List<(string Channel, string? Recipient)>();
        if (booking.Mobile is not null)
        {
            channels.Add(("sms", booking.Mobile));
        }

        if (booking.Email is not null)
        {
            channels.Add(("email", booking.Email));
        }

        if (channels.Count == 0)
        {
            channels.Add(("letter", null));
        }

        foreach (var (channel, recipient) in channels)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO notification_intents (reference, nhs_number, booking_reference, channel, recipient, template, personalisation, status, created_at)
                VALUES (@reference, @nhs, @bookingReference, @channel, @recipient, @template, @personalisation, 'pending', @now)
                ON CONFLICT (reference) DO NOTHING
                """,
                new { reference = $"{eventKey}:{channel}", nhs = booking.NhsNumber, bookingReference = booking.Reference, channel, recipient, template, personalisation, now },
                transaction, cancellationToken: cancellationToken));
        }
    }
}
