using System.Data.Common;
using Dapper;

namespace Immunise.Sites;

/// <summary>Where a postcode is, from the postcode directory: its own centroid, or its district's when the postcode is not listed.</summary>
public sealed record PostcodeLocation(string Postcode, double Latitude, double Longitude, string? RegionOdsCode, string? IcbOdsCode, bool Exact)
{
    private const double EarthRadiusKm = 6_371.0088;

    /// <summary>
    /// The postcode's entry; else the mean position of its district's postcodes (a postcode the directory has not caught
    /// up with), with the district's most common region and ICB; else null.
    /// </summary>
    public static async Task<PostcodeLocation?> FindAsync(DbConnection connection, DbTransaction? transaction, string canonical, CancellationToken cancellationToken)
    {
        var exact = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT latitude, longitude, region_ods_code, icb_ods_code FROM postcodes WHERE postcode = @canonical",
            new { canonical }, transaction, cancellationToken: cancellationToken));
        if (exact is not null)
        {
            return new PostcodeLocation(canonical, exact.Latitude, exact.Longitude, exact.RegionOdsCode, exact.IcbOdsCode, Exact: true);
        }

        var district = (await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT latitude, longitude, region_ods_code, icb_ods_code FROM postcodes WHERE postcode LIKE @prefix LIMIT 500",
            new { prefix = Geography.Postcode.Outcode(canonical) + " %" }, transaction, cancellationToken: cancellationToken))).ToList();
        if (district.Count == 0)
        {
            return null;
        }

        static string? MostCommon(IEnumerable<string?> codes) =>
            codes.Where(c => c is not null).GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault();

        return new PostcodeLocation(
            canonical,
            Math.Round(district.Average(r => r.Latitude), 6),
            Math.Round(district.Average(r => r.Longitude), 6),
            MostCommon(district.Select(r => r.RegionOdsCode)),
            MostCommon(district.Select(r => r.IcbOdsCode)),
            Exact: false);
    }

    /// <summary>Great-circle distance in kilometres (haversine).</summary>
    public static double DistanceKm(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(latitude2 - latitude1);
        var dLon = Radians(longitude2 - longitude1);
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + Math.Cos(Radians(latitude1)) * Math.Cos(Radians(latitude2)) * Math.Pow(Math.Sin(dLon / 2), 2);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    private sealed class Row
    {
        public double Latitude { get; set; }
        public double Longitude { get; set; }
        public string? RegionOdsCode { get; set; }
        public string? IcbOdsCode { get; set; }
    }
}
