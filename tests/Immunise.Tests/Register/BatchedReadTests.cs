using System.Text.Json;
using Dapper;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Seeding;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Register;

/// <summary>
/// Many lookups at once against a real database. On PostgreSQL they are answered in batches (decision 010): each caller must
/// still get exactly their own person, history and eligibility data, the same as the register's unbatched reads give.
/// </summary>
public sealed class BatchedReadTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ConcurrentLookups_EachCallerGetsTheirOwnPersonHistoryAndData(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await new SeedPopulation(db.Database, TimeProvider.System).SeedAsync(300, seed: 21);
        await using var connection = await db.Database.OpenAsync();
        var stored = (await connection.QueryAsync<(string Nhs, string Given, string Family)>(
            "SELECT nhs_number, given_name, family_name FROM people ORDER BY nhs_number")).ToList();
        var absent = Enumerable.Range(0, 40).Select(i => NhsNumber.FromFirstNine(998_000_000 + i)).OfType<NhsNumber>()
            .Where(n => stored.All(s => s.Nhs != n.Value)).Take(20).ToList();
        var people = new GetPerson(db.Database);
        var history = new GetVaccinationHistory(db.Database);
        var data = new RegisterPersonData(db.Database);

        // Unbatched answers to compare with: history through its SQL filter path (a date range), data through whole-register pages.
        var expectedHistory = new Dictionary<string, string>();
        foreach (var (nhs, _, _) in stored)
        {
            var events = await history.HandleAsync(new VaccinationHistoryQuery(NhsNumber.FromStored(nhs), ["COVID19"], From: new DateOnly(1900, 1, 1)));
            expectedHistory[nhs] = string.Join(",", events.Select(e => e.Id));
        }

        var expectedData = new Dictionary<string, string>();
        await foreach (var page in data.PagesAsync(null, null))
        {
            foreach (var person in page)
            {
                expectedData[person.Row("PERSON")!["NHS_NUMBER"]!] = JsonSerializer.Serialize(person);
            }
        }

        Assert.Contains(expectedHistory.Values, ids => ids.Contains(',', StringComparison.Ordinal)); // some people have several doses

        // Everyone three times over, and the absent, all at once and in a shuffled order.
        var asks = stored.Select(s => s.Nhs).Concat(stored.Select(s => s.Nhs)).Concat(stored.Select(s => s.Nhs))
            .Concat(absent.Select(a => a.Value)).OrderBy(n => HashCode.Combine(n, 7)).ToList();
        var answers = await Task.WhenAll(asks.Select(async nhs =>
        {
            await Task.Yield();
            var number = NhsNumber.FromStored(nhs);
            var person = await people.HandleAsync(number);
            var events = await history.HandleAsync(new VaccinationHistoryQuery(number, ["COVID19"]));
            var personData = await data.ForAsync(number);
            return (nhs, person, events, personData);
        }));

        foreach (var (nhs, person, events, personData) in answers)
        {
            if (stored.FirstOrDefault(s => s.Nhs == nhs) is { Nhs: not null } row)
            {
                Assert.NotNull(person);
                Assert.Equal((row.Nhs, row.Given, row.Family), (person.NhsNumber.Value, person.GivenName, person.FamilyName));
                Assert.Equal(expectedHistory[nhs], string.Join(",", events.Select(e => e.Id)));
                Assert.All(events, e => Assert.Equal(nhs, e.NhsNumber.Value));
                Assert.Equal(expectedData[nhs], JsonSerializer.Serialize(personData));
            }
            else
            {
                Assert.Null(person);
                Assert.Empty(events);
                Assert.Null(personData);
            }
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BatchedReads_OnlyOnPostgresql(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);

        var batcher = db.Database.BatchedReads<string, string>(keys => Task.FromResult<IReadOnlyDictionary<string, string>>(keys.ToDictionary(k => k, k => k)));

        Assert.Equal(provider == DatabaseProvider.Postgres, batcher is not null);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task History_EnteredInErrorAndTargets_FilterTheSameWithAndWithoutADateRange(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await new SeedPopulation(db.Database, TimeProvider.System).SeedAsync(120, seed: 5);
        await using var connection = await db.Database.OpenAsync();
        var withEvents = (await connection.QueryAsync<string>("SELECT DISTINCT nhs_number FROM vaccination_events ORDER BY nhs_number")).Take(30).ToList();
        await connection.ExecuteAsync("UPDATE vaccination_events SET status = 'entered-in-error' WHERE id IN (SELECT id FROM vaccination_events ORDER BY id LIMIT 15)");
        var history = new GetVaccinationHistory(db.Database);

        foreach (var nhs in withEvents)
        {
            foreach (var (targets, includeErrors) in new (string[]? Targets, bool IncludeErrors)[] { (null, false), (null, true), (["FLU"], false), (["COVID19", "FLU"], true) })
            {
                var query = new VaccinationHistoryQuery(NhsNumber.FromStored(nhs), targets, IncludeEnteredInError: includeErrors);
                var plain = await history.HandleAsync(query);
                var ranged = await history.HandleAsync(query with { From = new DateOnly(1900, 1, 1), To = new DateOnly(2999, 12, 31) });
                Assert.Equal(ranged.Select(e => (e.Id, e.Status, e.TargetDisease)), plain.Select(e => (e.Id, e.Status, e.TargetDisease)));
            }
        }
    }
}
