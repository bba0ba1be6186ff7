using System.CommandLine;
using System.Text.Json;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Cli;

/// <summary>
/// <c>immunise import eligibility-data FILE.json</c> (NHS England's person-data rows) and <c>immunise campaigns load DIR</c> /
/// <c>campaigns list</c> (campaign configs and consumer mappings in NHS England's format, versioned in the database).
/// </summary>
internal static class EligibilityCommands
{
    public static Command ImportEligibilityData(Func<ParseResult, CancellationToken, Task<Database>> open, Func<ParseResult, bool> json, TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "A JSON array of rows in NHS England's format (or an object with a 'data' array)" };
        var command = new Command("eligibility-data", "Import person data in NHS England's Eligibility Signposting format (PERSON, COHORTS and target rows)");
        command.Arguments.Add(file);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new UsageException($"File not found: {path}");
            }

            JsonDocument document;
            try
            {
                await using var stream = File.OpenRead(path);
                document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
            }
            catch (JsonException e)
            {
                throw new UsageException($"{Path.GetFileName(path)} is not JSON: {e.Message}");
            }

            using (document)
            {
                await using var database = await open(parse, cancellationToken);
                EligibilityDataImportResult result;
                try
                {
                    result = await new ImportEligibilityData(database, TimeProvider.System, Register()).HandleAsync(document.RootElement, cancellationToken);
                }
                catch (FormatException e)
                {
                    throw new UsageException(e.Message);
                }

                if (json(parse))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(result));
                }
                else
                {
                    await output.WriteLineAsync($"Eligibility data: read {result.Rows:N0} rows, stored {result.Stored:N0} for {result.People:N0} people, rejected {result.Rejected.Count:N0}");
                    foreach (var rejection in result.Rejected.Take(50))
                    {
                        await error.WriteLineAsync($"  row {rejection.Row}: {rejection.Code}: {rejection.Reason}");
                    }
                }

                return result.Rejected.Count > 0 ? Cli.Failed : Cli.Success;
            }
        });
        return command;
    }

    public static Command Campaigns(Func<ParseResult, CancellationToken, Task<Database>> open, Func<ParseResult, bool> json, TextWriter output, TextWriter error)
    {
        var directory = new Argument<string>("directory") { Description = "A folder of campaign configs and consumer mappings (*.json, any depth)" };
        var load = new Command("load", "Validate every config in a folder and store those that changed as new versions (nothing is stored if any is refused)");
        load.Arguments.Add(directory);
        load.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(directory)!;
            if (!Directory.Exists(path))
            {
                throw new UsageException($"Folder not found: {path}");
            }

            await using var database = await open(parse, cancellationToken);
            var result = await new CampaignStore(database, TimeProvider.System).LoadAsync(CampaignStore.ReadFolder(path), Environment.UserName, cancellationToken);
            if (json(parse))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(result));
            }
            else if (result.Succeeded)
            {
                foreach (var item in result.Items)
                {
                    await output.WriteLineAsync($"{item.Source}: {item.Kind} '{item.Id}' version {item.Version}{(item.Added ? " (new)" : " (unchanged)")}");
                }

                await output.WriteLineAsync($"Campaigns: {result.Items.Count(i => i.Added)} new versions, {result.Items.Count(i => !i.Added)} unchanged");
            }

            foreach (var message in result.Errors)
            {
                await error.WriteLineAsync(message);
            }

            return result.Succeeded ? Cli.Success : Cli.UsageError;
        });

        var list = new Command("list", "List every stored version of every campaign config and consumer mapping");
        list.SetAction(async (parse, cancellationToken) =>
        {
            await using var database = await open(parse, cancellationToken);
            var configs = await new CampaignStore(database, TimeProvider.System).ListAsync(cancellationToken);
            if (json(parse))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(configs));
                return Cli.Success;
            }

            foreach (var config in configs)
            {
                await output.WriteLineAsync($"{config.Kind,-18} {config.Id,-50} v{config.Version,-4} {config.LoadedAt:yyyy-MM-dd HH:mm} {config.LoadedBy} ({config.Source})");
            }

            return Cli.Success;
        });

        var campaigns = new Command("campaigns", "Campaign configs (NHS England's Eligibility Signposting format)");
        campaigns.Subcommands.Add(load);
        campaigns.Subcommands.Add(list);
        return campaigns;
    }

    public static Command Count(Func<ParseResult, CancellationToken, Task<Database>> open, Func<ParseResult, CliReporter> reporter)
    {
        var campaign = new Option<string>("--campaign") { Description = "The campaign config ID (or ID/TARGET)", Required = true };
        var region = new Option<string?>("--region") { Description = "Only people in this NHS region (ODS code, e.g. Y56)" };
        var icb = new Option<string?>("--icb") { Description = "Only people in this ICB (ODS code, e.g. QMJ)" };
        var date = new Option<string?>("--date") { Description = "The day to decide for, yyyy-MM-dd (default: today in Europe/London)" };
        var count = new Command("count", "Evaluate a campaign for the whole register and count people per status and cohort");
        count.Options.Add(campaign);
        count.Options.Add(region);
        count.Options.Add(icb);
        count.Options.Add(date);
        count.SetAction(async (parse, cancellationToken) =>
        {
            var day = Records.London.Today(TimeProvider.System);
            if (parse.GetValue(date) is { } text && !DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out day))
            {
                throw new UsageException("--date must be a date written yyyy-MM-dd.");
            }

            var report = reporter(parse);
            await using var database = await open(parse, cancellationToken);
            long total;
            await using (var connection = await database.OpenAsync(cancellationToken))
            {
                total = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM people");
            }

            var counter = new CountCohorts(database, new RegisterPersonData(database), new CampaignStore(database, TimeProvider.System));
            var request = new CohortCountRequest(parse.GetValue(campaign)!, day, parse.GetValue(region), parse.GetValue(icb));
            var result = await report.WithProgressAsync(
                "Evaluating the register", () => total,
                progress => counter.HandleAsync(request, new Progress<long>(n => progress.Report(new Common.ImportProgress(n, n, 0))), cancellationToken));
            if (!result.Succeeded)
            {
                report.Error($"{result.Failure!.Code}: {result.Failure.Message}");
                return Cli.UsageError;
            }

            var counts = result.Value!;
            if (report.Json)
            {
                report.WriteJson(counts);
                return Cli.Success;
            }

            report.Line($"{counts.Campaign} on {counts.Date:yyyy-MM-dd}: {counts.People:N0} people evaluated in {counts.Elapsed.TotalSeconds:F1} s ({counts.PeoplePerSecond:N0} people/s)");
            foreach (var status in counts.Statuses)
            {
                report.Line($"  {status.Condition,-8} {status.Status,-14} {status.People,12:N0}");
            }

            foreach (var cohort in counts.Cohorts)
            {
                report.Line($"  {cohort.Condition,-8} {cohort.Cohort,-40} {cohort.Status,-14} {cohort.People,12:N0}");
            }

            return Cli.Success;
        });

        var eligibility = new Command("eligibility", "Eligibility across the register");
        eligibility.Subcommands.Add(count);
        return eligibility;
    }

    /// <summary>As the web service reads it: <c>Register__AcceptTestNumbersWithoutCheckDigit=true</c> in the environment.</summary>
    private static RegisterOptions Register() => new()
    {
        AcceptTestNumbersWithoutCheckDigit = string.Equals(
            Environment.GetEnvironmentVariable("Register__AcceptTestNumbersWithoutCheckDigit"), "true", StringComparison.OrdinalIgnoreCase),
    };
}
