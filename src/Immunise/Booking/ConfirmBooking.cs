using System.Text.RegularExpressions;
using Dapper;
using Immunise.Notifications;
using Immunise.Common;
using Immunise.Eligibility;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Booking;

/// <summary>Confirms the hold <see cref="HoldId"/> (from <see cref="HoldSlot"/>), with contact details for the appointment's messages.</summary>
public sealed record ConfirmBookingRequest(string? HoldId, string? Mobile = null, string? Email = null);

/// <summary>
/// Turns a hold into a booking. The hold must still be valid (not lapsed, not released); eligibility is checked again for
/// the appointment's date (the register or the campaigns may have changed in the 5 minutes); a later dose of a course needs
/// its earlier dose's booking confirmed first. A refused confirmation releases the hold. Confirming a booking that is already
/// confirmed answers it again (a retried request books nothing twice).
/// </summary>
public sealed partial class ConfirmBooking(Database database, BookingCheck check, VaccineCatalogue catalogue, TimeProvider clock)
{
    public async Task<Result<Appointment>> HandleAsync(ConfirmBookingRequest request, CancellationToken cancellationToken = default)
    {
        if (!IsHoldId(request.HoldId))
        {
            return BookingCodes.InvalidHoldId;
        }

        var contact = Contact.Validate(request.Mobile, request.Email);
        if (!contact.Succeeded)
        {
            return contact.Failure!;
        }

        var holdId = request.HoldId!.Trim().ToLowerInvariant();
        var now = clock.GetUtcNow();
        var (row, slot, facts) = await ReadHoldAsync(holdId, cancellationToken);

        if (row is null)
        {
            return BookingCodes.HoldNotFound;
        }

        if (row.Status == BookingStatus.Booked)
        {
            return row.ToAppointment();
        }

        if (row.Status != BookingStatus.Held || row.HoldExpiresAt <= now)
        {
            return BookingCodes.HoldExpired;
        }

        var recheck = await RecheckAsync(row, slot, cancellationToken);
        if (!recheck.Succeeded)
        {
            await ReleaseAsync(holdId, now, cancellationToken);
            return recheck.Failure!;
        }

        using (var turn = await database.WriteTurnAsync(cancellationToken))
        await using (var connection = await turn.OpenAsync(cancellationToken))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var confirmed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE bookings SET status = 'booked', mobile = @Mobile, email = @Email, confirmed_at = @now, hold_expires_at = NULL, updated_at = @now
                WHERE id = @holdId AND status = 'held' AND hold_expires_at > @now
                """,
                new { holdId, contact.Value!.Mobile, contact.Value.Email, now }, transaction, cancellationToken: cancellationToken));
            if (confirmed == 0)
            {
                // Lapsed or released between the read and now, or confirmed by a request racing this one.
                var current = await BookingRows.FindAsync(connection, transaction, "b.id = @holdId", new { holdId }, cancellationToken);
                return current?.Status == BookingStatus.Booked ? current.ToAppointment() : BookingCodes.HoldExpired;
            }

            if (facts is not null)
            {
                facts.Mobile = contact.Value.Mobile;
                facts.Email = contact.Value.Email;
                await BookingMessages.WriteAsync(connection, transaction, facts, holdId, MessageTemplates.BookingConfirmation, "confirmed", now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return row.ToAppointment() with
            {
                Status = BookingStatus.Booked, HoldExpiresAt = null, Mobile = contact.Value.Mobile, Email = contact.Value.Email, ConfirmedAt = now,
            };
        }
    }

    /// <summary>The eligibility and dose checks again, for the hold's slot, product and (for a later dose) first dose.</summary>
    private async Task<Result<HoldSlot.DosePlan>> RecheckAsync(BookingRows.Row row, SlotFacts? slot, CancellationToken cancellationToken)
    {
        if (row.FirstDoseReference is not null)
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var firstStatus = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT status FROM bookings WHERE id = @FirstDoseId", new { row.FirstDoseId }, cancellationToken: cancellationToken));
            if (firstStatus != BookingStatus.Booked)
            {
                return BookingCodes.FirstDoseNotBooked;
            }
        }

        var service = ServiceSuitability.Find(row.Service)!;
        if (slot is null || slot.SessionStatus != "active" || !slot.OffersService)
        {
            return BookingCodes.SlotUnavailable;
        }

        var plan = await HoldSlot.Plan(database, check, catalogue, People.NhsNumber.FromStored(row.NhsNumber), row.DateOfBirth, service, slot,
            row.ProductCode, row.FirstDoseReference, row.HoldId, cancellationToken);
        if (plan.Succeeded && plan.Value!.DoseNumber != row.DoseNumber)
        {
            return Failure.Conflict("dose-changed", "The register now shows a different dose is due; choose a time again.");
        }

        return plan;
    }

    /// <summary>
    /// The hold, its slot as a hold checks it (<see cref="SlotFacts"/>) and what the confirmation message will say, in one
    /// command: one round trip on PostgreSQL, three statements kept prepared on SQLite, all read before the write turn so
    /// that SQLite's one writer waits less.
    /// </summary>
    private Task<(BookingRows.Row? Row, SlotFacts? Slot, BookingMessages.Facts? Facts)> ReadHoldAsync(string holdId, CancellationToken cancellationToken) =>
        database.ReadAsync<(BookingRows.Row?, SlotFacts?, BookingMessages.Facts?)>(
            s_holdReads,
            command =>
            {
                Columns.Parameter(command, "holdId", holdId);
                Columns.Parameter(command, "bookingId", holdId);
            },
            async (r, ct) =>
            {
                var row = await r.ReadAsync(ct) ? BookingRows.Row.Read(r) : null;
                await r.NextResultAsync(ct);
                var slot = await r.ReadAsync(ct) ? SlotFacts.Read(r) : null;
                await r.NextResultAsync(ct);
                var facts = await r.ReadAsync(ct) ? BookingMessages.ReadFacts(r) : null;
                return (row, slot, facts);
            },
            cancellationToken);

    private static readonly string s_holdReads = $"{BookingRows.ById};\n{SlotFacts.ForHoldSql};\n{BookingMessages.SelectFacts}";

    private async Task ReleaseAsync(string holdId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var slots = (await connection.QueryAsync<long>(new CommandDefinition(
            """
            UPDATE bookings SET status = 'cancelled', cancelled_at = @now, cancel_reason = 'failed-recheck', updated_at = @now
            WHERE id = @holdId AND status = 'held' RETURNING slot_id
            """,
            new { holdId, now }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var slotId in slots)
        {
            await connection.ExecuteAsync(new CommandDefinition(BookingRows.ReleasePlace, new { slotId }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    internal static bool IsHoldId(string? value) => value is not null && HoldIdPattern().IsMatch(value.Trim());

    [GeneratedRegex("^[0-9a-fA-F]{32}$")]
    private static partial Regex HoldIdPattern();
}

/// <summary>How the person wants to hear about the appointment: a UK mobile (stored as 07…), an email address, either or both.</summary>
public sealed partial record Contact(string? Mobile, string? Email)
{
    public static Result<Contact> Validate(string? mobile, string? email)
    {
        string? phone = null;
        if (!string.IsNullOrWhiteSpace(mobile))
        {
            var digits = PhoneSeparators().Replace(mobile.Trim(), "");
            if (digits.StartsWith("+44", StringComparison.Ordinal))
            {
                digits = "0" + digits[3..];
            }

            if (!UkMobile().IsMatch(digits))
            {
                return Failure.Invalid("invalid-mobile", "The mobile number must be a UK mobile number, like 07700 900123.", "mobile");
            }

            phone = digits;
        }

        string? address = null;
        if (!string.IsNullOrWhiteSpace(email))
        {
            address = email.Trim();
            if (address.Length > 254 || !EmailShape().IsMatch(address))
            {
                return Failure.Invalid("invalid-email", "The email address must be like name@example.com.", "email");
            }
        }

        return new Contact(phone, address);
    }

    [GeneratedRegex(@"[\s()-]")]
    private static partial Regex PhoneSeparators();

    [GeneratedRegex("^07[0-9]{9}$")]
    private static partial Regex UkMobile();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();
}
