using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Records;
using Immunise.Staff;
using Immunise.Storage;

namespace Immunise.SiteDay;

/// <summary>
/// Checks in a person arriving for today's appointment at the site: booked → checked-in, with the time and who did it,
/// audited (<c>booking.checked-in</c>) in the same transaction. Idempotent: checking in again answers the appointment as it
/// is (first time and member of staff kept). Refused for a booking of another site (<c>booking-at-another-site</c>) or
/// another day (<c>booking-not-today</c>), a cancelled one (<c>booking-cancelled</c>), or one already closed
/// (<c>appointment-closed</c>); refusals change nothing.
/// </summary>
public sealed class CheckIn(Database database, AuditLog audit, TimeProvider clock)
{
    public async Task<Result<DayAppointment>> HandleAsync(string siteOdsCode, string? reference, StaffMember by, CancellationToken cancellationToken = default)
    {
        if (!StaffRoles.TryParseOdsCode(siteOdsCode, out var site))
        {
            return SiteDayCodes.SiteNotFound;
        }

        var now = clock.GetUtcNow();
        var today = London.Day(now);
        return await DayRows.ChangeAsync<DayAppointment>(database, site, reference, today, async (connection, transaction, row) =>
        {
            if (await DayRows.MoveAsync(connection, transaction, row, BookingStatus.CheckedIn, "checked_in", by.Id, now, cancellationToken,
                    BookingStatus.Booked) is { } current)
            {
                return current.Status switch
                {
                    BookingStatus.CheckedIn => current.ToAppointment(), // checked in already (a double click, two receptionists)
                    BookingStatus.Cancelled => SiteDayCodes.BookingCancelled,
                    _ => SiteDayCodes.AppointmentClosed(current.Status),
                };
            }

            await audit.WriteAsync(connection, transaction, new AuditEntry(by.Actor, "booking.checked-in", People.NhsNumber.FromStored(row.NhsNumber),
                "Booking", row.Reference, $"site {site}"), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return row.ToAppointment() with { Status = BookingStatus.CheckedIn, CheckedInAt = now, CheckedInBy = by.Id };
        }, cancellationToken);
    }
}
