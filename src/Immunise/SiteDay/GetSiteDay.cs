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
/// Which appointments of a site to list: a day (today by default), optionally one status, optionally a search: a name (any
/// part of the given or family name, ignoring case, accents, spaces and punctuation), an NHS number or a booking reference.
/// </summary>
public sealed record SiteDayQuery(string SiteOdsCode, DateOnly? Date = null, string? Status = null, string? Search = null);

/// <summary>
/// A site's appointments on a day, in time order, and how many there are of each status that day (whatever the filter).
/// </summary>
public sealed record SiteDayList(string SiteOdsCode, string SiteName, DateOnly Date, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<DayAppointment> Appointments)
{
    public int Total => Counts.Values.Sum();
}

/// <summary>
/// The appointment list for a site and day: every booking confirmed for the site that day (booked, checked in, vaccinated,
/// not vaccinated, did not attend, cancelled; never holds), filtered and searched. Every person shown is written to the
/// audit trail (<c>site-day.viewed</c>, one line per person, with the member of staff as actor) before the list is answered.
/// Only the named site's bookings are read: the caller checks the member of staff may see that site.
/// </summary>
public sealed class GetSiteDay(Database database, AuditLog audit, TimeProvider clock)
{
    public async Task<Result<SiteDayList>> HandleAsync(SiteDayQuery query, Actor actor, string? correlationId = null, CancellationToken cancellationToken = default)
    {
        if (!StaffRoles.TryParseOdsCode(query.SiteOdsCode, out var site))
        {
            return SiteDayCodes.SiteNotFound;
        }

        var today = London.Today(clock);
        var date = query.Date ?? today;
        if (date < today.AddDays(-366) || date > today.AddDays(366))
        {
            return SiteDayCodes.InvalidDate;
        }

        string? status = null;
        if (!string.IsNullOrWhiteSpace(query.Status) && !string.Equals(query.Status.Trim(), "all", StringComparison.OrdinalIgnoreCase))
        {
            status = query.Status.Trim().ToLowerInvariant();
            if (!DayStatuses.All.Contains(status))
            {
                return SiteDayCodes.InvalidStatus;
            }
        }

        Func<DayAppointment, bool> matches = _ => true;
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var search = query.Search.Trim();
            if (search.Length is < 2 or > 100)
            {
                return SiteDayCodes.InvalidSearch;
            }

            matches = Matcher(search);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var name = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT name FROM sites WHERE ods_code = @site", new { site }, cancellationToken: cancellationToken));
        if (name is null)
        {
            return SiteDayCodes.SiteNotFound;
        }

        var rows = await connection.QueryAsync<DayRows.Row>(new CommandDefinition(
            $"""
            {DayRows.Select}
            WHERE sl.site_ods_code = @site AND sl.slot_date = @date AND b.site_ods_code = @site
                AND (b.status IN ('booked', 'checked-in', 'vaccinated', 'not-vaccinated', 'did-not-attend')
                     OR (b.status = 'cancelled' AND b.confirmed_at IS NOT NULL))
            ORDER BY sl.starts_at, p.family_name, p.given_name, b.reference
            """,
            new { site, date }, cancellationToken: cancellationToken));
        var all = rows.Select(r => r.ToAppointment()).ToList();
        var counts = DayStatuses.All.ToDictionary(s => s, s => all.Count(a => a.Status == s), StringComparer.Ordinal);
        var shown = all.Where(a => (status is null || a.Status == status) && matches(a)).ToList();

        // Each person shown is a view of their details: audited before they are answered, whether or not the caller stays.
        var purpose = $"site {site} day {date:yyyy-MM-dd}";
        await Task.WhenAll(shown.Select(a => audit.WriteAsync(
            new AuditEntry(actor, "site-day.viewed", a.NhsNumber, "Booking", a.Reference, purpose, correlationId), CancellationToken.None)));
        return new SiteDayList(site, name, date, counts, shown);
    }

    /// <summary>
    /// One of today's appointments at the site, by booking reference, for a page that acts on it (audited as a view).
    /// Refused as check-in and recording are: another site, another day, cancelled, not found.
    /// </summary>
    public async Task<Result<DayAppointment>> AppointmentAsync(string siteOdsCode, string? reference, Actor actor, string? correlationId = null,
        CancellationToken cancellationToken = default)
    {
        if (!StaffRoles.TryParseOdsCode(siteOdsCode, out var site))
        {
            return SiteDayCodes.SiteNotFound;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var found = await DayRows.ForActionAsync(connection, null, site, reference, London.Today(clock), cancellationToken);
        if (!found.Succeeded)
        {
            return found.Failure!;
        }

        var appointment = found.Value!.ToAppointment();
        await audit.WriteAsync(new AuditEntry(actor, "site-day.viewed", appointment.NhsNumber, "Booking", appointment.Reference, $"site {site}", correlationId),
            CancellationToken.None);
        return appointment;
    }

    /// <summary>What a search matches: an NHS number, a booking reference, or else part of a name.</summary>
    internal static Func<DayAppointment, bool> Matcher(string search)
    {
        var digits = search.Where(c => c is not (' ' or '-')).ToArray();
        if (digits.Length == 10 && digits.All(char.IsAsciiDigit))
        {
            var nhs = new string(digits);
            return a => a.NhsNumber.Value == nhs;
        }

        var isReference = BookingReference.TryParse(search, out var reference);
        var name = MatchPerson.Normalise(search);
        return a => (isReference && a.Reference == reference)
            || (name.Length > 0 && (MatchPerson.Normalise(a.GivenName + a.FamilyName).Contains(name, StringComparison.Ordinal)
                || MatchPerson.Normalise(a.FamilyName + a.GivenName).Contains(name, StringComparison.Ordinal)));
    }
}
