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

    /// <summary>As the web service reads it: <c>Register__AcceptTestNumbersWithoutCheckDigit=true</c> in the environment.</summary>
    private static RegisterOptions Register() => new()
    {
        AcceptTestNumbersWithoutCheckDigit = string.Equals(
            Environment.GetEnvironmentVariable("Register__AcceptTestNumbersWithoutCheckDigit"), "true", StringComparison.OrdinalIgnoreCase),
    };
}
