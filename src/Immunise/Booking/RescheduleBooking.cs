using Dapper;
using Immunise.Notifications;
using Immunise.Common;
using Immunise.Eligibility;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Booking;

/// <summary>Moves the appointment <see cref="Reference"/> (proved with the date of birth) to the slot <see cref="SlotId"/>.</summary>
public sealed record RescheduleBookingRequest(string? Reference, DateOnly DateOfBirth, long SlotId);

/// <summary>
/// Moves a confirmed booking to another slot (any site offering its service) under the rules of a new booking: the slot
/// has not started and its session is active and offers the service; the person may have the dose on the new day
/// (eligibility, dose window, same product for a later dose of a course); a later dose booked after this one must stay in
/// its window. In one transaction the new place is claimed (never past capacity) and the old one given back; the reference
/// stays the same.
/// </summary>
public sealed class RescheduleBooking(Database database, BookingCheck check, VaccineCatalogue catalogue, TimeProvider clock)
{
    public async Task<Result<Appointment>> HandleAsync(RescheduleBookingRequest request, CancellationToken cancellationToken = default)
    {
        var found = await GetBooking.FindOwnAsync(database, request.Reference, request.DateOfBirth, cancellationToken);
        if (!found.Succeeded)
        {
            return found.Failure!;
        }

        var row = found.Value!;
        var now = clock.GetUtcNow();
        if (row.Status != BookingStatus.Booked)
        {
            return BookingCodes.BookingNotActive;
        }

        if (row.StartsAt <= now)
        {
            return BookingCodes.AppointmentInPast;
        }

        if (row.SlotId == request.SlotId)
        {
            return row.ToAppointment();
        }

        var service = ServiceSuitability.Find(row.Service)!;
        var slot = await SlotFacts.ReadAsync(database, request.SlotId, row.Service, People.NhsNumber.FromStored(row.NhsNumber), cancellationToken);
        if (slot is null)
        {
            return BookingCodes.SlotNotFound;
        }

        if (slot.StartsAt <= now)
        {
            return BookingCodes.SlotInPast;
        }

        if (slot.SessionStatus != "active" || slot.Capacity == 0)
        {
            return BookingCodes.SlotUnavailable;
        }

        if (slot.SiteStatus != Sites.SiteRules.Online)
        {
            return BookingCodes.SiteOffline;
        }

        if (!slot.OffersService)
        {
            return BookingCodes.ServiceNotOffered(row.Service);
        }

        var nhs = People.NhsNumber.FromStored(row.NhsNumber);
        var plan = await HoldSlot.Plan(database, check, catalogue, nhs, row.DateOfBirth, service, slot, row.ProductCode, row.FirstDoseReference, row.HoldId, cancellationToken);
        if (!plan.Succeeded)
        {
            return plan.Failure!;
        }

        if (plan.Value!.DoseNumber != row.DoseNumber)
        {
            return Failure.Conflict("dose-changed", "The register now shows a different dose is due; cancel this appointment and book again.");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var laterDoses = (await connection.QueryAsync<DateOnly>(new CommandDefinition(
            """
            SELECT sl.slot_date FROM bookings b JOIN slots sl ON sl.id = b.slot_id
            WHERE b.first_dose_id = @HoldId AND b.status IN ('held', 'booked')
            """,
            new { row.HoldId }, cancellationToken: cancellationToken))).ToList();
        if (laterDoses.Count > 0 && catalogue.FindProduct(row.ProductCode) is { } product
            && (ServiceSuitability.NextDoseWindow(product, slot.Date) is not { } window || laterDoses.Any(d => !window.Contains(d))))
        {
            return BookingCodes.BreaksNextDoseWindow;
        }

        return await Deadlocks.RetryAsync(() => MoveAsync(row, slot, now, cancellationToken));
    }

    /// <summary>In one transaction: claim the new place (never past capacity), point the booking at it, give the old place back.</summary>
    private async Task<Result<Appointment>> MoveAsync(BookingRows.Row row, SlotFacts slot, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await HoldSlot.ClaimAsync(connection, transaction, slot.SlotId, now, cancellationToken))
        {
            return BookingCodes.SlotFull;
        }

        var moved = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE bookings SET slot_id = @newSlot, site_ods_code = @site, updated_at = @now
            WHERE id = @HoldId AND status = 'booked' AND slot_id = @oldSlot
            """,
            new { newSlot = slot.SlotId, site = slot.SiteOdsCode, now, row.HoldId, oldSlot = row.SlotId }, transaction, cancellationToken: cancellationToken));
        if (moved == 0)
        {
            return Failure.Conflict("booking-changed", "The appointment was changed or cancelled at the same time; look it up again.");
        }

        await connection.ExecuteAsync(new CommandDefinition(BookingRows.ReleasePlace, new { slotId = row.SlotId }, transaction, cancellationToken: cancellationToken));
        var result = await BookingRows.FindAsync(connection, transaction, "b.id = @HoldId", new { row.HoldId }, cancellationToken);
        await BookingMessages.EnqueueAsync(
            connection, transaction, row.HoldId, MessageTemplates.Moved, $"moved:{slot.SlotId.ToString(System.Globalization.CultureInfo.InvariantCulture)}", now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result!.ToAppointment();
    }
}
