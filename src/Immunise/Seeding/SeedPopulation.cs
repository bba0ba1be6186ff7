using Dapper;
using Immunise.Common;
using Immunise.Geography;
using Immunise.People;
using Immunise.Records;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Seeding;

/// <summary>
/// Fills the register with synthetic people: the synthetic postcode directory when there are no postcodes, then people
/// (numbered after the highest synthetic NHS number already present) and their vaccination histories, through the same
/// bulk imports as files use. People are generated twice — once for the people, once for their histories — rather than
/// held in memory, so millions stream through.
/// </summary>
public sealed class SeedPopulation(Database database, TimeProvider clock)
{
    /// <summary>Seeds the synthetic postcode directory when the postcodes table is empty; returns how many were added.</summary>
    public async Task<int> SeedPostcodesIfEmptyAsync(int perOutcode = SyntheticPostcodeDirectory.DefaultPerOutcode, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM (SELECT 1 FROM postcodes LIMIT 1) x") > 0)
            {
                return 0;
            }
        }

        return await SeedPostcodesAsync(perOutcode, progress, cancellationToken);
    }

    /// <summary>Upserts the synthetic postcode directory; returns how many postcodes were inserted.</summary>
    public async Task<int> SeedPostcodesAsync(int perOutcode = SyntheticPostcodeDirectory.DefaultPerOutcode, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var summary = await new ImportPostcodes(database).HandleAsync(SyntheticPostcodeDirectory.Generate(perOutcode), progress, cancellationToken);
        return (int)summary.Inserted;
    }

    public async Task<SeedResult> SeedAsync(int people, int seed, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        progress?.Report("Postcode directory");
        var postcodes = await SeedPostcodesIfEmptyAsync(cancellationToken: cancellationToken);
        var (byIcb, firstIndex) = await ReadStartAsync(cancellationToken);
        var population = new SyntheticPopulation(seed, clock, byIcb);

        progress?.Report($"People: {people:N0}");
        var stored = await new ImportPeople(database, clock).HandleAsync(
            population.People(people, firstIndex, withHistory: false).Select(p => p.Person), null, cancellationToken);

        progress?.Report("Vaccination histories");
        var events = await new ImportVaccinations(database, clock, VaccineCatalogue.Default).HandleAsync(
            ImportRunner.ToAsync(population.People(people, firstIndex).SelectMany(p => p.Vaccinations)), "seed", null, cancellationToken);
        return new SeedResult(postcodes, (int)stored.Inserted, (int)events.Inserted, AlreadySeeded: false);
    }

    /// <summary>Seeds with progress reported as import counts (for progress bars): people first, then vaccinations.</summary>
    public async Task<(ImportSummary People, ImportSummary Vaccinations, int Postcodes)> SeedAsync(
        int people, int seed, IProgress<ImportProgress>? peopleProgress, IProgress<ImportProgress>? vaccinationProgress, CancellationToken cancellationToken)
    {
        var postcodes = await SeedPostcodesIfEmptyAsync(cancellationToken: cancellationToken);
        var (byIcb, firstIndex) = await ReadStartAsync(cancellationToken);
        var population = new SyntheticPopulation(seed, clock, byIcb);
        var stored = await new ImportPeople(database, clock).HandleAsync(
            population.People(people, firstIndex, withHistory: false).Select(p => p.Person), peopleProgress, cancellationToken);
        var events = await new ImportVaccinations(database, clock, VaccineCatalogue.Default).HandleAsync(
            ImportRunner.ToAsync(population.People(people, firstIndex).SelectMany(p => p.Vaccinations)), "seed", vaccinationProgress, cancellationToken);
        return (stored, events, postcodes);
    }

    private async Task<(Dictionary<string, IReadOnlyList<string>> ByIcb, long FirstIndex)> ReadStartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);

        // Up to 500 live postcodes per ICB to place people in (whatever directory is loaded: synthetic or ONSPD).
        var rows = await connection.QueryAsync<(string Icb, string Postcode)>(new CommandDefinition(
            """
            SELECT icb_ods_code, postcode FROM (
                SELECT icb_ods_code, postcode, ROW_NUMBER() OVER (PARTITION BY icb_ods_code ORDER BY postcode) AS n
                FROM postcodes WHERE icb_ods_code IS NOT NULL AND terminated_on IS NULL
            ) ranked WHERE n <= 500
            """, cancellationToken: cancellationToken));
        var byIcb = rows.GroupBy(r => r.Icb).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.Postcode).ToList());

        // Continue after the highest synthetic NHS number already in the register (999 range, then 998).
        long firstIndex = 0;
        foreach (var range in new[] { "999", "998" })
        {
            var highest = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                $"SELECT MAX(nhs_number) FROM people WHERE nhs_number >= '{range}0000000' AND nhs_number <= '{range}9999999'",
                cancellationToken: cancellationToken));
            if (highest is not null && NhsNumber.TryParse(highest, out var number) && SyntheticPopulation.IndexOf(number) is { } index)
            {
                firstIndex = Math.Max(firstIndex, index + 1);
            }
        }

        return (byIcb, firstIndex);
    }
}
