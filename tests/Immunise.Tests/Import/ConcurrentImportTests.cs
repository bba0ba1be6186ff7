using Dapper;
using Immunise.People;
using Immunise.Seeding;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Import;

public sealed class ConcurrentImportTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPeople_TwoImportsOfTheSamePeopleIntoAnEmptyRegister_StoreEachPersonOnce(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var clock = new FixedClock(s_now);
        var people = new SyntheticPopulation(3, clock).People(3_000, 0, withHistory: false).Select(p => p.Person).ToList();
        var first = new ImportPeople(db.Database, clock) { BatchSize = 250 };
        var second = new ImportPeople(db.Database, clock) { BatchSize = 250 };

        var results = await Task.WhenAll(
            Task.Run(() => first.HandleAsync(people)),
            Task.Run(() => second.HandleAsync(people.AsEnumerable().Reverse().ToList())));

        Assert.Equal(people.Count, results.Sum(r => r.Inserted));
        Assert.All(results, r => Assert.Equal(people.Count, r.Inserted + r.Updated + r.Unchanged));
        Assert.All(results, r => Assert.Equal(0, r.Rejected));
        await using var connection = await db.Database.OpenAsync();
        Assert.Equal(people.Count, await connection.ExecuteScalarAsync<int>("SELECT COUNT(DISTINCT nhs_number) FROM people"));
        Assert.Equal(people.Count, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM people"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPeople_IntoAnEmptyRegisterThenAgainWithChanges_ReportsInsertsThenUpdates(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var clock = new FixedClock(s_now);
        var people = new SyntheticPopulation(4, clock).People(1_000, 0, withHistory: false).Select(p => p.Person).ToList();
        var import = new ImportPeople(db.Database, clock) { BatchSize = 300 };

        var loaded = await import.HandleAsync(people);
        var changed = await import.HandleAsync(people.Select((p, i) => i % 10 == 0 ? p with { FamilyName = p.FamilyName + "-Smith" } : p).ToList());

        Assert.Equal((1_000L, 0L, 0L), (loaded.Inserted, loaded.Updated, loaded.Unchanged));
        Assert.Equal((0L, 100L, 900L), (changed.Inserted, changed.Updated, changed.Unchanged));
        var person = await new GetPerson(db.Database).HandleAsync(people[10].NhsNumber);
        Assert.Equal(people[10].FamilyName + "-Smith", person?.FamilyName);
    }
}
