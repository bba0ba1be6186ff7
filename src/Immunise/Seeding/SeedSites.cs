using System.Globalization;
using Dapper;
using Immunise.Availability;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Storage;

namespace Immunise.Seeding;

/// <summary>
/// Synthetic vaccination sites across England for demos and benchmarks, the same for a seed: sites placed at postcodes of
/// the loaded directory, spread over every ICB (round robin), of every type, offering COVID-19 and flu services (some RSV
/// and children's), with a session on every day but Sunday for the coming <c>days</c> (09:00–17:00, 15-minute slots).
/// </summary>
public sealed class SeedSites(Database database, TimeProvider clock)
{
    public const string OdsPrefix = "SYN";

    /// <summary>Seeds <paramref name="sites"/> sites and their sessions when the sites table is empty; returns how many sites were added.</summary>
    public async Task<int> SeedIfEmptyAsync(int sites, int days, int seed, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM (SELECT 1 FROM sites LIMIT 1) x", cancellationToken: cancellationToken)) > 0)
            {
                return 0;
            }
        }

        return await SeedAsync(sites, days, seed, progress, cancellationToken);
    }

    public async Task<int> SeedAsync(int sites, int days, int seed, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var random = new Random(seed);
        List<(string Postcode, double Latitude, double Longitude, string? Region, string? Icb)> places;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            places = (await connection.QueryAsync<(string, double, double, string?, string?)>(new CommandDefinition(
                "SELECT postcode, latitude, longitude, region_ods_code, icb_ods_code FROM postcodes WHERE icb_ods_code IS NOT NULL AND terminated_on IS NULL ORDER BY postcode",
                cancellationToken: cancellationToken))).ToList();
        }

        if (places.Count == 0)
        {
            return 0;
        }

        // Round robin over ICBs, a different postcode each time, so sites spread over the country.
        var byIcb = places.GroupBy(p => p.Icb!).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.OrderBy(_ => random.Next()).ToList()).ToList();
        var chosen = new List<(string Postcode, double Latitude, double Longitude, string? Region, string? Icb)>();
        for (var round = 0; chosen.Count < sites && round < places.Count; round++)
        {
            foreach (var icb in byIcb.Where(g => round < g.Count))
            {
                if (chosen.Count < sites)
                {
                    chosen.Add(icb[round]);
                }
            }
        }

        var today = London.Today(clock);
        var now = clock.GetUtcNow();
        string[] types = ["vaccination-centre", "community-pharmacy", "community-pharmacy", "gp-led", "hospital-hub"];
        string[] names = ["Vaccination Centre", "Pharmacy", "Chemist", "Medical Practice", "Hospital Hub"];
        string[] accessibility = ["step-free-access", "accessible-toilet", "parking", "hearing-loop", "bsl-interpreter", "quiet-room"];
        for (var i = 0; i < chosen.Count; i++)
        {
            var place = chosen[i];
            var kind = i % types.Length;
            var services = new List<string> { "COVID:18+", "FLU:65+", "FLU:18-64" };
            if (kind is 0 or 4)
            {
                services.Add("RSV:Adult");
            }

            if (kind == 3)
            {
                services.AddRange(["COVID:12-17", "FLU:2-17"]);
            }

            var ods = OdsPrefix + (i + 1).ToString("D5", CultureInfo.InvariantCulture);
            var site = new ValidSite(ods, $"{Geography.Postcode.Outcode(place.Postcode)} {names[kind]}", types[kind],
                $"{1 + random.Next(200)} High Street", place.Postcode, accessibility.Where(_ => random.Next(2) == 0).ToList(),
                kind == 0 ? "Follow the signs from the car park. Bring your NHS number if you know it." : null, services, [], SiteRules.Online);
            var location = new PostcodeLocation(place.Postcode, place.Latitude, place.Longitude, place.Region, place.Icb, true);
            var capacity = kind is 0 or 4 ? 4 : 2;
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(SaveSite.InsertSql, SaveSite.Parameters(site, location, now), transaction, cancellationToken: cancellationToken));
            await SaveSite.ReplaceServicesAsync(connection, transaction, site, cancellationToken);
            for (var day = today; day < today.AddDays(days); day = day.AddDays(1))
            {
                if (day.DayOfWeek == DayOfWeek.Sunday)
                {
                    continue;
                }

                var plan = new SessionPlan(day, new TimeOnly(9, 0), new TimeOnly(17, 0), 15, capacity, services);
                await SessionRows.InsertAsync(connection, transaction, SessionRows.NewId(), ods, plan, null, now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            if ((i + 1) % 100 == 0)
            {
                progress?.Report($"Sites: {i + 1:N0} of {chosen.Count:N0}");
            }
        }

        return chosen.Count;
    }
}
