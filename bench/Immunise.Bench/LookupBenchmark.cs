using System.Globalization;
using System.Text;
using Immunise.Access;
using Immunise.Seeding;
using Immunise.Storage;

namespace Immunise.Bench;

/// <summary>
/// Person and history lookups by NHS number over HTTP against the real service (its own process, Release build) with N
/// people and their vaccination histories stored. Baseline: <c>GET /api/v1/ping</c> — no authentication, no database — on the
/// same server in the same run. Each lookup is authenticated with an API key and writes an audit row, as in production.
/// </summary>
public static class LookupBenchmark
{
    public static async Task<string> RunAsync(BenchOptions options)
    {
        var webDll = await BuildWebAsync();
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"### Lookups over HTTP, {options.People:N0} people stored, {options.Concurrency} concurrent clients, {options.Seconds} s each");
        report.AppendLine();
        report.AppendLine("| database | request | requests/s | p50 ms | p99 ms | errors | ratio to bare endpoint | target |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
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

            var environment = new Dictionary<string, string>
            {
                ["Database__Provider"] = databaseOptions.Provider.ToString(),
                ["Database__ConnectionString"] = databaseOptions.ConnectionString,
                ["Database__MigrateOnStart"] = "false",
                ["Demo__SeedPeople"] = "0",
                ["Demo__Banner"] = "false",
            };
            await using var server = await ServerProcess.StartAsync(webDll, environment);
            var numbers = Enumerable.Range(0, options.People).Select(i => SyntheticPopulation.NhsNumberFor(i)).OfType<People.NhsNumber>()
                .Select(n => n.Value).ToArray();
            var warmUp = TimeSpan.FromSeconds(3);
            var duration = TimeSpan.FromSeconds(options.Seconds);

            Workspace.Log($"{kind}: bare endpoint");
            var bare = await LoadGenerator.RunAsync("bare", server.Address, _ => new HttpRequestMessage(HttpMethod.Get, "/api/v1/ping"),
                options.Concurrency, warmUp, duration);
            Workspace.Log($"{kind}: person lookups");
            var person = await LoadGenerator.RunAsync("person", server.Address, r => Authorised($"/api/v1/people/{numbers[r % numbers.Length]}", key),
                options.Concurrency, warmUp, duration);
            Workspace.Log($"{kind}: history lookups");
            var history = await LoadGenerator.RunAsync("history", server.Address,
                r => Authorised($"/fhir/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{numbers[r % numbers.Length]}&-immunization.target=COVID19,FLU", key),
                options.Concurrency, warmUp, duration);

            report.AppendLine(Row(kind, "`GET /api/v1/ping` (bare baseline)", bare, bare, null));
            report.AppendLine(Row(kind, "`GET /api/v1/people/{nhs}`", person, bare, 0.30));
            report.AppendLine(Row(kind, "FHIR `Immunization?patient.identifier=…` (person + history bundle)", history, bare, 0.30));
        }

        report.AppendLine();
        return report.ToString();
    }

    private static HttpRequestMessage Authorised(string path, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", key);
        return request;
    }

    private static string Row(string kind, string name, LoadResult result, LoadResult bare, double? target)
    {
        var ratio = result.RequestsPerSecond / bare.RequestsPerSecond;
        var verdict = target is { } t ? $"≥ {t:P0}: {(ratio >= t ? "met" : "NOT met")}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"| {kind} | {name} | {result.RequestsPerSecond:N0} | {result.P50Ms:F2} | {result.P99Ms:F2} | {result.Errors} | {ratio:P0} | {verdict} |");
    }

    private static async Task<string> BuildWebAsync()
    {
        var output = Path.Combine(Workspace.Root, "web");
        Workspace.Log("Building the web service (Release)");
        await Workspace.RunAsync("dotnet", $"build src/Immunise.Web -c Release -o \"{output}\" -v quiet -nologo", Workspace.RepositoryRoot());
        return Path.Combine(output, "Immunise.Web.dll");
    }
}
