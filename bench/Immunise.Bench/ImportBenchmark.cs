using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Immunise.People;
using Immunise.Seeding;
using Immunise.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Immunise.Bench;

/// <summary>
/// Register import: N synthetic people (generated beforehand, so generation is not timed) upserted through
/// <see cref="ImportPeople"/> into an empty register, then the same people again (every row unchanged). Baseline: the same
/// number of rows of a bare two-column table written with the database's own fastest path (prepared inserts in large
/// transactions on SQLite, binary COPY on PostgreSQL), in the same database in the same run.
/// </summary>
public static class ImportBenchmark
{
    public static async Task<string> RunAsync(BenchOptions options)
    {
        Workspace.Log($"Generating {options.People:N0} synthetic people");
        var people = new SyntheticPopulation(1, TimeProvider.System).People(options.People, 0, withHistory: false).Select(p => p.Person).ToList();
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Register import, {people.Count:N0} people");
        report.AppendLine();
        report.AppendLine("| database | baseline: bare bulk insert (rows/s) | import into empty register (people/s) | ratio | re-import, all unchanged (people/s) | target |");
        report.AppendLine("|---|---:|---:|---:|---:|---|");
        foreach (var kind in options.Databases)
        {
            var databaseOptions = await Databases.CreateAsync(kind, "bench_import");
            await using var database = new Database(databaseOptions);

            Workspace.Log($"{kind}: baseline bulk insert");
            var baseline = await BareInsertAsync(database, people);
            Workspace.Log($"{kind}: baseline {baseline:N0} rows/s; importing");
            var import = new ImportPeople(database, TimeProvider.System);
            var first = Stopwatch.StartNew();
            var summary = await import.HandleAsync(people);
            var firstRate = people.Count / first.Elapsed.TotalSeconds;
            if (summary.Inserted != people.Count)
            {
                throw new InvalidOperationException($"Expected {people.Count} inserted, got {summary.Inserted} (rejected {summary.Rejected}).");
            }

            Workspace.Log($"{kind}: {firstRate:N0} people/s; re-importing");
            var second = Stopwatch.StartNew();
            var again = await import.HandleAsync(people);
            var secondRate = people.Count / second.Elapsed.TotalSeconds;
            if (again.Unchanged != people.Count)
            {
                throw new InvalidOperationException($"Expected {people.Count} unchanged on re-import, got {again.Unchanged}.");
            }

            var target = kind == "postgres" ? 200_000 : 100_000;
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {kind} | {baseline:N0} | {firstRate:N0} | {firstRate / baseline:P0} | {secondRate:N0} | ≥ {target:N0}/s: {(firstRate >= target ? "met" : "NOT met")} |");
        }

        report.AppendLine();
        return report.ToString();
    }

    private static async Task<double> BareInsertAsync(Database database, IReadOnlyList<Person> people)
    {
        await using var connection = await database.OpenAsync();
        var clock = Stopwatch.StartNew();
        if (connection is NpgsqlConnection postgres)
        {
            await postgres.ExecuteAsync("CREATE TABLE bench_bare (nhs_number text PRIMARY KEY, family_name text NOT NULL)");
            clock.Restart();
            await using var writer = await postgres.BeginBinaryImportAsync("COPY bench_bare (nhs_number, family_name) FROM STDIN (FORMAT BINARY)");
            foreach (var person in people)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(person.NhsNumber.Value);
                await writer.WriteAsync(person.FamilyName);
            }

            await writer.CompleteAsync();
        }
        else
        {
            var sqlite = (SqliteConnection)connection;
            await sqlite.ExecuteAsync("CREATE TABLE bench_bare (nhs_number TEXT PRIMARY KEY, family_name TEXT NOT NULL) STRICT, WITHOUT ROWID");
            clock.Restart();
            for (var start = 0; start < people.Count; start += 50_000)
            {
                await using var transaction = sqlite.BeginTransaction();
                await using var command = sqlite.CreateCommand();
                command.CommandText = "INSERT INTO bench_bare (nhs_number, family_name) VALUES ($n, $f)";
                var n = command.Parameters.Add("$n", SqliteType.Text);
                var f = command.Parameters.Add("$f", SqliteType.Text);
                command.Prepare();
                foreach (var person in people.Skip(start).Take(50_000))
                {
                    n.Value = person.NhsNumber.Value;
                    f.Value = person.FamilyName;
                    await command.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }
        }

        return people.Count / clock.Elapsed.TotalSeconds;
    }
}
