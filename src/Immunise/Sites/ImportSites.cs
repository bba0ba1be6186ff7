using System.Data.Common;
using Dapper;
using Immunise.Common;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Sites;

/// <summary>
/// <c>immunise import sites FILE.csv</c>: creates or updates sites by ODS code. Each row is checked as the API checks a site
/// (<see cref="SiteRules.Validate"/>) and placed by its postcode; a bad row is rejected with its line and reason and the
/// others are stored. Re-importing the same file changes nothing.
/// Columns: <c>ods_code,name,type,address,postcode,services</c> required; <c>accessibility,information,products,status,phone,email</c>
/// optional. Lists (services, accessibility, products) are separated by <c>;</c>, <c>|</c> or spaces.
/// </summary>
public sealed class ImportSites(Database database, TimeProvider clock, VaccineCatalogue catalogue)
{
    public static readonly IReadOnlyList<string> RequiredColumns = ["ods_code", "name", "type|site_type", "address", "postcode", "services"];

    private static readonly char[] s_listSeparators = [';', '|', ' '];

    public async Task<Result<ImportSummary>> ImportCsvAsync(TextReader csv, RejectsWriter? rejects = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var opened = CsvTable.Open(csv, RequiredColumns);
        if (!opened.Succeeded)
        {
            return opened.Failure!;
        }

        using var table = opened.Value!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        ImportRejection? CheckInFile(ImportRow<ValidSite> row) => seen.Add(row.Value!.OdsCode)
            ? null
            : new ImportRejection(row.Line, "duplicate-ods-code", "This ODS code is on an earlier row of the same file; the earlier row is used.");

        await using var writer = new Writer(database, clock.GetUtcNow());
        return await ImportRunner.RunAsync(ImportRunner.ToAsync(Rows(table)), CheckInFile, writer, 500, rejects, progress, cancellationToken);
    }

    private IEnumerable<ImportRow<ValidSite>> Rows(CsvTable table)
    {
        var ods = table.IndexOf("ods_code");
        var name = table.IndexOf("name");
        var type = table.IndexOf("type|site_type");
        var address = table.IndexOf("address");
        var postcode = table.IndexOf("postcode");
        var services = table.IndexOf("services");
        var accessibility = table.IndexOf("accessibility");
        var information = table.IndexOf("information");
        var products = table.IndexOf("products");
        var status = table.IndexOf("status");
        var phone = table.IndexOf("phone");
        var email = table.IndexOf("email");
        foreach (var record in table.Records())
        {
            if (record.IsMalformed)
            {
                yield return ImportRow<ValidSite>.Reject(record.Line, "malformed-row", record.Error!);
                continue;
            }

            var f = record.Fields;
            var details = new SiteDetails(
                CsvField.Get(f, ods), CsvField.Get(f, name), CsvField.Get(f, type), CsvField.Get(f, address), CsvField.Get(f, postcode),
                List(CsvField.Get(f, accessibility)), CsvField.Get(f, information), List(CsvField.Get(f, services)),
                List(CsvField.Get(f, products)), CsvField.Get(f, status), CsvField.Get(f, phone), CsvField.Get(f, email));
            var valid = SiteRules.Validate(details, catalogue);
            yield return valid.Succeeded
                ? ImportRow<ValidSite>.Accept(record.Line, valid.Value!)
                : ImportRow<ValidSite>.Reject(record.Line, valid.Failure!.Code, valid.Failure.Message);
        }
    }

    private static string[] List(string? value) => value?.Split(s_listSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary>Stores a batch in one transaction: each site placed by its postcode, then inserted, updated or left as it is.</summary>
    private sealed class Writer(Database database, DateTimeOffset now) : IBatchWriter<ValidSite>
    {
        public async Task<BatchOutcome> WriteAsync(IReadOnlyList<ImportRow<ValidSite>> batch, CancellationToken cancellationToken)
        {
            long inserted = 0, updated = 0;
            var rejections = new List<ImportRejection>();
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var row in batch)
            {
                var site = row.Value!;
                var location = await PostcodeLocation.FindAsync(connection, transaction, site.Postcode, cancellationToken);
                if (location is null)
                {
                    rejections.Add(new ImportRejection(row.Line, SaveSite.UnknownPostcode.Code, SaveSite.UnknownPostcode.Message));
                    continue;
                }

                var existing = await connection.QuerySingleOrDefaultAsync<SiteRow>(new CommandDefinition(
                    $"SELECT {SiteRow.Columns} FROM sites WHERE ods_code = @OdsCode", new { site.OdsCode }, transaction, cancellationToken: cancellationToken));
                if (existing is null)
                {
                    await connection.ExecuteAsync(new CommandDefinition(SaveSite.InsertSql, SaveSite.Parameters(site, location, now), transaction, cancellationToken: cancellationToken));
                    inserted++;
                }
                else if (!Same(existing.ToSite(), SaveSite.ToSite(site, location, existing.CreatedAt, existing.UpdatedAt)))
                {
                    await connection.ExecuteAsync(new CommandDefinition(SaveSite.UpdateSql, SaveSite.Parameters(site, location, now), transaction, cancellationToken: cancellationToken));
                    updated++;
                }
                else
                {
                    continue;
                }

                await SaveSite.ReplaceServicesAsync(connection, transaction, site, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new BatchOutcome(inserted, updated, rejections);
        }

        private static bool Same(Site a, Site b) =>
            a with { Accessibility = [], Services = [], Products = [] } == b with { Accessibility = [], Services = [], Products = [] }
            && a.Accessibility.SequenceEqual(b.Accessibility) && a.Services.SequenceEqual(b.Services) && a.Products.SequenceEqual(b.Products);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
