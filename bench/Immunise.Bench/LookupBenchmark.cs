using System.Globalization;
using System.Text;
using Immunise.Access;
using Immunise.Seeding;
using Immunise.Storage;

namespace Immunise.Bench;

/// <summary>
/// Person and history lookups by NHS number over HTTP against the real service (its own process, Release build) with N
/// people and their vaccination histories stored, beside two baselines on the same server in the same run: <c>GET
/// /api/v1/ping</c> (no authentication, no database) and <c>GET /bench/select/{nhs}</c> (one SELECT of the person's row, no
/// authentication, no audit; the bare endpoint the budget is measured against, decision 011). Each lookup is authenticated
/// with an API key and writes an audit row, as in production.
/// </summary>
public static class LookupBenchmark
{
    public static async Task<string> RunAsync(BenchOptions options)
    {
        var webDll = await BuildWebAsync();
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"### Lookups over HTTP, {options.People:N0} people stored, {options.Concurrency} concurrent connections, median of {options.Rounds} interleaved rounds of {options.Seconds} s, load from {(Wrk.Available ? "wrk" : "the built-in .NET load generator")}");
        report.AppendLine();
        report.AppendLine(TwoBaselinesHeader);
        var rounds = new StringBuilder();
        foreach (var kind in options.Databases)
        {
            var databaseOptions = await Databases.CreateAsync(kind, "bench_lookup");
            string key;
            await using (var database = new Database(databaseOptions))
            {
                Workspace.Log($"{kind}: seeding {options.People:N0} people with histories");
                await new SeedPopulation(database, TimeProvider.System).SeedAsync(options.People, seed: 7);
                key = (await new ApiKeys(database, TimeProvider.System).CreateAsync("bench", [Scopes.RecordsRead])).Value!.Key;
            }

            await using var server = await ServerProcess.StartAsync(webDll, ServerProcess.EnvironmentFor(databaseOptions));
            var warmUp = TimeSpan.FromSeconds(8); // until the JIT has tiered up and the pools are full
            var duration = TimeSpan.FromSeconds(options.Seconds);
            var people = Math.Min(options.People, 900_000);
            Task<LoadResult> Load(string name, string path, string? apiKey, TimeSpan warm) => Wrk.Available
                ? Wrk.RunAsync(name, server.Address, path, apiKey, people, options.Concurrency, warm, duration)
                : LoadGenerator.RunAsync(name, server.Address, r =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, path.Replace("{nhs}", Synthetic(r, people), StringComparison.Ordinal));
                    if (apiKey is not null)
                    {
                        request.Headers.Add("X-Api-Key", apiKey);
                    }

                    return request;
                }, options.Concurrency, warm, duration);

            // The machine's speed drifts from minute to minute (other tenants, other work): the three requests are measured
            // in interleaved rounds, and each is reported by its median round, so no request is favoured by when it ran.
            var (bare, select, person, history) = (new List<LoadResult>(), new List<LoadResult>(), new List<LoadResult>(), new List<LoadResult>());
            for (var round = 1; round <= options.Rounds; round++)
            {
                var warm = round == 1 ? warmUp : TimeSpan.FromSeconds(2);
                Workspace.Log($"{kind}: round {round} of {options.Rounds}: ping, bare SELECT, person lookups, history lookups ({(Wrk.Available ? "wrk" : "built-in load generator")})");
                bare.Add(await Load("bare", "/api/v1/ping", null, warm));
                select.Add(await Load("select", "/bench/select/{nhs}", null, warm));
                person.Add(await Load("person", "/api/v1/people/{nhs}", key, warm));
                history.Add(await Load("history", "/fhir/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}&-immunization.target=COVID19,FLU", key, warm));
                Workspace.Log($"{kind}: round {round}: ping {bare[^1].RequestsPerSecond:N0}/s, bare SELECT {select[^1].RequestsPerSecond:N0}/s, person {person[^1].RequestsPerSecond:N0}/s, history {history[^1].RequestsPerSecond:N0}/s");
            }

            report.AppendLine(Row(kind, PingName, Median(bare), Median(bare), Median(select), null));
            report.AppendLine(Row(kind, SelectName, Median(select), Median(bare), Median(select), null));
            report.AppendLine(Row(kind, "`GET /api/v1/people/{nhs}`", Median(person), Median(bare), Median(select), 0.30));
            report.AppendLine(Row(kind, "FHIR `Immunization?patient.identifier=…` (person + history bundle)", Median(history), Median(bare), Median(select), 0.30));
            rounds.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"- {kind}: ping {string.Join(" / ", bare.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}; "
                + $"bare SELECT {string.Join(" / ", select.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}; "
                + $"person {string.Join(" / ", person.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}; "
                + $"history {string.Join(" / ", history.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}"));
        }

        report.AppendLine();
        report.AppendLine("Every round (requests/s, in order):");
        report.Append(rounds);
        report.AppendLine();
        return report.ToString();
    }

    internal static LoadResult Median(List<LoadResult> results) => results.OrderBy(r => r.RequestsPerSecond).ElementAt(results.Count / 2);

    private static string Synthetic(int random, int people)
    {
        for (var i = random % people; ; i = (i + 1) % people)
        {
            if (SyntheticPopulation.NhsNumberFor(i) is { } nhs)
            {
                return nhs.Value;
            }
        }
    }

    internal const string PingName = "`GET /api/v1/ping` (no database)";

    internal const string SelectName = "`GET /bench/select/{nhs}` (bare baseline: one SELECT)";

    /// <summary>The header of a table whose rows come from <see cref="Row(string, string, LoadResult, LoadResult, LoadResult, double?)"/>.</summary>
    internal const string TwoBaselinesHeader =
        "| database | request | requests/s | p50 ms | p99 ms | errors | ratio to ping | ratio to the bare SELECT | target (of the bare SELECT) |\n"
        + "|---|---|---:|---:|---:|---:|---:|---:|---|";

    /// <summary>A row beside both baselines; the verdict is against the bare SELECT (decision 011).</summary>
    internal static string Row(string kind, string name, LoadResult result, LoadResult ping, LoadResult select, double? target)
    {
        var ratio = result.RequestsPerSecond / select.RequestsPerSecond;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {kind} | {name} | {result.RequestsPerSecond:N0} | {result.P50Ms:F2} | {result.P99Ms:F2} | {result.Errors} | {result.RequestsPerSecond / ping.RequestsPerSecond:P0} | {ratio:P0} | {Verdict(ratio, target)} |");
    }

    internal static string Row(string kind, string name, LoadResult result, LoadResult bare, double? target)
    {
        var ratio = result.RequestsPerSecond / bare.RequestsPerSecond;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {kind} | {name} | {result.RequestsPerSecond:N0} | {result.P50Ms:F2} | {result.P99Ms:F2} | {result.Errors} | {ratio:P0} | {Verdict(ratio, target)} |");
    }

    private static string Verdict(double ratio, double? target) =>
        target is { } t ? string.Create(CultureInfo.InvariantCulture, $"≥ {t:P0}: {(ratio >= t ? "met" : "NOT met")}") : "";

    internal static async Task<string> BuildWebAsync()
    {
        var output = Path.Combine(Workspace.Root, "web");
        Workspace.Log("Building the web service (Release)");
        await Workspace.RunAsync("dotnet", $"build src/Immunise.Web -c Release -o \"{output}\" -v quiet -nologo", Workspace.RepositoryRoot());
        return Path.Combine(output, "Immunise.Web.dll");
    }
}
