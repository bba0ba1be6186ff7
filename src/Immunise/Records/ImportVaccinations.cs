using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Immunise.Common;
using Immunise.Storage;
using Immunise.Vaccines;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Immunise.Records;

/// <summary>
/// Loads vaccination events in bulk, upserting by event id so a re-import changes nothing. Each row passes the same
/// checks as <see cref="RecordVaccination.Validate"/> (codes, dates, not in the future); then, per batch, against the
/// register: the person must exist and be alive on the day, and the same product must not already be recorded for the
/// person on the same Europe/London day under another id (nor twice in the file). A row that fails is rejected alone;
/// the rest of its batch is stored.
/// <para>
/// Dose-number history is deliberately NOT checked here (unlike <see cref="RecordVaccination"/>): historic loads arrive
/// out of order (dose 2 before dose 1, boosters from one supplier before primary doses from another), so the dose number
/// in the file is recorded as given.
/// </para>
/// </summary>
public sealed partial class ImportVaccinations(Database database, TimeProvider clock, VaccineCatalogue catalogue)
{
    public static readonly IReadOnlyList<string> RequiredColumns = ["event_id", "nhs_number", "product_code", "dose_number", "occurred_at", "site_ods_code"];

    public static readonly IReadOnlyList<string> OptionalColumns = ["batch_number", "batch_expiry", "route", "body_site", "performer", "target_disease"];

    public static readonly IReadOnlyList<string> AllColumns = [.. RequiredColumns, .. OptionalColumns];

    public int? BatchSize { get; init; }

    private int EffectiveBatchSize => BatchSize ?? (database.Dialect.IsPostgres ? 50_000 : 20_000);

    /// <summary>Imports events built in code (the seeder). Their ids must be valid event ids; they are checked like file rows.</summary>
    public Task<ImportSummary> HandleAsync(IAsyncEnumerable<VaccinationEvent> events, string recordedBy, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default) =>
        HandleAsync(Checked(events, cancellationToken), recordedBy, null, progress, cancellationToken);

    public async Task<ImportSummary> HandleAsync(IAsyncEnumerable<ImportRow<VaccinationEvent>> rows, string recordedBy, RejectsWriter? rejects = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var sameDay = new HashSet<(string Nhs, string Product, DateOnly Day)>();
        ImportRejection? CheckInFile(ImportRow<VaccinationEvent> row)
        {
            var e = row.Value!;
            if (!ids.Add(e.Id))
            {
                return new ImportRejection(row.Line, "duplicate-event-id", "This event_id is on an earlier row of the same file; the earlier row is used.");
            }

            return sameDay.Add((e.NhsNumber.Value, e.ProductCode, London.Day(e.OccurredAt)))
                ? null
                : new ImportRejection(row.Line, "duplicate-vaccination", "The same product for the same person on the same day is on an earlier row of the file.");
        }

        var now = clock.GetUtcNow();
        var upsert = new BulkUpsert<VaccinationEvent>("vaccination_events", Columns(now, recordedBy));
        IBatchWriter<VaccinationEvent> writer;
        if (database.Dialect.IsPostgres)
        {
            writer = new PostgresWriter(new PostgresSessions(database, upsert.CreateStagingAsync), upsert);
        }
        else
        {
            var connection = await database.OpenSessionAsync(cancellationToken);
            await SqliteBulk.EnterAsync(connection, cancellationToken);
            writer = new SqliteWriter((SqliteConnection)connection, upsert);
        }

        await using (writer)
        {
            return await ImportRunner.RunAsync(rows, CheckInFile, writer, EffectiveBatchSize, rejects, progress, cancellationToken);
        }
    }

    /// <summary>Imports a vaccinations CSV file; <c>recorded_by</c> is <c>import:&lt;file name&gt;</c>.</summary>
    public async Task<Result<ImportSummary>> ImportCsvAsync(TextReader csv, string fileName, RejectsWriter? rejects = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var opened = CsvTable.Open(csv, RequiredColumns);
        if (!opened.Succeeded)
        {
            return opened.Failure!;
        }

        using var table = opened.Value!;
        return await HandleAsync(ImportRunner.ToAsync(Rows(table)), "import:" + Path.GetFileName(fileName), rejects, progress, cancellationToken);
    }

    /// <summary>Parses an occurrence: ISO 8601 with an offset or Z; without one, a Europe/London wall-clock time.</summary>
    public static bool TryParseOccurredAt(string text, out DateTimeOffset occurredAt)
    {
        occurredAt = default;
        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 10 && text.AsSpan(10).IndexOfAny('+', '-') >= 0);
        if (hasOffset)
        {
            return DateTimeOffset.TryParseExact(text, s_withOffset, CultureInfo.InvariantCulture, DateTimeStyles.None, out occurredAt);
        }

        if (!DateTime.TryParseExact(text, s_local, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            || London.Zone.IsInvalidTime(local))
        {
            return false;
        }

        occurredAt = new DateTimeOffset(local, London.Zone.GetUtcOffset(local));
        return true;
    }

    private static readonly string[] s_withOffset =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mmK",
    ];

    private static readonly string[] s_local =
    [
        "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm",
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm",
    ];

    private IEnumerable<ImportRow<VaccinationEvent>> Rows(CsvTable table)
    {
        int Column(string name) => table.IndexOf(name);
        var (id, nhs, product, dose, occurred, site) = (Column("event_id"), Column("nhs_number"), Column("product_code"), Column("dose_number"), Column("occurred_at"), Column("site_ods_code"));
        var (batch, expiry, route, bodySite, performer, target) = (Column("batch_number"), Column("batch_expiry"), Column("route"), Column("body_site"), Column("performer"), Column("target_disease"));
        var now = clock.GetUtcNow();
        foreach (var record in table.Records())
        {
            if (record.IsMalformed)
            {
                yield return ImportRow<VaccinationEvent>.Reject(record.Line, "malformed-row", record.Error!);
                continue;
            }

            var f = record.Fields;
            yield return Parse(record.Line, now,
                CsvField.Get(f, id), CsvField.Get(f, nhs), CsvField.Get(f, product), CsvField.Get(f, dose), CsvField.Get(f, occurred),
                CsvField.Get(f, site), CsvField.Get(f, batch), CsvField.Get(f, expiry), CsvField.Get(f, route), CsvField.Get(f, bodySite),
                CsvField.Get(f, performer), CsvField.Get(f, target));
        }
    }

    private ImportRow<VaccinationEvent> Parse(
        long line, DateTimeOffset now, string? id, string? nhs, string? product, string? dose, string? occurred, string? site,
        string? batch, string? expiry, string? route, string? bodySite, string? performer, string? target)
    {
        ImportRow<VaccinationEvent> Reject(string code, string message) => ImportRow<VaccinationEvent>.Reject(line, code, message);

        var missing = id is null ? "event_id" : nhs is null ? "nhs_number" : product is null ? "product_code"
            : dose is null ? "dose_number" : occurred is null ? "occurred_at" : site is null ? "site_ods_code" : null;
        if (missing is not null)
        {
            return Reject("missing-field", $"{missing} is missing.");
        }

        if (!EventId().IsMatch(id!))
        {
            return Reject("invalid-event-id", "event_id must be 1 to 64 characters of letters, digits, '.', '_' or '-'.");
        }

        if (!int.TryParse(dose, NumberStyles.None, CultureInfo.InvariantCulture, out var doseNumber))
        {
            return Reject("invalid-dose-number", "dose_number must be a whole number between 1 and 9.");
        }

        if (!TryParseOccurredAt(occurred!, out var occurredAt))
        {
            return Reject("invalid-date-time", "occurred_at must be an ISO 8601 date and time, e.g. 2021-03-01T10:15:00Z or 2021-03-01T10:15:00+00:00.");
        }

        DateOnly? batchExpiry = null;
        if (expiry is not null)
        {
            if (!CsvField.TryParseDate(expiry, out var e))
            {
                return Reject("invalid-date", "batch_expiry is not a real date in the form yyyy-MM-dd.");
            }

            batchExpiry = e;
        }

        var (draft, failure) = RecordVaccination.Validate(
            new RecordVaccinationRequest(nhs, product, occurredAt, site, doseNumber, target, batch, batchExpiry, route, bodySite, performer),
            now, catalogue);
        return failure is not null
            ? Reject(failure.Code, failure.Message)
            : ImportRow<VaccinationEvent>.Accept(line, draft! with { Id = id! });
    }

    private async IAsyncEnumerable<ImportRow<VaccinationEvent>> Checked(IAsyncEnumerable<VaccinationEvent> events, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long line = 1;
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            line++;
            yield return !EventId().IsMatch(e.Id)
                ? ImportRow<VaccinationEvent>.Reject(line, "invalid-event-id", "The event id must be 1 to 64 characters of letters, digits, '.', '_' or '-'.")
                : catalogue.FindProduct(e.ProductCode) is null
                    ? ImportRow<VaccinationEvent>.Reject(line, "unknown-product", "The vaccine product code is not in the catalogue.")
                    : ImportRow<VaccinationEvent>.Accept(line, e);
        }
    }

    internal static IReadOnlyList<BulkColumn<VaccinationEvent>> Columns(DateTimeOffset now, string recordedBy) =>
    [
        new("id", NpgsqlDbType.Text, BulkRole.Key, e => e.Id),
        new("nhs_number", NpgsqlDbType.Text, BulkRole.Compared, e => e.NhsNumber.Value),
        new("target_disease", NpgsqlDbType.Text, BulkRole.Compared, e => e.TargetDisease),
        new("product_code", NpgsqlDbType.Text, BulkRole.Compared, e => e.ProductCode),
        new("dose_number", NpgsqlDbType.Integer, BulkRole.Compared, e => e.DoseNumber),
        new("occurred_at", NpgsqlDbType.TimestampTz, BulkRole.Compared, e => e.OccurredAt),
        new("occurred_on", NpgsqlDbType.Date, BulkRole.Compared, e => London.Day(e.OccurredAt)),
        new("site_ods_code", NpgsqlDbType.Text, BulkRole.Compared, e => e.SiteOdsCode),
        new("batch_number", NpgsqlDbType.Text, BulkRole.Compared, e => e.BatchNumber),
        new("batch_expiry", NpgsqlDbType.Date, BulkRole.Compared, e => e.BatchExpiry),
        new("route_code", NpgsqlDbType.Text, BulkRole.Compared, e => e.RouteCode),
        new("body_site_code", NpgsqlDbType.Text, BulkRole.Compared, e => e.BodySiteCode),
        new("performer", NpgsqlDbType.Text, BulkRole.Compared, e => e.Performer),
        new("primary_source", NpgsqlDbType.Boolean, BulkRole.InsertOnly, e => e.PrimarySource),
        new("status", NpgsqlDbType.Text, BulkRole.InsertOnly, _ => VaccinationStatus.Completed),
        new("recorded_at", NpgsqlDbType.TimestampTz, BulkRole.Touched, _ => now),
        new("recorded_by", NpgsqlDbType.Text, BulkRole.Touched, _ => recordedBy),
    ];

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex EventId();

    private static ImportRejection Rejection(long line, string code) => code switch
    {
        "person-not-found" => new(line, code, "No person with this NHS number is in the register."),
        "occurred-before-birth" => new(line, code, "The vaccination is dated before the person's date of birth."),
        "occurred-after-death" => new(line, code, "The vaccination is dated after the person's date of death."),
        _ => new(line, "duplicate-vaccination", "This product is already recorded for this person on this day under another event id."),
    };

    private sealed class PostgresWriter(PostgresSessions sessions, BulkUpsert<VaccinationEvent> upsert) : IBatchWriter<VaccinationEvent>
    {
        public int Parallelism => PostgresSessions.Parallelism;

        public Task<BatchOutcome> WriteAsync(IReadOnlyList<ImportRow<VaccinationEvent>> batch, CancellationToken cancellationToken) =>
            sessions.WithAsync(connection => WriteAsync(connection, batch, cancellationToken), cancellationToken);

        public ValueTask DisposeAsync() => sessions.DisposeAsync();

        private async Task<BatchOutcome> WriteAsync(NpgsqlConnection connection, IReadOnlyList<ImportRow<VaccinationEvent>> batch, CancellationToken cancellationToken)
        {
            var values = new List<VaccinationEvent>(batch.Count);
            foreach (var row in batch)
            {
                values.Add(row.Value!);
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await upsert.CopyAsync(connection, values, cancellationToken);
            await connection.ExecuteAsync($"ANALYZE {upsert.Staging}", transaction: transaction);

            // Find the rows that would fail against the register before writing any, so one bad row cannot abort the batch.
            var failing = (await connection.QueryAsync<(int Ord, string Code)>(new CommandDefinition(
                $"""
                SELECT s.import_ord,
                    CASE WHEN p.nhs_number IS NULL THEN 'person-not-found'
                         WHEN s.occurred_on < p.date_of_birth THEN 'occurred-before-birth'
                         WHEN s.occurred_on > p.date_of_death THEN 'occurred-after-death'
                         ELSE 'duplicate-vaccination' END
                FROM {upsert.Staging} s
                LEFT JOIN people p ON p.nhs_number = s.nhs_number
                WHERE p.nhs_number IS NULL OR s.occurred_on < p.date_of_birth OR s.occurred_on > p.date_of_death
                   OR EXISTS (SELECT 1 FROM vaccination_events v
                              WHERE v.nhs_number = s.nhs_number AND v.product_code = s.product_code
                                AND v.occurred_on = s.occurred_on AND v.status = 'completed' AND v.id <> s.id)
                """,
                transaction: transaction, cancellationToken: cancellationToken))).ToList();
            if (failing.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {upsert.Staging} WHERE import_ord = ANY(@ords)", new { ords = failing.Select(f => f.Ord).ToArray() },
                    transaction, cancellationToken: cancellationToken));
            }

            var (inserted, updated) = await upsert.MergeAsync(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new BatchOutcome(inserted, updated, failing.Select(f => Rejection(batch[f.Ord].Line, f.Code)).ToList());
        }
    }

    private sealed class SqliteWriter(SqliteConnection connection, BulkUpsert<VaccinationEvent> upsert) : IBatchWriter<VaccinationEvent>
    {
        public async Task<BatchOutcome> WriteAsync(IReadOnlyList<ImportRow<VaccinationEvent>> batch, CancellationToken cancellationToken)
        {
            long inserted = 0, updated = 0;
            var rejections = new List<ImportRejection>();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            using var person = connection.CreateCommand();
            person.Transaction = transaction;
            person.CommandText = "SELECT date_of_birth, date_of_death FROM people WHERE nhs_number = $nhs";
            var personNhs = person.Parameters.Add(new SqliteParameter("$nhs", null));
            using var duplicate = connection.CreateCommand();
            duplicate.Transaction = transaction;
            duplicate.CommandText =
                """
                SELECT 1 FROM vaccination_events
                WHERE nhs_number = $nhs AND product_code = $product AND occurred_on = $day AND status = 'completed' AND id <> $id LIMIT 1
                """;
            var (dNhs, dProduct, dDay, dId) = (
                duplicate.Parameters.Add(new SqliteParameter("$nhs", null)), duplicate.Parameters.Add(new SqliteParameter("$product", null)),
                duplicate.Parameters.Add(new SqliteParameter("$day", null)), duplicate.Parameters.Add(new SqliteParameter("$id", null)));
            person.Prepare();
            duplicate.Prepare();

            string? lastNhs = null;
            (DateOnly Birth, DateOnly? Death)? life = null;
            using (var upserter = upsert.PrepareSqlite(connection))
            {
                foreach (var row in batch)
                {
                    var e = row.Value!;
                    if (e.NhsNumber.Value != lastNhs)
                    {
                        lastNhs = e.NhsNumber.Value;
                        personNhs.Value = lastNhs;
                        using var reader = person.ExecuteReader();
                        life = reader.Read()
                            ? (Parse(reader.GetString(0)), reader.IsDBNull(1) ? null : Parse(reader.GetString(1)))
                            : null;
                    }

                    var day = London.Day(e.OccurredAt);
                    var dayText = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    string? failure = null;
                    if (life is not { } known)
                    {
                        failure = "person-not-found";
                    }
                    else if (day < known.Birth)
                    {
                        failure = "occurred-before-birth";
                    }
                    else if (known.Death is { } death && day > death)
                    {
                        failure = "occurred-after-death";
                    }
                    else
                    {
                        (dNhs.Value, dProduct.Value, dDay.Value, dId.Value) = (e.NhsNumber.Value, e.ProductCode, dayText, e.Id);
                        if (duplicate.ExecuteScalar() is not null)
                        {
                            failure = "duplicate-vaccination";
                        }
                    }

                    if (failure is not null)
                    {
                        rejections.Add(Rejection(row.Line, failure));
                        continue;
                    }

                    switch (upserter.Upsert(e))
                    {
                        case UpsertOutcome.Inserted:
                            inserted++;
                            break;
                        case UpsertOutcome.Updated:
                            updated++;
                            break;
                    }
                }
            }

            await transaction.CommitAsync(cancellationToken);
            return new BatchOutcome(inserted, updated, rejections);
        }

        public async ValueTask DisposeAsync()
        {
            await SqliteBulk.LeaveAsync(connection);
            await ((DbConnection)connection).DisposeAsync();
        }

        private static DateOnly Parse(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}
