using System.Globalization;
using Immunise.Seeding;

namespace Immunise.Geography;

/// <summary>
/// A made-up but plausible postcode directory for demos and tests, the same every time for a seed: for each ICB's real
/// postcode districts (outcodes), <c>perOutcode</c> postcodes <c>"{outcode} {digit}{letter}{letter}"</c> near the ICB's
/// centre, with its region and ICB, an LSOA-like code and a deprivation decile. Not real postcodes' positions.
/// </summary>
public static class SyntheticPostcodeDirectory
{
    public const int DefaultPerOutcode = 20;
    public const int DefaultSeed = 1;

    /// <summary>The letters allowed in the last two characters of a UK postcode.</summary>
    public const string InwardLetters = "ABDEFGHJLNPQRSTUWXYZ";

    public static IEnumerable<PostcodeEntry> Generate(int perOutcode = DefaultPerOutcode, int seed = DefaultSeed, ReferenceGeography? geography = null)
    {
        geography ??= ReferenceGeography.Default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var icbIndex = 0;
        foreach (var icb in geography.Icbs)
        {
            icbIndex++;
            var outcodeIndex = 0;
            foreach (var outcode in icb.Outcodes)
            {
                outcodeIndex++;
                var random = SyntheticRandom.For(seed, icbIndex * 1_000 + outcodeIndex, stream: 7);
                var outLatitude = icb.Latitude + ((random.NextDouble() * 2) - 1) * 0.15;
                var outLongitude = icb.Longitude + ((random.NextDouble() * 2) - 1) * 0.15;

                // Deprivation clusters by district: each outcode has a typical decile and its postcodes vary around it.
                var typicalDecile = 1 + random.Next(10);
                var made = 0;
                var attempts = 0;
                while (made < perOutcode && attempts++ < perOutcode * 20)
                {
                    var inward = string.Concat(
                        ((char)('0' + random.Next(10))).ToString(),
                        InwardLetters[random.Next(InwardLetters.Length)].ToString(),
                        InwardLetters[random.Next(InwardLetters.Length)].ToString());
                    var postcode = $"{outcode.ToUpperInvariant()} {inward}";
                    if (!seen.Add(postcode))
                    {
                        continue;
                    }

                    made++;
                    var decile = Math.Clamp(typicalDecile + random.Next(-2, 3), 1, 10);
                    yield return new PostcodeEntry(
                        postcode,
                        Math.Round(outLatitude + ((random.NextDouble() * 2) - 1) * 0.02, 6),
                        Math.Round(outLongitude + ((random.NextDouble() * 2) - 1) * 0.02, 6),
                        icb.RegionOdsCode,
                        icb.OdsCode,
                        "E01" + random.Next(1_000_000).ToString("D6", CultureInfo.InvariantCulture),
                        decile);
                }
            }
        }
    }
}
