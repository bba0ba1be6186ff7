using System.CommandLine;
using System.Text;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Geography;
using Immunise.People;
using Immunise.Records;
using Immunise.Seeding;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Cli;

/// <summary>
/// The <c>immunise</c> command: verbs on nouns (<c>db migrate</c>, <c>seed</c>, <c>import people FILE</c>, …). Exit codes:
/// 0 success, 1 failure (including any rejected row), 2 usage or input error (bad arguments, missing file or columns).
/// </summary>
public static class Cli
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int UsageError = 2;

    private static readonly Option<string?> s_database = new("--database")
    {
        Description = "sqlite or postgres (default: environment Database__Provider, else sqlite)",
        Recursive = true,
    };

    private static readonly Option<string?> s_connectionString = new("--connection-string")
    {
        Description = "ADO.NET connection string (default: environment Database__ConnectionString, else Data Source=data/immunise.db)",
        Recursive = true,
    };

    private static readonly Option<bool> s_json = new("--json") { Description = "Machine-readable output", Recursive = true };

    /// <summary>Runs the CLI in-process (the entry point, and tests) with the given output and error writers.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Build(output, error);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync(parseError.Message);
            }

            return UsageError;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("Cancelled.");
            return Failed;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync(e.Message);
            return UsageError;
        }
        catch (System.Data.Common.DbException e)
        {
            await error.WriteLineAsync($"Database error: {e.Message}");
            return Failed;
        }
    }

    private static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Immunise: the national immunisation register's command line.");
        root.Options.Add(s_database);
        root.Options.Add(s_connectionString);
        root.Options.Add(s_json);
        root.Subcommands.Add(DbCommand(output, error));
        root.Subcommands.Add(SeedCommand(output, error));
        root.Subcommands.Add(ImportCommand(output, error));
        root.Subcommands.Add(ExportCommand(output, error));
        root.Subcommands.Add(ApiKeysCommand(output, error));
        root.Subcommands.Add(UsersCommand(output, error));
        root.Subcommands.Add(EligibilityCommands.Campaigns(OpenMigratedAsync, p => p.GetValue(s_json), output, error));
        root.Subcommands.Add(EligibilityCommands.Count(OpenMigratedAsync, p => Reporter(p, output, error)));
        root.Subcommands.Add(WaitingRoomCommands.Command(OpenMigratedAsync, p => Reporter(p, output, error)));
        return root;
    }

    // ---- db ----

    private static Command DbCommand(TextWriter output, TextWriter error)
    {
        var migrate = new Command("migrate", "Apply the database migrations and reference data");
        migrate.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            await using var database = Open(parse);
            var applied = await new Migrator(database).MigrateAsync(cancellationToken);
            if (reporter.Json)
            {
                reporter.WriteJson(new { applied = applied.Select(m => new { m.Version, m.Name }) });
            }
            else
            {
                reporter.Line(applied.Count == 0 ? "The database is up to date." : string.Join('\n', applied.Select(m => $"Applied {m.Version:D4} {m.Name}")));
            }

            return Success;
        });

        var status = new Command("status", "Show applied and pending migrations");
        status.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            await using var database = Open(parse);
            var applied = await new Migrator(database).AppliedAsync(cancellationToken);
            var pending = Migrator.Scripts(database.Provider).Where(m => !applied.Contains(m.Version)).ToList();
            if (reporter.Json)
            {
                reporter.WriteJson(new { provider = database.Provider.ToString(), applied, pending = pending.Select(m => new { m.Version, m.Name }) });
            }
            else
            {
                reporter.Line($"Provider: {database.Provider}");
                reporter.Line($"Applied: {(applied.Count == 0 ? "none" : string.Join(", ", applied.Select(v => v.ToString("D4", System.Globalization.CultureInfo.InvariantCulture))))}");
                reporter.Line($"Pending: {(pending.Count == 0 ? "none" : string.Join(", ", pending.Select(m => $"{m.Version:D4} {m.Name}")))}");
            }

            return Success;
        });

        var db = new Command("db", "The database schema");
        db.Subcommands.Add(migrate);
        db.Subcommands.Add(status);
        return db;
    }

    // ---- seed ----

    private static Command SeedCommand(TextWriter output, TextWriter error)
    {
        var people = new Option<int>("--people") { Description = "How many synthetic people to add", DefaultValueFactory = _ => 50_000 };
        var seedOption = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same people", DefaultValueFactory = _ => 42 };
        var seed = new Command("seed", "Add synthetic people with vaccination histories (and the synthetic postcode directory if there are no postcodes)");
        seed.Options.Add(people);
        seed.Options.Add(seedOption);
        seed.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            var count = parse.GetValue(people);
            if (count is < 1 or > 1_800_000)
            {
                throw new UsageException("--people must be between 1 and 1,800,000 (the synthetic NHS number ranges).");
            }

            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            var seeder = new SeedPopulation(database, TimeProvider.System);
            var postcodes = await seeder.SeedPostcodesIfEmptyAsync(cancellationToken: cancellationToken);
            var (peopleSummary, vaccinationSummary, _) = await reporter.WithProgressAsync(
                "Seeding people", () => count * 2.0,
                progress => seeder.SeedAsync(count, parse.GetValue(seedOption), progress, new Offset(progress, count), cancellationToken));
            if (reporter.Json)
            {
                reporter.WriteJson(new
                {
                    postcodes,
                    people = peopleSummary.Inserted,
                    vaccinations = vaccinationSummary.Inserted,
                    seconds = Math.Round((peopleSummary.Elapsed + vaccinationSummary.Elapsed).TotalSeconds, 3),
                    peoplePerSecond = Math.Round(peopleSummary.RowsPerSecond),
                });
            }
            else
            {
                reporter.Line($"Postcodes added: {postcodes:N0}");
                reporter.Summary("People", peopleSummary, null);
                reporter.Summary("Vaccinations", vaccinationSummary, null);
            }

            return peopleSummary.Rejected + vaccinationSummary.Rejected > 0 ? Failed : Success;
        });

        var perOutcode = new Option<int>("--per-outcode") { Description = "Postcodes per postcode district", DefaultValueFactory = _ => SyntheticPostcodeDirectory.DefaultPerOutcode };
        var postcodesCommand = new Command("postcodes", "Add the synthetic postcode directory (postcodes in every ICB's real districts)");
        postcodesCommand.Options.Add(perOutcode);
        postcodesCommand.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            var n = parse.GetValue(perOutcode);
            if (n is < 1 or > 4_000)
            {
                throw new UsageException("--per-outcode must be between 1 and 4,000.");
            }

            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            var summary = await new ImportPostcodes(database).HandleAsync(SyntheticPostcodeDirectory.Generate(n), null, cancellationToken);
            reporter.Summary("Postcodes", summary, null);
            return Success;
        });
        seed.Subcommands.Add(postcodesCommand);

        var sitesCount = new Option<int>("--sites") { Description = "How many synthetic vaccination sites to add", DefaultValueFactory = _ => 200 };
        var sitesDays = new Option<int>("--days") { Description = "Days of sessions from today (Monday to Saturday, 09:00-17:00)", DefaultValueFactory = _ => 28 };
        var sitesSeed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same sites", DefaultValueFactory = _ => 42 };
        var sitesCommand = new Command("sites", "Add synthetic vaccination sites across England with sessions for the coming weeks, when there are no sites yet");
        sitesCommand.Options.Add(sitesCount);
        sitesCommand.Options.Add(sitesDays);
        sitesCommand.Options.Add(sitesSeed);
        sitesCommand.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            var count = parse.GetValue(sitesCount);
            var days = parse.GetValue(sitesDays);
            if (count is < 1 or > 10_000)
            {
                throw new UsageException("--sites must be between 1 and 10,000.");
            }

            if (days is < 1 or > 90)
            {
                throw new UsageException("--days must be between 1 and 90.");
            }

            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            await new SeedPopulation(database, TimeProvider.System).SeedPostcodesIfEmptyAsync(cancellationToken: cancellationToken);
            var added = await new SeedSites(database, TimeProvider.System).SeedIfEmptyAsync(count, days, parse.GetValue(sitesSeed), null, cancellationToken);
            reporter.Line(added == 0 ? "Sites already exist: none added." : $"Sites added: {added:N0}, with sessions for {days} days");
            return Success;
        });
        seed.Subcommands.Add(sitesCommand);
        return seed;
    }

    // ---- import ----

    private static Command ImportCommand(TextWriter output, TextWriter error)
    {
        var import = new Command("import", "Load files: people, vaccinations, postcodes, sites (CSV), eligibility-data (JSON)");
        import.Subcommands.Add(ImportFileCommand("people", "Upsert people by NHS number", output, error,
            (database, reader, file, rejects, progress, cancellationToken) =>
                new ImportPeople(database, TimeProvider.System).ImportCsvAsync(reader, rejects, progress, cancellationToken)));
        import.Subcommands.Add(ImportFileCommand("vaccinations", "Upsert vaccination events by event id", output, error,
            (database, reader, file, rejects, progress, cancellationToken) =>
                new ImportVaccinations(database, TimeProvider.System, VaccineCatalogue.Default).ImportCsvAsync(reader, file, rejects, progress, cancellationToken)));
        import.Subcommands.Add(ImportFileCommand("postcodes", "Upsert a postcode directory (ONS Postcode Directory format or postcode,latitude,longitude,…)", output, error,
            (database, reader, file, rejects, progress, cancellationToken) =>
                new ImportPostcodes(database).ImportCsvAsync(reader, rejects, progress, cancellationToken)));
        import.Subcommands.Add(ImportFileCommand("sites", "Create or update vaccination sites by ODS code (ods_code,name,type,address,postcode,services; accessibility,information,products,status,phone,email)", output, error,
            (database, reader, _, rejects, progress, cancellationToken) =>
                new ImportSites(database, TimeProvider.System, VaccineCatalogue.Default).ImportCsvAsync(reader, rejects, progress, cancellationToken)));
        import.Subcommands.Add(EligibilityCommands.ImportEligibilityData(OpenMigratedAsync, p => p.GetValue(s_json), output, error));
        return import;
    }

    private delegate Task<Result<ImportSummary>> FileImport(Database database, TextReader reader, string file, RejectsWriter rejects, IProgress<ImportProgress> progress, CancellationToken cancellationToken);

    private static Command ImportFileCommand(string noun, string description, TextWriter output, TextWriter error, FileImport run)
    {
        var file = new Argument<string>("file") { Description = "The CSV file (UTF-8, header row)" };
        var rejectsOption = new Option<string?>("--rejects") { Description = "Where to write rejected rows (default FILE.rejects.csv)" };
        var command = new Command(noun, description);
        command.Arguments.Add(file);
        command.Options.Add(rejectsOption);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new UsageException($"File not found: {path}");
            }

            var rejectsPath = parse.GetValue(rejectsOption) ?? RejectsWriter.DefaultPathFor(path);
            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
            Result<ImportSummary> result;
            await using (var rejects = RejectsWriter.Create(rejectsPath))
            {
                result = await reporter.WithProgressAsync(
                    $"Importing {noun}", () => stream.Length,
                    progress => run(database, reader, path, rejects, progress, cancellationToken),
                    _ => stream.CanSeek ? stream.Position : 0);
            }

            if (!result.Succeeded)
            {
                File.Delete(rejectsPath);
                reporter.Error($"{result.Failure!.Code}: {result.Failure.Message}");
                return UsageError;
            }

            var summary = result.Value!;
            if (summary.Rejected == 0)
            {
                File.Delete(rejectsPath);
            }

            reporter.Summary(char.ToUpperInvariant(noun[0]) + noun[1..], summary, rejectsPath);
            return summary.Rejected > 0 ? Failed : Success;
        });
        return command;
    }

    // ---- export ----

    private static Command ExportCommand(TextWriter output, TextWriter error)
    {
        var export = new Command("export", "Write CSV files in the import formats");
        export.Subcommands.Add(ExportFileCommand("people", output, error, (database, writer, cancellationToken) => new ExportPeople(database).HandleAsync(writer, null, cancellationToken)));
        export.Subcommands.Add(ExportFileCommand("vaccinations", output, error, (database, writer, cancellationToken) => new ExportVaccinations(database).HandleAsync(writer, null, cancellationToken)));
        return export;
    }

    private static Command ExportFileCommand(string noun, TextWriter output, TextWriter error, Func<Database, TextWriter, CancellationToken, Task<long>> run)
    {
        var file = new Argument<string>("file") { Description = "The CSV file to write" };
        var command = new Command(noun, $"Export {noun} as CSV (the import format)");
        command.Arguments.Add(file);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            var path = parse.GetValue(file)!;
            await using var database = Open(parse);
            var started = System.Diagnostics.Stopwatch.StartNew();
            long count;
            await using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16))
            {
                count = await run(database, writer, cancellationToken);
            }

            if (reporter.Json)
            {
                reporter.WriteJson(new { what = noun, rows = count, file = path, seconds = Math.Round(started.Elapsed.TotalSeconds, 3) });
            }
            else
            {
                reporter.Line($"Exported {count:N0} {noun} to {path} in {started.Elapsed.TotalSeconds:N1} s");
            }

            return Success;
        });
        return command;
    }

    // ---- apikeys ----

    private static Command ApiKeysCommand(TextWriter output, TextWriter error)
    {
        var name = new Option<string>("--name") { Description = "The key's name (the system that uses it)", Required = true };
        var scopes = new Option<string>("--scopes") { Description = $"Comma-separated: {string.Join(", ", Scopes.All)}", DefaultValueFactory = _ => Scopes.RecordsRead };
        var create = new Command("create", "Create an API key; the key is shown once");
        create.Options.Add(name);
        create.Options.Add(scopes);
        create.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            var result = await new ApiKeys(database, TimeProvider.System).CreateAsync(
                parse.GetValue(name)!, parse.GetValue(scopes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), cancellationToken);
            if (!result.Succeeded)
            {
                reporter.Error($"{result.Failure!.Code}: {result.Failure.Message}");
                return result.Failure.Kind == FailureKind.Invalid ? UsageError : Failed;
            }

            var created = result.Value!;
            if (reporter.Json)
            {
                reporter.WriteJson(new { name = created.Client.Name, scopes = created.Client.Scopes, key = created.Key });
            }
            else
            {
                reporter.Line($"API key '{created.Client.Name}' ({string.Join(' ', created.Client.Scopes)}):");
                reporter.Line(created.Key);
            }

            reporter.Error("Store this key now: it is not stored in a readable form and will not be shown again.");
            return Success;
        });

        var list = new Command("list", "List API keys (names, scopes, dates; never the keys)");
        list.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            var keys = await new ApiKeys(database, TimeProvider.System).ListAsync(cancellationToken);
            if (reporter.Json)
            {
                reporter.WriteJson(keys.Select(k => new { k.Name, k.Scopes, k.CreatedAt, k.RevokedAt }));
            }
            else if (keys.Count == 0)
            {
                reporter.Line("No API keys.");
            }
            else
            {
                foreach (var k in keys)
                {
                    reporter.Line($"{k.Name}\t{k.Scopes}\tcreated {k.CreatedAt:yyyy-MM-dd HH:mm}Z\t{(k.RevokedAt is { } r ? $"revoked {r:yyyy-MM-dd HH:mm}Z" : "active")}");
                }
            }

            return Success;
        });

        var revokeName = new Option<string>("--name") { Description = "The key's name", Required = true };
        var revoke = new Command("revoke", "Revoke an API key");
        revoke.Options.Add(revokeName);
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            var revoked = await new ApiKeys(database, TimeProvider.System).RevokeAsync(parse.GetValue(revokeName)!, cancellationToken);
            if (!revoked)
            {
                reporter.Error("No active API key has that name.");
                return Failed;
            }

            reporter.Line("Revoked.");
            return Success;
        });

        var apikeys = new Command("apikeys", "API keys for systems");
        apikeys.Subcommands.Add(create);
        apikeys.Subcommands.Add(list);
        apikeys.Subcommands.Add(revoke);
        return apikeys;
    }

    // ---- users ----

    private static Command UsersCommand(TextWriter output, TextWriter error)
    {
        var email = new Option<string>("--email") { Description = "The administrator's email address", Required = true };
        var name = new Option<string>("--name") { Description = "Their full name", Required = true };
        var addAdmin = new Command("add-admin", "Create a national administrator (the first one, typically); a temporary password is shown once");
        addAdmin.Options.Add(email);
        addAdmin.Options.Add(name);
        addAdmin.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            await using var audit = new AuditLog(database, TimeProvider.System);
            var manage = new ManageStaff(database, TimeProvider.System, audit, new StaffDirectory(database));
            var result = await manage.CreateAsync(null, Actor.System("cli"), parse.GetValue(email), parse.GetValue(name),
                Grant.National(StaffRole.NationalAdministrator), cancellationToken: cancellationToken);
            if (!result.Succeeded)
            {
                reporter.Error($"{result.Failure!.Code}: {result.Failure.Message}");
                return result.Failure.Kind == FailureKind.Invalid ? UsageError : Failed;
            }

            var created = result.Value!;
            if (reporter.Json)
            {
                reporter.WriteJson(new { id = created.User.Id, email = created.User.Email, temporaryPassword = created.TemporaryPassword });
            }
            else
            {
                reporter.Line($"National administrator {created.User.Email} created (account {created.User.Id}). Temporary password:");
                reporter.Line(created.TemporaryPassword ?? "");
            }

            reporter.Error("Give this password to its owner now: it will not be shown again, and must be changed at the first sign-in.");
            return Success;
        });

        var file = new Argument<string>("file") { Description = "CSV: email,display_name,role,scope (one row per role)" };
        var rejectsOption = new Option<string?>("--rejects") { Description = "Where to write rejected rows (default FILE.rejects.csv)" };
        var import = new Command("import", "Create staff accounts and grant roles from a CSV file; new accounts get no password until one is set");
        import.Arguments.Add(file);
        import.Options.Add(rejectsOption);
        import.SetAction(async (parse, cancellationToken) =>
        {
            var reporter = Reporter(parse, output, error);
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new UsageException($"File not found: {path}");
            }

            var rejectsPath = parse.GetValue(rejectsOption) ?? RejectsWriter.DefaultPathFor(path);
            await using var database = await OpenMigratedAsync(parse, cancellationToken);
            await using var audit = new AuditLog(database, TimeProvider.System);
            var directory = new StaffDirectory(database);
            var importer = new ImportStaffUsers(new ManageStaff(database, TimeProvider.System, audit, directory), directory);
            Result<ImportSummary> result;
            using (var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
            await using (var rejects = new StreamWriter(rejectsPath, append: false, new UTF8Encoding(false)))
            {
                result = await importer.HandleAsync(reader, rejects, cancellationToken);
            }

            if (!result.Succeeded)
            {
                File.Delete(rejectsPath);
                reporter.Error($"{result.Failure!.Code}: {result.Failure.Message}");
                return UsageError;
            }

            var summary = result.Value!;
            if (summary.Rejected == 0)
            {
                File.Delete(rejectsPath);
            }

            reporter.Summary("Staff users (inserted: accounts created; updated: roles added to existing accounts)", summary, rejectsPath);
            return summary.Rejected > 0 ? Failed : Success;
        });

        var users = new Command("users", "Staff accounts");
        users.Subcommands.Add(addAdmin);
        users.Subcommands.Add(import);
        return users;
    }

    // ---- plumbing ----

    private static CliReporter Reporter(ParseResult parse, TextWriter output, TextWriter error) => new(output, error, parse.GetValue(s_json));

    /// <summary>The database from the options, else the environment (as the web service reads it), else SQLite in ./data.</summary>
    internal static DatabaseOptions Options(ParseResult parse)
    {
        var providerText = parse.GetValue(s_database) ?? Environment.GetEnvironmentVariable("Database__Provider") ?? "sqlite";
        var provider = providerText.Trim().ToLowerInvariant() switch
        {
            "sqlite" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
            _ => throw new UsageException($"Unknown database '{providerText}': use sqlite or postgres."),
        };
        var connectionString = parse.GetValue(s_connectionString) ?? Environment.GetEnvironmentVariable("Database__ConnectionString");
        if (connectionString is null && provider == DatabaseProvider.Postgres)
        {
            throw new UsageException("PostgreSQL needs --connection-string (or Database__ConnectionString).");
        }

        return new DatabaseOptions { Provider = provider, ConnectionString = connectionString ?? new DatabaseOptions().ConnectionString };
    }

    private static Database Open(ParseResult parse) => new(Options(parse));

    private static async Task<Database> OpenMigratedAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = Open(parse);
        await new Migrator(database).MigrateAsync(cancellationToken);
        return database;
    }

    /// <summary>Reports a second phase's progress after a first of known size (seeding: people, then vaccinations).</summary>
    private sealed class Offset(IProgress<ImportProgress> inner, long offset) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => inner.Report(value with { Read = offset + Math.Min(value.Read, offset) });
    }
}

/// <summary>Bad input from the person at the keyboard: exit code 2, message on stderr.</summary>
internal sealed class UsageException(string message) : Exception(message);
