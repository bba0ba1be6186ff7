using System.Text.Json.Nodes;
using Dapper;
using Immunise.Eligibility;
using Immunise.Seeding;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Immunise.Tests.Eligibility;

/// <summary>
/// The whole-register count compiles a campaign over the register's columns (<see cref="CountPlan"/>, <see cref="RegisterScan"/>);
/// the engine, person by person, is the reference. Both must give the same counts for every campaign we have: NHS England's
/// regression configs (every operator and attribute level they use) over a seeded register given random memberships of their
/// cohorts, and our shipped campaigns on days across their iterations.
/// </summary>
public sealed class CompiledCountTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task EveryRegressionConfig_CountsAsTheEngineDoes(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await new SeedPopulation(database.Database, TimeProvider.System).SeedAsync(400, seed: 7);
        var now = ScenarioFixtures.LondonNow;
        var today = DateOnly.FromDateTime(now);
        var configs = new List<CampaignConfig>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(ScenarioFixtures.Root, "configs"), "*.json", SearchOption.AllDirectories)
            .Where(p => !p.Contains("consumerMappings", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var text = RegressionScenarioTests.ReopenClosedLiteralWindow(File.ReadAllText(path), today);
            if (CampaignConfigLoader.TryParse(ScenarioFixtures.Substitute(text, now), Path.GetFileName(path), out var config, out _))
            {
                configs.Add(config!);
            }
        }

        var labels = configs.SelectMany(c => c.Iterations).SelectMany(i => i.Cohorts).Where(c => !c.IsVirtual)
            .Select(c => c.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        await GiveCohortsAsync(database.Database, labels, seed: 3);

        var counter = Counter(database.Database);
        var compiled = 0;
        var decided = 0;
        foreach (var config in configs)
        {
            var request = new CohortCountRequest(config.Id, today);
            var engine = await counter.CountAsync([config], request, null, CountMethod.Engine, CancellationToken.None);
            var fast = await counter.CountAsync([config], request, null, CountMethod.Compiled, CancellationToken.None);

            Assert.Equal(400, fast.People);
            Assert.Equal(Describe(engine), Describe(fast));
            compiled += fast.Method == CountMethod.Compiled ? 1 : 0;
            decided += engine.Statuses.Count > 0 ? 1 : 0;
        }

        Assert.True(configs.Count > 100, $"only {configs.Count} regression configs loaded");
        Assert.True(decided > 50, $"only {decided} configs decided anything today");
        Assert.True(compiled > configs.Count / 2, $"only {compiled} of {configs.Count} configs compiled");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ShippedCampaigns_AcrossTheirIterations_CountAsTheEngineDoes(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await new SeedPopulation(database.Database, TimeProvider.System).SeedAsync(1_000, seed: 11);
        var shipped = ShippedCampaigns.Files().Select(f => CampaignConfigLoader.Parse(f.Json, f.Source)).ToList();
        await GiveCohortsAsync(database.Database, [.. shipped.SelectMany(c => c.Iterations).SelectMany(i => i.Cohorts).Select(c => c.Label).Distinct()], seed: 5);
        var counter = Counter(database.Database);
        var days = new DateOnly[]
        {
            new(2020, 12, 8), new(2021, 1, 18), new(2021, 2, 15), new(2021, 3, 1), new(2021, 4, 13), new(2021, 5, 26),
            new(2021, 6, 18), new(2021, 7, 20), new(2025, 10, 1), new(2025, 12, 24), new(2026, 3, 31), new(2026, 4, 13), new(2026, 6, 30),
        };
        var withCohorts = 0;
        foreach (var campaign in shipped)
        {
            foreach (var day in days)
            {
                var request = new CohortCountRequest(campaign.Id, day);
                var engine = await counter.CountAsync([campaign], request, null, CountMethod.Engine, CancellationToken.None);
                var fast = await counter.CountAsync([campaign], request, null, CountMethod.Compiled, CancellationToken.None);

                Assert.True(fast.Method == CountMethod.Compiled, $"{campaign.Id} on {day}: {fast.NotCompiledBecause}");
                Assert.Equal(Describe(engine), Describe(fast));
                withCohorts += fast.Cohorts.Count > 0 ? 1 : 0;
            }
        }

        Assert.True(withCohorts >= 8, $"only {withCohorts} counts showed cohorts");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ARegionAlone_And_PeopleWithImportedRows_CountAsTheEngineDoes(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await new SeedPopulation(database.Database, TimeProvider.System).SeedAsync(600, seed: 13);
        var flu = ShippedCampaigns.Files().Select(f => CampaignConfigLoader.Parse(f.Json, f.Source)).Single(c => c.Id == "IMMUNISE_FLU_2025_26");
        await using (var connection = await database.Database.OpenAsync())
        {
            // Imported rows may override anything: here three people are made 90 and one has a flu dose this season.
            var some = (await connection.QueryAsync<string>("SELECT nhs_number FROM people ORDER BY nhs_number LIMIT 4")).ToList();
            foreach (var nhs in some.Take(3))
            {
                await connection.ExecuteAsync(
                    "INSERT INTO person_attributes (nhs_number, attribute_type, attributes, updated_at) VALUES (@nhs, 'PERSON', @json, @at)",
                    new { nhs, json = """{"DATE_OF_BIRTH": "19351001"}""", at = DateTimeOffset.UtcNow });
            }

            await connection.ExecuteAsync(
                "INSERT INTO person_attributes (nhs_number, attribute_type, attributes, updated_at) VALUES (@nhs, 'FLU', @json, @at)",
                new { nhs = some[3], json = """{"LAST_SUCCESSFUL_DATE": "20251002"}""", at = DateTimeOffset.UtcNow });
        }

        var region = await (await database.Database.OpenAsync()).QueryFirstAsync<string>(
            "SELECT pc.region_ods_code FROM people p JOIN postcodes pc ON pc.postcode = p.postcode GROUP BY pc.region_ods_code ORDER BY count(*) DESC LIMIT 1");
        var counter = Counter(database.Database);
        foreach (var request in new[] { new CohortCountRequest(flu.Id, new DateOnly(2025, 11, 1)), new CohortCountRequest(flu.Id, new DateOnly(2025, 11, 1), RegionOdsCode: region) })
        {
            var engine = await counter.CountAsync([flu], request, null, CountMethod.Engine, CancellationToken.None);
            var fast = await counter.CountAsync([flu], request, null, CountMethod.Compiled, CancellationToken.None);

            Assert.True(fast.Method == CountMethod.Compiled, fast.NotCompiledBecause);
            Assert.Equal(engine.People, fast.People);
            Assert.Equal(Describe(engine), Describe(fast));
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task APlanTooBigForOneSignature_CountsAsTheEngineDoes(DatabaseProvider provider)
    {
        // A count decides each distinct signature (every rule's result, every cohort membership) once; a plan with more
        // than 64 of those decides every person afresh. Here 70 rules in one priority group (all must hold) say "under 66"
        // to the 65-plus cohort, which takes the flu campaign past 64.
        await using var database = await TestDatabase.CreateAsync(provider);
        await new SeedPopulation(database.Database, TimeProvider.System).SeedAsync(800, seed: 17);
        var file = ShippedCampaigns.Files().Single(f => f.Source.Contains("flu-2025-26", StringComparison.Ordinal));
        var json = JsonNode.Parse(file.Json)!;
        foreach (var iteration in json["CampaignConfig"]!["Iterations"]!.AsArray())
        {
            var rules = iteration!["IterationRules"]!.AsArray();
            for (var years = 66; years < 136; years++)
            {
                rules.Add(new JsonObject
                {
                    ["Type"] = "F",
                    ["Name"] = $"Under {years} by 31 March 2026",
                    ["Description"] = "Keeps 65-year-olds out (every rule of the group must hold)",
                    ["Priority"] = 175,
                    ["AttributeLevel"] = "PERSON",
                    ["AttributeName"] = "DATE_OF_BIRTH",
                    ["Operator"] = "Y>",
                    ["Comparator"] = $"-{years}[[OFFSET:20260331]]",
                    ["CohortLabel"] = "flu_2025_26_65_plus",
                });
            }
        }

        var flu = CampaignConfigLoader.Parse(json.ToJsonString(), file.Source);
        var day = new DateOnly(2025, 11, 1);
        Assert.False(CountPlan.TryCompile([flu], day, out _)!.HasSignature);
        var counter = Counter(database.Database);
        var request = new CohortCountRequest(flu.Id, day);
        var engine = await counter.CountAsync([flu], request, null, CountMethod.Engine, CancellationToken.None);
        var fast = await counter.CountAsync([flu], request, null, CountMethod.Compiled, CancellationToken.None);

        Assert.True(fast.Method == CountMethod.Compiled, fast.NotCompiledBecause);
        Assert.Equal(Describe(engine), Describe(fast));
        Assert.Contains(fast.Cohorts, c => c.Cohort == "flu_2025_26_65_plus");
    }

    [Fact]
    public async Task AnSqliteDatabaseInMemory_CountsAsTheEngineDoes()
    {
        // A database with no file cannot be opened again by name: the scan reads it on the pool's own connections.
        var options = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source=count_{Guid.NewGuid():N};Mode=Memory;Cache=Shared" };
        await using var keepAlive = new SqliteConnection(options.ConnectionString);
        await keepAlive.OpenAsync();
        await using var database = new Database(options);
        await new Migrator(database).MigrateAsync();
        await new SeedPopulation(database, TimeProvider.System).SeedAsync(300, seed: 19);
        var flu = ShippedCampaigns.Files().Select(f => CampaignConfigLoader.Parse(f.Json, f.Source)).Single(c => c.Id == "IMMUNISE_FLU_2025_26");
        var counter = Counter(database);
        var request = new CohortCountRequest(flu.Id, new DateOnly(2025, 11, 1));
        var engine = await counter.CountAsync([flu], request, null, CountMethod.Engine, CancellationToken.None);
        var fast = await counter.CountAsync([flu], request, null, CountMethod.Compiled, CancellationToken.None);

        Assert.True(fast.Method == CountMethod.Compiled, fast.NotCompiledBecause);
        Assert.Equal(300, fast.People);
        Assert.Equal(Describe(engine), Describe(fast));
    }

    private static CountCohorts Counter(Database database) =>
        new(database, new RegisterPersonData(database), new CampaignStore(database, TimeProvider.System));

    private static string Describe(CohortCountResult result) =>
        string.Join("\n", result.Statuses.Select(s => $"{s.Condition} {s.Status} {s.People}")
            .Concat(result.Cohorts.Select(c => $"{c.Condition} {c.Cohort} {c.Status} {c.People}")));

    /// <summary>Gives each person none to three of the labels at random (deterministically).</summary>
    private static async Task GiveCohortsAsync(Database database, IReadOnlyList<string> labels, int seed)
    {
        var random = new Random(seed);
        await using var connection = await database.OpenAsync();
        var people = (await connection.QueryAsync<string>("SELECT nhs_number FROM people ORDER BY nhs_number")).ToList();
        var rows = people.SelectMany(nhs => labels.OrderBy(_ => random.Next()).Take(random.Next(4))
                .Select(label => new { nhs, label, at = DateTimeOffset.UtcNow }))
            .ToList();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO person_cohorts (nhs_number, cohort_label, date_joined, source, updated_at) VALUES (@nhs, @label, NULL, 'test', @at)",
            rows, transaction);
        await transaction.CommitAsync();
    }
}
