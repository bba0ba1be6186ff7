using Immunise.Common;
using Immunise.Storage;
using NpgsqlTypes;

namespace Immunise.People;

/// <summary>
/// Loads people into the register in bulk: an upsert by NHS number that changes nothing when re-run (a re-import leaves
/// <c>updated_at</c> alone and counts the rows as unchanged). Rows come from a CSV file (<see cref="PeopleCsv"/>), or
/// straight from code as <see cref="Person"/> objects (the seeder, the benchmark). The same NHS number twice in one
/// import: the second is rejected.
/// </summary>
public sealed class ImportPeople(Database database, TimeProvider clock)
{
    /// <summary>Rows per transaction (SQLite) or per COPY batch (PostgreSQL); null for the provider's default.</summary>
    public int? BatchSize { get; init; }

    private int EffectiveBatchSize => BatchSize ?? (database.Dialect.IsPostgres ? 100_000 : 50_000);

    public Task<ImportSummary> HandleAsync(IAsyncEnumerable<ImportRow<Person>> rows, RejectsWriter? rejects = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(rows, rejects, progress, cancellationToken);

    public Task<ImportSummary> HandleAsync(IAsyncEnumerable<Person> people, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(ImportRunner.Numbered(people, cancellationToken), null, progress, cancellationToken);

    public Task<ImportSummary> HandleAsync(IEnumerable<Person> people, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(ImportRunner.Numbered(ImportRunner.ToAsync(people), cancellationToken), null, progress, cancellationToken);

    /// <summary>Imports a people CSV file. Fails up front (<c>missing-columns</c>) when the header lacks a required column.</summary>
    public async Task<Result<ImportSummary>> ImportCsvAsync(TextReader csv, RejectsWriter? rejects = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var opened = PeopleCsv.Open(csv, clock);
        if (!opened.Succeeded)
        {
            return opened.Failure!;
        }

        using var reader = opened.Value!;
        return await RunAsync(ImportRunner.ToAsync(reader.Rows()), rejects, progress, cancellationToken);
    }

    private async Task<ImportSummary> RunAsync(IAsyncEnumerable<ImportRow<Person>> rows, RejectsWriter? rejects, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        var seen = new HashSet<long>();
        ImportRejection? CheckInFile(ImportRow<Person> row) =>
            seen.Add(long.Parse(row.Value!.NhsNumber.Value, System.Globalization.CultureInfo.InvariantCulture))
                ? null
                : new ImportRejection(row.Line, "duplicate-nhs-number", "This NHS number is on an earlier row of the same file; the earlier row is used.");

        await using var writer = await OpenWriterAsync(cancellationToken);
        return await ImportRunner.RunAsync(rows, CheckInFile, writer, EffectiveBatchSize, rejects, progress, cancellationToken);
    }

    private Task<IBatchWriter<Person>> OpenWriterAsync(CancellationToken cancellationToken) =>
        UpsertWriter.OpenAsync(database, new BulkUpsert<Person>("people", Columns(clock.GetUtcNow())), cancellationToken);

    internal static IReadOnlyList<BulkColumn<Person>> Columns(DateTimeOffset now) =>
    [
        new("nhs_number", NpgsqlDbType.Text, BulkRole.Key, p => p.NhsNumber.Value),
        new("given_name", NpgsqlDbType.Text, BulkRole.Compared, p => p.GivenName),
        new("family_name", NpgsqlDbType.Text, BulkRole.Compared, p => p.FamilyName),
        new("date_of_birth", NpgsqlDbType.Date, BulkRole.Compared, p => p.DateOfBirth),
        new("sex", NpgsqlDbType.Text, BulkRole.Compared, p => p.Sex),
        new("postcode", NpgsqlDbType.Text, BulkRole.Compared, p => p.Postcode),
        new("gp_practice_code", NpgsqlDbType.Text, BulkRole.Compared, p => p.GpPracticeCode),
        new("ethnicity", NpgsqlDbType.Text, BulkRole.Compared, p => p.Ethnicity),
        new("care_home_resident", NpgsqlDbType.Boolean, BulkRole.Compared, p => p.CareHomeResident),
        new("clinical_risk_groups", NpgsqlDbType.Text, BulkRole.Compared, p => PersonCodes.Join(p.ClinicalRiskGroups)),
        new("occupations", NpgsqlDbType.Text, BulkRole.Compared, p => PersonCodes.Join(p.Occupations)),
        new("mobile", NpgsqlDbType.Text, BulkRole.Compared, p => p.Mobile),
        new("email", NpgsqlDbType.Text, BulkRole.Compared, p => p.Email),
        new("address", NpgsqlDbType.Text, BulkRole.Compared, p => p.Address),
        new("date_of_death", NpgsqlDbType.Date, BulkRole.Compared, p => p.DateOfDeath),
        new("created_at", NpgsqlDbType.TimestampTz, BulkRole.InsertOnly, _ => now),
        new("updated_at", NpgsqlDbType.TimestampTz, BulkRole.Touched, _ => now),
    ];
}
