using System.Globalization;
using Dapper;
using Immunise.Audit;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Stock;
using Immunise.Storage;

namespace Immunise.Seeding;

/// <summary>What <see cref="SeedSiteDay"/> added: the site (when it was missing), today's session, appointments, batches.</summary>
public sealed record SeededSiteDay(bool SiteAdded, bool SessionAdded, int Appointments, int Batches);

/// <summary>
/// A demo of the site's day: the demo staff's site (<c>Staff:DemoSite</c>) as a vaccination site, with a session today
/// (08:00–20:00, 15-minute slots), flu appointments today for demo people aged 65 or over with no flu vaccination this season,
/// and in-date stock (flu and COVID-19 batches, one running out). Each part is added only when missing, so every start on a
/// new day gives that day's list. Demo data only (Development): bookings are written directly, without the citizen journey.
/// </summary>
public sealed class SeedSiteDay(Database database, SiteStock stock, TimeProvider clock)
{
    private static readonly string[] s_services = ["COVID:18+", "FLU:65+", "FLU:18-64"];

    public async Task<SeededSiteDay> EnsureAsync(string siteOdsCode, string? region, int appointments, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var today = London.Day(now);
        var site = siteOdsCode.Trim().ToUpperInvariant();
        var siteAdded = await EnsureSiteAsync(site, region, now, cancellationToken);
        if (siteAdded is null)
        {
            return new SeededSiteDay(false, false, 0, 0); // no postcodes to place it at
        }

        var (sessionAdded, booked) = await EnsureAppointmentsAsync(site, today, appointments, now, cancellationToken);
        var batches = await EnsureStockAsync(site, today, cancellationToken);
        return new SeededSiteDay(siteAdded.Value, sessionAdded, booked, batches);
    }

    private async Task<(bool SessionAdded, int Booked)> EnsureAppointmentsAsync(string site, DateOnly today, int appointments, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var sessionAdded = false;
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM sessions WHERE site_ods_code = @site AND session_date = @today AND status = 'active'",
                new { site, today }, transaction, cancellationToken: cancellationToken)) == 0)
        {
            await SessionRows.InsertAsync(connection, transaction, SessionRows.NewId(), site,
                new SessionPlan(today, new TimeOnly(8, 0), new TimeOnly(20, 0), 15, 3, s_services), null, now, cancellationToken);
            sessionAdded = true;
        }

        var booked = 0;
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM bookings b JOIN slots sl ON sl.id = b.slot_id WHERE sl.site_ods_code = @site AND sl.slot_date = @today AND b.status <> 'held'",
                new { site, today }, transaction, cancellationToken: cancellationToken)) == 0)
        {
            var seasonStart = new DateOnly(today.Month >= 9 ? today.Year : today.Year - 1, 9, 1);
            var people = (await connection.QueryAsync<string>(new CommandDefinition(
                """
                SELECT p.nhs_number FROM people p
                WHERE p.date_of_birth <= @born AND p.date_of_death IS NULL
                    AND NOT EXISTS (SELECT 1 FROM vaccination_events v WHERE v.nhs_number = p.nhs_number AND v.target_disease = 'FLU' AND v.occurred_on >= @seasonStart)
                    AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.nhs_number = p.nhs_number AND b.programme = 'FLU' AND b.status IN ('held', 'booked', 'checked-in'))
                ORDER BY p.nhs_number LIMIT @appointments
                """,
                new { born = today.AddYears(-65), seasonStart, appointments }, transaction, cancellationToken: cancellationToken))).ToList();
            var slots = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT id FROM slots WHERE site_ods_code = @site AND slot_date = @today AND capacity > booked ORDER BY start_time",
                new { site, today }, transaction, cancellationToken: cancellationToken))).ToList();
            for (var i = 0; i < people.Count && slots.Count > 0; i++)
            {
                // Spread over the day: a few slots apart, so the list has appointments this morning, now and later.
                var slotId = slots[i * 3 % slots.Count];
                if (await connection.ExecuteAsync(new CommandDefinition(BookingRows.ClaimPlace, new { slotId }, transaction, cancellationToken: cancellationToken)) == 0)
                {
                    continue;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO bookings (id, reference, nhs_number, programme, service, dose_number, product_code, slot_id, site_ods_code, status,
                        created_at, created_by, confirmed_at, updated_at)
                    VALUES (@id, @reference, @nhs, 'FLU', 'FLU:65+', 1, NULL, @slotId, @site, 'booked', @now, 'demo', @now, @now)
                    """,
                    new { id = Guid.NewGuid().ToString("N"), reference = BookingReference.New(), nhs = people[i], slotId, site, now },
                    transaction, cancellationToken: cancellationToken));
                booked++;
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return (sessionAdded, booked);
    }

    /// <summary>Adds the site when missing (at the region's first postcode, else any); null when there is no postcode at all.</summary>
    private async Task<bool?> EnsureSiteAsync(string site, string? region, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM sites WHERE ods_code = @site", new { site },
                cancellationToken: cancellationToken)) > 0)
        {
            return false;
        }

        var place = await connection.QueryFirstOrDefaultAsync<(string Postcode, double Latitude, double Longitude, string? Region, string? Icb)>(new CommandDefinition(
            """
            SELECT postcode, latitude, longitude, region_ods_code, icb_ods_code FROM postcodes
            WHERE terminated_on IS NULL AND icb_ods_code IS NOT NULL
            ORDER BY CASE WHEN region_ods_code = @region THEN 0 ELSE 1 END, postcode LIMIT 1
            """,
            new { region }, cancellationToken: cancellationToken));
        if (place.Postcode is null)
        {
            return null;
        }

        var valid = new ValidSite(site, "Demo Medical Practice", "gp-led", "1 Surgery Lane", place.Postcode, ["step-free-access", "accessible-toilet"],
            "The demo site for staff: its appointments today are on the site's day page.", s_services, [], SiteRules.Online);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(SaveSite.InsertSql,
            SaveSite.Parameters(valid, new PostcodeLocation(place.Postcode, place.Latitude, place.Longitude, place.Region, place.Icb, true), now),
            transaction, cancellationToken: cancellationToken));
        await SaveSite.ReplaceServicesAsync(connection, transaction, valid, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>In-date batches for the demo: flu (plenty), flu (running out), COVID-19; each received when none of its product is in date.</summary>
    private async Task<int> EnsureStockAsync(string site, DateOnly today, CancellationToken cancellationToken)
    {
        var view = await stock.ViewAsync(site, cancellationToken);
        var inDate = view.Succeeded ? view.Value!.InDateDosesByProduct : new Dictionary<string, int>();
        var stamp = today.ToString("yyMMdd", CultureInfo.InvariantCulture);
        (string Product, string Batch, int Days, int Doses)[] wanted =
        [
            ("43207411000001105", $"FLU{stamp}A", 120, 300), // Cell-based Trivalent (Seqirus)
            ("45175511000001104", $"VXG{stamp}B", 5, 20), // Vaxigrip Trivalent: expiring soon
            ("42020711000001107", $"XBB{stamp}C", 60, 100), // Comirnaty Omicron XBB.1.5
        ];
        var received = 0;
        foreach (var (product, batch, days, doses) in wanted)
        {
            if (inDate.GetValueOrDefault(product) > 0)
            {
                continue;
            }

            var result = await stock.ReceiveAsync(site, new ReceiveBatchRequest(product, batch, today.AddDays(days), doses), Actor.System("demo"), cancellationToken);
            received += result.Succeeded ? 1 : 0;
        }

        return received;
    }
}
