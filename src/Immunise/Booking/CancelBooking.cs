using System.Data.Common;
using Dapper;
using Immunise.Notifications;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.Booking;

/// <summary>Cancels the appointment <see cref="Reference"/>; the person proves it is theirs with their date of birth.</summary>
public sealed record CancelBookingRequest(string? Reference, DateOnly DateOfBirth);

/// <summary>
/// Cancels a booking (or a hold) that has not started and gives its place back, in one transaction; a later dose booked
/// with it as its first dose is cancelled too (it cannot be given without it). Cancelling an appointment that is already
/// cancelled answers <c>booking-not-active</c>.
/// </summary>
public sealed class CancelBooking(Database database, TimeProvider clock)
{
    public async Task<Result<Appointment>> HandleAsync(CancelBookingRequest request, CancellationToken cancellationToken = default)
    {
        var found = await GetBooking.FindOwnAsync(database, request.Reference, request.DateOfBirth, cancellationToken);
        if (!found.Succeeded)
        {
            return found.Failure!;
        }

        var row = found.Value!;
        var now = clock.GetUtcNow();
        if (row.Status is not (BookingStatus.Held or BookingStatus.Booked))
        {
            return BookingCodes.BookingNotActive;
        }

        if (row.StartsAt <= now)
        {
            return BookingCodes.AppointmentInPast;
        }

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await CancelAsync(connection, transaction, row.HoldId, "cancelled-by-citizen", now, cancellationToken))
        {
            return BookingCodes.BookingNotActive;
        }

        var later = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM bookings WHERE first_dose_id = @HoldId AND status IN ('held', 'booked')", new { row.HoldId }, transaction, cancellationToken: cancellationToken));
        foreach (var id in later.ToList())
        {
            await CancelAsync(connection, transaction, id, "first-dose-cancelled", now, cancellationToken);
        }

        var cancelled = await BookingRows.FindAsync(connection, transaction, "b.id = @HoldId", new { row.HoldId }, cancellationToken);
        if (row.Status == BookingStatus.Booked)
        {
            await BookingMessages.EnqueueAsync(connection, transaction, row.HoldId, MessageTemplates.CancelledByYou, "cancelled", now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return cancelled!.ToAppointment();
    }

    /// <summary>Cancels one active booking and gives its place back; false when it was no longer active.</summary>
    internal static async Task<bool> CancelAsync(DbConnection connection, DbTransaction transaction, string id, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var slotId = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            """
            UPDATE bookings SET status = 'cancelled', cancelled_at = @now, cancel_reason = @reason, hold_expires_at = NULL, updated_at = @now
            WHERE id = @id AND status IN ('held', 'booked') RETURNING slot_id
            """,
            new { id, reason, now }, transaction, cancellationToken: cancellationToken));
        if (slotId is null)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(BookingRows.ReleasePlace, new { slotId }, transaction, cancellationToken: cancellationToken));
        return true;
    }
}
