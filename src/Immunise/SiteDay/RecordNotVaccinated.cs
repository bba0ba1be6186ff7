using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Staff;
using Immunise.Storage;

namespace Immunise.SiteDay;

/// <summary>
/// Records that the person came to today's appointment but was not vaccinated, with a coded reason
/// (<see cref="NotVaccinatedReasons"/>): booked or checked-in → not-vaccinated, the outcome stored and audited
/// (<c>booking.not-vaccinated</c>) in one transaction. The same reason recorded again (a double submit) answers the
/// appointment as it is; anything else on a closed appointment is <c>appointment-closed</c> (or <c>already-vaccinated</c>).
/// </summary>
public sealed class RecordNotVaccinated(Database database, AuditLog audit, TimeProvider clock)
{
    public async Task<Result<DayAppointment>> HandleAsync(string siteOdsCode, string? reference, string? reason, StaffMember by, CancellationToken cancellationToken = default)
    {
        if (!StaffRoles.TryParseOdsCode(siteOdsCode, out var site))
        {
            return SiteDayCodes.SiteNotFound;
        }

        if (!NotVaccinatedReasons.TryParse(reason, out var why))
        {
            return SiteDayCodes.InvalidReason;
        }

        var now = clock.GetUtcNow();
        var today = London.Day(now);
        return await DayRows.ChangeAsync<DayAppointment>(database, site, reference, today, async (connection, transaction, row) =>
        {
            if (await DayRows.MoveAsync(connection, transaction, row, BookingStatus.NotVaccinated, "closed", by.Id, now, cancellationToken,
                    BookingStatus.Booked, BookingStatus.CheckedIn) is { } current)
            {
                return current.Status switch
                {
                    BookingStatus.NotVaccinated when current.NotVaccinatedReason == why => current.ToAppointment(),
                    BookingStatus.Vaccinated => SiteDayCodes.AlreadyVaccinated,
                    BookingStatus.Cancelled => SiteDayCodes.BookingCancelled,
                    _ => SiteDayCodes.AppointmentClosed(current.Status),
                };
            }

            var nhs = NhsNumber.FromStored(row.NhsNumber);
            var outcomeId = await RecordSiteVaccination.InsertOutcomeAsync(connection, transaction, site, today, row.BookingId, nhs, row.Programme, null, null,
                null, null, by, now, cancellationToken, reason: why);
            if (outcomeId is null)
            {
                return SiteDayCodes.AppointmentClosed(BookingStatus.NotVaccinated);
            }

            await audit.WriteAsync(connection, transaction, new AuditEntry(by.Actor, "booking.not-vaccinated", nhs, "Booking", row.Reference,
                $"site {site}, reason {why}"), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return row.ToAppointment() with { Status = BookingStatus.NotVaccinated, ClosedAt = now, ClosedBy = by.Id, NotVaccinatedReason = why };
        }, cancellationToken);
    }
}
