using Dapper;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Geography;
using Immunise.Records;
using Immunise.Storage;

namespace Immunise.Sites;

/// <summary>
/// Sites near <see cref="Postcode"/> that offer <see cref="Service"/>: at most <see cref="Limit"/>, within
/// <see cref="MaxMiles"/>. <see cref="ProductCode"/>: only sites stocking that vaccine (a later dose of a course).
/// <see cref="OnlyWithAvailability"/>: only sites with a free place from now on.
/// </summary>
public sealed record FindSitesRequest(string? Postcode, string? Service, int Limit = 10, double MaxMiles = 50, string? ProductCode = null, bool OnlyWithAvailability = true);

/// <summary>A site in the results: its details, how far it is (great-circle, from the postcode's centroid) and its next free day.</summary>
public sealed record NearbySite(Site Site, double DistanceKm, double DistanceMiles, DateOnly? NextFreeDate);

public sealed record NearbySites(string Postcode, bool PostcodeExact, IReadOnlyList<NearbySite> Sites);

/// <summary>
/// "Sites near me": online sites offering a service, nearest first, with distance and next free date. The postcode is placed
/// by the postcode directory (its district's centre when the postcode itself is not listed). A bounding box on latitude and
/// longitude (indexed) picks the candidates, their exact distances order them, and the next free date is read for the
/// nearest few at a time until enough have availability.
/// </summary>
public sealed class FindSites(Database database, TimeProvider clock)
{
    public const int MaxLimit = 50;
    public const double MaxRadiusMiles = 200;
    public const double KmPerMile = 1.609344;

    /// <summary>The first ring searched, and how much each further ring widens it (up to the request's radius).</summary>
    private const double FirstRingMiles = 10;
    private const double RingGrowth = 2.5;

    public async Task<Result<NearbySites>> HandleAsync(FindSitesRequest request, CancellationToken cancellationToken = default)
    {
        if (!Postcode.TryNormalise(request.Postcode, out var postcode))
        {
            return Failure.Invalid("invalid-postcode", "The postcode is missing or not a valid UK postcode.", "postcode");
        }

        if (SiteRules.CanonicalService(request.Service) is not { } service)
        {
            return BookingCodes.UnknownService;
        }

        if (request.Limit is < 1 or > MaxLimit)
        {
            return Failure.Invalid("invalid-limit", $"limit must be 1 to {MaxLimit}.", "limit");
        }

        if (double.IsNaN(request.MaxMiles) || request.MaxMiles is <= 0 or > MaxRadiusMiles)
        {
            return Failure.Invalid("invalid-distance", $"maxMiles must be more than 0 and at most {MaxRadiusMiles}.", "maxMiles");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        // On SQLite a transaction would take the write lock: reads run without one.
        await using var transaction = database.Dialect.IsPostgres ? await connection.BeginTransactionAsync(cancellationToken) : null;
        if (transaction is not null)
        {
            // The statements below are prepared automatically once hot, and PostgreSQL's generic plan for them (made without
            // the parameters' values) was measured at ~1.5 s against ~10 ms for a plan made for the values: plan per call.
            await connection.ExecuteAsync(new CommandDefinition("SET LOCAL plan_cache_mode = force_custom_plan", transaction: transaction, cancellationToken: cancellationToken));
        }

        var location = await PostcodeLocation.FindAsync(connection, transaction, postcode, cancellationToken);
        if (location is null)
        {
            return Failure.NotFound("postcode-not-found", "The postcode is not in the postcode directory.");
        }

        // Rings: search a small radius first and widen it only when too few sites with a free place are inside it. Every site
        // within the radius is a candidate, so once enough are found inside it no site outside it could be nearer: the answer
        // is the one a search of the whole radius would give, at a fraction of the rows read in towns and cities.
        var product = request.ProductCode?.Trim();
        var now = clock.GetUtcNow();
        var nextFree = new Dictionary<string, DateOnly?>(StringComparer.Ordinal);
        var chosen = new List<(string OdsCode, double Km, DateOnly? Day)>();
        for (var miles = Math.Min(request.MaxMiles, FirstRingMiles); ; miles = Math.Min(request.MaxMiles, miles * RingGrowth))
        {
            chosen.Clear();
            var candidates = await CandidatesAsync(connection, transaction, location, miles * KmPerMile, service, product, cancellationToken);
            foreach (var chunk in candidates.Chunk(Math.Max(request.Limit, 10)))
            {
                await NextFreeAsync(connection, transaction, chunk.Select(c => c.OdsCode).Where(c => !nextFree.ContainsKey(c)).ToArray(), service, now, nextFree, cancellationToken);
                foreach (var (ods, km) in chunk)
                {
                    var day = nextFree[ods];
                    if (day is not null || !request.OnlyWithAvailability)
                    {
                        chosen.Add((ods, km, day));
                    }
                }

                if (chosen.Count >= request.Limit)
                {
                    break;
                }
            }

            if (chosen.Count >= request.Limit || miles >= request.MaxMiles)
            {
                break;
            }
        }

        chosen = chosen.Take(request.Limit).ToList();
        var inSites = database.Dialect.IsPostgres ? "= ANY(@sites)" : "IN @sites";
        var rows = chosen.Count == 0 ? [] : (await connection.QueryAsync<SiteRow>(new CommandDefinition(
            $"SELECT {SiteRow.Columns} FROM sites WHERE ods_code {inSites}",
            new { sites = chosen.Select(c => c.OdsCode).ToArray() }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.OdsCode, r => r.ToSite(), StringComparer.Ordinal);
        var found = chosen.Select(c => new NearbySite(rows[c.OdsCode], Math.Round(c.Km, 2), Math.Round(c.Km / KmPerMile, 2), c.Day)).ToList();
        return new NearbySites(postcode, location.Exact, found);
    }

    /// <summary>Online sites offering the service (and stocking the product) within <paramref name="radiusKm"/>, nearest first.</summary>
    private static async Task<List<(string OdsCode, double Km)>> CandidatesAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, PostcodeLocation location, double radiusKm,
        string service, string? product, CancellationToken cancellationToken)
    {
        var latDelta = radiusKm / 111.0;
        var lonDelta = radiusKm / (111.0 * Math.Max(0.1, Math.Cos(location.Latitude * Math.PI / 180)));
        // Candidates by bounding box, reading only what ordering them needs; full rows only for the sites answered.
        return (await connection.QueryAsync<Candidate>(new CommandDefinition(
            """
            SELECT ods_code, latitude, longitude, products FROM sites
            WHERE latitude BETWEEN @minLat AND @maxLat AND longitude BETWEEN @minLon AND @maxLon AND status = 'online'
              AND EXISTS (SELECT 1 FROM site_services ss WHERE ss.service = @service AND ss.ods_code = sites.ods_code)
            """,
            new
            {
                minLat = location.Latitude - latDelta, maxLat = location.Latitude + latDelta,
                minLon = location.Longitude - lonDelta, maxLon = location.Longitude + lonDelta, service,
            },
            transaction, cancellationToken: cancellationToken)))
            .Where(c => product is null || c.Products.Length == 0 || SiteRules.Split(c.Products).Contains(product))
            .Select(c => (c.OdsCode, Km: PostcodeLocation.DistanceKm(location.Latitude, location.Longitude, c.Latitude, c.Longitude)))
            .Where(c => c.Km <= radiusKm)
            .OrderBy(c => c.Km).ThenBy(c => c.OdsCode, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Each site's first day with a free place from now on (null: none), added to <paramref name="into"/>.</summary>
    private async Task NextFreeAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string[] sites, string service, DateTimeOffset now,
        Dictionary<string, DateOnly?> into, CancellationToken cancellationToken)
    {
        if (sites.Length == 0)
        {
            return;
        }

        // Dapper expands a list into one parameter per item for SQLite; Npgsql takes the array as one parameter.
        var inSites = database.Dialect.IsPostgres ? "= ANY(@sites)" : "IN @sites";
        var rows = await connection.QueryAsync<NextFree>(new CommandDefinition(
            $"""
            SELECT st.ods_code AS site,
                (SELECT sl.slot_date FROM slots sl JOIN sessions se ON se.id = sl.session_id
                 WHERE sl.site_ods_code = st.ods_code AND sl.slot_date >= @today AND sl.starts_at > @now AND sl.booked < sl.capacity
                   AND se.status = 'active'
                   AND EXISTS (SELECT 1 FROM session_services ss WHERE ss.session_id = sl.session_id AND ss.service = @service)
                 ORDER BY sl.slot_date LIMIT 1) AS day
            FROM sites st WHERE st.ods_code {inSites}
            """,
            new { today = London.Day(now), now, service, sites },
            transaction, cancellationToken: cancellationToken));
        foreach (var site in sites)
        {
            into[site] = null;
        }

        foreach (var row in rows)
        {
            into[row.Site] = row.Day;
        }
    }

    private sealed class Candidate
    {
        public string OdsCode { get; set; } = "";
        public double Latitude { get; set; }
        public double Longitude { get; set; }
        public string Products { get; set; } = "";
    }

    private sealed class NextFree
    {
        public string Site { get; set; } = "";
        public DateOnly? Day { get; set; }
    }
}
