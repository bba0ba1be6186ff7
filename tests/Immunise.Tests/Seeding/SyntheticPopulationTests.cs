using Dapper;
using Immunise.Geography;
using Immunise.People;
using Immunise.Records;
using Immunise.Seeding;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Vaccines;

namespace Immunise.Tests.Seeding;

public sealed class SyntheticPopulationTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SyntheticPopulation_SameSeed_GivesTheSamePeople_OtherSeedDiffers()
    {
        var clock = new FixedClock(s_now);

        var first = new SyntheticPopulation(7, clock).People(200).Select(p => (p.Person.NhsNumber.Value, p.Person.GivenName, p.Person.FamilyName, p.Person.DateOfBirth)).ToList();
        var again = new SyntheticPopulation(7, clock).People(200).Select(p => (p.Person.NhsNumber.Value, p.Person.GivenName, p.Person.FamilyName, p.Person.DateOfBirth)).ToList();
        var other = new SyntheticPopulation(8, clock).People(200).Select(p => (p.Person.NhsNumber.Value, p.Person.GivenName, p.Person.FamilyName, p.Person.DateOfBirth)).ToList();

        Assert.Equal(first, again);
        Assert.Equal(first.Select(p => p.Value), other.Select(p => p.Value));
        Assert.NotEqual(first.Select(p => (p.GivenName, p.FamilyName)), other.Select(p => (p.GivenName, p.FamilyName)));
    }

    [Fact]
    public void SyntheticPopulation_20000People_HaveEnglandsShape()
    {
        var people = new SyntheticPopulation(42, new FixedClock(s_now)).People(20_000, withHistory: false).Select(p => p.Person).ToList();
        var today = DateOnly.FromDateTime(s_now.UtcDateTime);

        Assert.Equal(20_000, people.Select(p => p.NhsNumber).Distinct().Count());
        Assert.All(people, p => Assert.True(NhsNumber.TryParse(p.NhsNumber.Value, out _) && p.NhsNumber.IsSynthetic, p.NhsNumber.Value));
        var over65 = people.Count(p => p.AgeOn(today) >= 65) / 20_000.0;
        Assert.InRange(over65, 0.15, 0.23);
        Assert.InRange(people.Count(p => p.AgeOn(today) < 18) / 20_000.0, 0.17, 0.25);
        Assert.InRange(people.Count(p => p.Sex == Sex.Female) / 20_000.0, 0.48, 0.54);
        Assert.InRange(people.Count(p => p.Ethnicity == "A") / 20_000.0, 0.68, 0.78);
        var directory = SyntheticPostcodeDirectory.Generate().ToDictionary(p => p.Postcode, p => p.IcbOdsCode);
        Assert.All(people, p => Assert.True(directory.ContainsKey(p.Postcode), p.Postcode));
        Assert.Equal(ReferenceGeography.Default.Icbs.Count, people.Select(p => directory[p.Postcode]).Distinct().Count());
        var adults = people.Where(p => p.AgeOn(today) >= 18).ToList();
        Assert.InRange(adults.Count(p => p.ClinicalRiskGroups.Contains("DIABETES")) / (double)adults.Count, 0.04, 0.11);
        Assert.InRange(adults.Count(p => p.Mobile is not null) / (double)adults.Count, 0.80, 0.90);
        Assert.All(people.Where(p => p.Mobile is not null), p => Assert.Matches(@"^\+447700900\d{3}$", p.Mobile!));
        Assert.All(people, p => Assert.Matches("^[A-Z][0-9]{5}$", p.GpPracticeCode!));
        Assert.All(people, p => Assert.True(p.DateOfBirth <= today && (p.DateOfDeath is null || (p.DateOfDeath >= p.DateOfBirth && p.DateOfDeath <= today))));
    }

    [Fact]
    public void SyntheticPopulation_Vaccinations_FollowTheDoseRulesAndAreNeverInTheFuture()
    {
        var catalogue = VaccineCatalogue.Default;
        var population = new SyntheticPopulation(42, new FixedClock(s_now)).People(5_000).ToList();
        var events = population.SelectMany(p => p.Vaccinations).ToList();

        Assert.True(events.Count > 5_000, $"only {events.Count} events");
        Assert.Contains(events, e => e.TargetDisease == "FLU");
        Assert.Contains(events, e => e.DoseNumber >= 3);
        foreach (var person in population)
        {
            var history = new List<VaccinationEvent>();
            foreach (var e in person.Vaccinations.OrderBy(e => e.OccurredAt))
            {
                Assert.True(e.OccurredAt <= s_now, "in the future");
                Assert.True(London.Day(e.OccurredAt) >= person.Person.DateOfBirth, "before birth");
                var product = catalogue.FindProduct(e.ProductCode)!;
                var disease = catalogue.DiseaseOf(product);
                var check = DoseRules.Check(e, product, disease, history.Where(h => h.TargetDisease == disease.Target).ToList(), catalogue);
                Assert.True(check.Succeeded, $"{e.Id}: {check.Failure?.Code} {check.Failure?.Message}");
                Assert.Equal(e.DoseNumber, check.Value);
                history.Add(e);
            }
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task DemoData_SeedIfEmpty_SeedsOnceThenReportsAlreadySeeded(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var demo = new DemoData(db.Database, new FixedClock(s_now));

        var first = await demo.SeedIfEmptyAsync(2_000, 1, null, CancellationToken.None);
        var second = await demo.SeedIfEmptyAsync(2_000, 1, null, CancellationToken.None);

        Assert.False(first.AlreadySeeded);
        Assert.Equal(2_000, first.People);
        Assert.True(first.Postcodes > 5_000);
        Assert.True(first.Vaccinations > 2_000);
        Assert.Equal(new SeedResult(0, 0, 0, true), second);
        await using var connection = await db.Database.OpenAsync();
        Assert.Equal(2_000, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM people"));
        Assert.Equal(first.Vaccinations, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM vaccination_events"));
    }

    [Fact]
    public async Task DemoData_TwoNodesStartingTogetherOnPostgres_SeedThePopulationOnce()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var otherNode = new Database(db.Options);
        var clock = new FixedClock(s_now);

        var results = await Task.WhenAll(
            Task.Run(() => new DemoData(db.Database, clock).SeedIfEmptyAsync(1_500, 1, null, CancellationToken.None)),
            Task.Run(() => new DemoData(otherNode, clock).SeedIfEmptyAsync(1_500, 1, null, CancellationToken.None)));

        Assert.Single(results, r => r.AlreadySeeded);
        Assert.Single(results, r => !r.AlreadySeeded && r.People == 1_500);
        await using var connection = await db.Database.OpenAsync();
        Assert.Equal(1_500, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM people"));
    }

    [Fact]
    public async Task SeedPopulation_OnNonEmptyRegister_ContinuesAfterTheHighestSyntheticNumber()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var seeder = new SeedPopulation(db.Database, new FixedClock(s_now));
        await seeder.SeedAsync(100, 1, null, CancellationToken.None);

        var more = await seeder.SeedAsync(100, 1, null, CancellationToken.None);

        Assert.Equal(100, more.People);
        await using var connection = await db.Database.OpenAsync();
        Assert.Equal(200, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM people"));
    }
}
