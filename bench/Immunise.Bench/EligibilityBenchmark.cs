using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Immunise.Access;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Seeding;
using Immunise.Storage;

namespace Immunise.Bench;

/// <summary>
/// Eligibility: one decision in process (CPU time per decision, over people read from a seeded register, with the campaigns
/// Immunise ships), beside serialising the same decisions' responses; and the Eligibility Signposting endpoint over HTTP
/// beside the bare endpoint on the same server, in interleaved rounds.
/// </summary>
public static class EligibilityBenchmark
{
    public static async Task<string> RunAsync(BenchOptions options)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"### Eligibility, {options.People:N0} people stored, the shipped campaigns loaded, {options.Concurrency} connections, median of {options.Rounds} interleaved rounds of {options.Seconds} s");
        report.AppendLine();
        var webDll = await LookupBenchmark.BuildWebAsync();
        var rows = new StringBuilder();
        var counts = new StringBuilder();
        foreach (var kind in options.Databases)
        {
            var databaseOptions = await Databases.CreateAsync(kind, "bench_eligibility");
            string key;
            await using (var database = new Database(databaseOptions))
            {
                Workspace.Log($"{kind}: seeding {options.People:N0} people with histories");
                await new SeedPopulation(database, TimeProvider.System).SeedAsync(options.People, seed: 7);
                await SettleAsync(kind, database);
                var store = new CampaignStore(database, TimeProvider.System);
                var loaded = await store.LoadAsync(LiveToday(ShippedCampaigns.Files()), "bench");
                if (!loaded.Succeeded)
                {
                    throw new InvalidOperationException(string.Join("; ", loaded.Errors));
                }

                key = (await new ApiKeys(database, TimeProvider.System).CreateAsync("bench", [Scopes.EligibilityRead])).Value!.Key;
                if (kind == options.Databases[0])
                {
                    report.Append(await DecisionsAsync(database, store, Math.Min(options.People, 900_000)));
                }

                counts.Append(await CountsAsync(kind, database, store, options.Rounds));
            }

            await using var server = await ServerProcess.StartAsync(webDll, ServerProcess.EnvironmentFor(databaseOptions));
            var people = Math.Min(options.People, 900_000);
            var duration = TimeSpan.FromSeconds(options.Seconds);
            var (bare, select, check) = (new List<LoadResult>(), new List<LoadResult>(), new List<LoadResult>());
            for (var round = 1; round <= options.Rounds; round++)
            {
                var warm = TimeSpan.FromSeconds(round == 1 ? 8 : 2);
                bare.Add(await Wrk.RunAsync("bare", server.Address, "/api/v1/ping", null, people, options.Concurrency, warm, duration));
                select.Add(await Wrk.RunAsync("select", server.Address, "/bench/select/{nhs}", null, people, options.Concurrency, warm, duration));
                check.Add(await Wrk.RunAsync("check", server.Address, "/eligibility-signposting-api/patient-check/{nhs}?includeActions=Y", key, people, options.Concurrency, warm, duration));
                Workspace.Log($"{kind}: round {round}: ping {bare[^1].RequestsPerSecond:N0}/s, bare SELECT {select[^1].RequestsPerSecond:N0}/s, patient-check {check[^1].RequestsPerSecond:N0}/s");
            }

            var (ping, bareSelect) = (LookupBenchmark.Median(bare), LookupBenchmark.Median(select));
            rows.AppendLine(LookupBenchmark.Row(kind, LookupBenchmark.PingName, ping, ping, bareSelect, null));
            rows.AppendLine(LookupBenchmark.Row(kind, LookupBenchmark.SelectName, bareSelect, ping, bareSelect, null));
            rows.AppendLine(LookupBenchmark.Row(kind, "`GET /eligibility-signposting-api/patient-check/{nhs}`", LookupBenchmark.Median(check), ping, bareSelect, 0.30));
        }

        report.AppendLine();
        report.AppendLine("| database | whole register, flu campaign | people | seconds | people/s | ratio to the engine | target |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---|");
        report.Append(counts);
        report.AppendLine();
        report.AppendLine(LookupBenchmark.TwoBaselinesHeader);
        report.Append(rows);
        report.AppendLine();
        return report.ToString();
    }

    /// <summary>Only the whole-register counts (the <c>count</c> suite): seed each database, then count.</summary>
    public static async Task<string> RunCountsAsync(BenchOptions options)
    {
        var counts = new StringBuilder();
        foreach (var kind in options.Databases)
        {
            var databaseOptions = await Databases.CreateAsync(kind, "bench_count");
            await using var database = new Database(databaseOptions);
            Workspace.Log($"{kind}: seeding {options.People:N0} people with histories");
            await new SeedPopulation(database, TimeProvider.System).SeedAsync(options.People, seed: 7);
            await SettleAsync(kind, database);
            var store = new CampaignStore(database, TimeProvider.System);
            var loaded = await store.LoadAsync(LiveToday(ShippedCampaigns.Files()), "bench");
            if (!loaded.Succeeded)
            {
                throw new InvalidOperationException(string.Join("; ", loaded.Errors));
            }

            counts.Append(await CountsAsync(kind, database, store, options.Rounds));
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Whole-register cohort counts, {options.People:N0} people stored");
        report.AppendLine();
        report.AppendLine("| database | whole register, flu campaign | people | seconds | people/s | ratio to the engine | target |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---|");
        report.Append(counts);
        report.AppendLine();
        return report.ToString();
    }

    /// <summary>
    /// On PostgreSQL, what autovacuum does to a settled register, done at once: without it the first reads after a bulk load set
    /// every row's hint bits, and index-only scans fetch every event's heap row (the visibility map is not yet set). The
    /// eligibility suite's counts ran without it until the ninth session, and its rounds then ranged from 266,000 to 1,320,000
    /// people/s in one run while autovacuum worked through the new rows.
    /// </summary>
    private static async Task SettleAsync(string kind, Database database)
    {
        if (kind != "postgres")
        {
            return;
        }

        Workspace.Log($"{kind}: VACUUM ANALYZE after the load");
        await using var connection = await database.OpenSessionAsync();
        await using var vacuum = connection.CreateCommand();
        vacuum.CommandText = "VACUUM ANALYZE people, vaccination_events, person_cohorts, person_attributes";
        vacuum.CommandTimeout = 0;
        await vacuum.ExecuteNonQueryAsync();

        // VACUUM dirties every page it sets hint bits and visibility on; write them out now, not in a checkpoint that would
        // run during the measured rounds. (With VACUUM but no CHECKPOINT, one run's rounds were 903,099, 404,961 and 397,283/s.)
        vacuum.CommandText = "CHECKPOINT";
        await vacuum.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Whole-register cohort counts for the (live) flu campaign: the campaign compiled over the register's columns
    /// (<c>immunise eligibility count</c>), beside every person's rows composed and decided by the engine (the baseline), with
    /// the same counts required of both. Each compiled round is listed with the machine's load average when it ended (the
    /// benchmark shares its cores with whatever else runs), and the median is reported.
    /// </summary>
    private static async Task<string> CountsAsync(string kind, Database database, CampaignStore store, int rounds)
    {
        var register = new RegisterPersonData(database);
        var counter = new CountCohorts(database, register, store);
        var request = new CohortCountRequest("IMMUNISE_FLU_2025_26", DateOnly.FromDateTime(DateTime.UtcNow));
        Workspace.Log($"{kind}: counting cohorts with the engine, person by person (baseline)");
        var engine = (await counter.HandleAsync(request, method: CountMethod.Engine)).Value ?? throw new InvalidOperationException("engine count failed");
        var compiled = new List<(CohortCountResult Result, string Load)>();
        for (var round = 1; round <= Math.Max(1, rounds); round++)
        {
            Workspace.Log($"{kind}: counting cohorts compiled, round {round}");
            var result = (await counter.HandleAsync(request)).Value ?? throw new InvalidOperationException("compiled count failed");
            if (result.Method != CountMethod.Compiled
                || !result.Statuses.SequenceEqual(engine.Statuses) || !result.Cohorts.SequenceEqual(engine.Cohorts))
            {
                throw new InvalidOperationException("The compiled count differs from the engine's.");
            }

            compiled.Add((result, Machine.LoadAverage()));
            Workspace.Log($"{kind}: {result.PeoplePerSecond:N0} people/s, load average {compiled[^1].Load}");
        }

        var median = compiled.Select(c => c.Result).OrderBy(r => r.PeoplePerSecond).ElementAt(compiled.Count / 2);
        var list = string.Join(", ", compiled.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Result.PeoplePerSecond:N0} (load {c.Load})")));
        return string.Create(CultureInfo.InvariantCulture,
            $"| {kind} | engine, person by person (baseline) | {engine.People:N0} | {engine.Elapsed.TotalSeconds:F1} | {engine.PeoplePerSecond:N0} | 100 % | |\n"
            + $"| {kind} | compiled (`immunise eligibility count`), median of {list} | {median.People:N0} | {median.Elapsed.TotalSeconds:F2} | **{median.PeoplePerSecond:N0}** | {median.PeoplePerSecond / engine.PeoplePerSecond:P0} | ≥ 500,000/s: {(median.PeoplePerSecond >= 500_000 ? "met" : "NOT met")} |\n");
    }

    /// <summary>CPU time per decision over the people's data (read once from the register), beside serialising the answers.</summary>
    private static async Task<string> DecisionsAsync(Database database, CampaignStore store, int people)
    {
        var configuration = await store.CurrentAsync();
        var register = new RegisterPersonData(database);
        var sample = new List<PersonData>();
        var random = new Random(11);
        while (sample.Count < 2_000)
        {
            if (SyntheticPopulation.NhsNumberFor(random.Next(people)) is { } nhs && await register.ForAsync(nhs) is { } data)
            {
                sample.Add(data);
            }
        }

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var responses = new List<EligibilityResponse>(sample.Count);
        var decide = Measure(sample.Count * 20, i =>
        {
            var result = EligibilityEngine.Evaluate(new EligibilityRequest(sample[i % sample.Count], configuration.Campaigns, today));
            if (i < sample.Count)
            {
                responses.Add(result.Response!);
            }
        });
        var serialise = Measure(sample.Count * 20, i => JsonSerializer.SerializeToUtf8Bytes(responses[i % responses.Count]));
        var text = new StringBuilder();
        text.AppendLine("| in process, one thread | µs of CPU per person | budget |");
        text.AppendLine("|---|---:|---|");
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| serialise the response to JSON (baseline) | {serialise:F1} | |"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| decide every condition (`EligibilityEngine.Evaluate`, {configuration.Campaigns.Count} campaigns) | **{decide:F1}** | < 1,000: {(decide < 1000 ? "met" : "NOT met")} |"));
        return text.ToString();
    }

    /// <summary>
    /// The shipped campaigns with every date moved on by whole years until the campaign is live today, so that the run
    /// measures real rule evaluation whatever its date (a campaign that has ended decides nothing and costs nothing).
    /// Relative rules keep their meaning: every date in a config moves by the same number of years.
    /// </summary>
    internal static IReadOnlyList<(string Source, string Json)> LiveToday(IReadOnlyList<(string Source, string Json)> files)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var moved = new List<(string, string)>();
        foreach (var (source, json) in files)
        {
            if (!CampaignConfigLoader.TryParse(json, source, out var config, out _))
            {
                moved.Add((source, json));
                continue;
            }

            var years = 0;
            while (config!.EndDate.AddYears(years) < today && years < 50)
            {
                years++;
            }

            var shifted = System.Text.RegularExpressions.Regex.Replace(json, @"(?<![0-9])(19|20)([0-9]{2})([01][0-9][0-3][0-9])(?![0-9])", m =>
            {
                var year = int.Parse(m.Groups[1].Value + m.Groups[2].Value, CultureInfo.InvariantCulture) + years;
                var monthDay = m.Groups[3].Value == "0229" && !DateTime.IsLeapYear(year) ? "0228" : m.Groups[3].Value;
                return year.ToString(CultureInfo.InvariantCulture) + monthDay;
            });
            moved.Add((source, shifted));
        }

        return moved;
    }

    private static double Measure(int count, Action<int> work)
    {
        for (var i = 0; i < Math.Min(count, 5_000); i++)
        {
            work(i); // warm up: tiered compilation
        }

        var started = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            work(i);
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - started).TotalMicroseconds / count;
    }
}
