using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.People;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Records;

/// <summary>A vaccination to record, as a sending system or a clinician describes it.</summary>
public sealed record RecordVaccinationRequest(
    string? NhsNumber,
    string? ProductCode,
    DateTimeOffset? OccurredAt,
    string? SiteOdsCode,
    int? DoseNumber = null,
    string? TargetDisease = null,
    string? BatchNumber = null,
    DateOnly? BatchExpiry = null,
    string? Route = null,
    string? BodySite = null,
    string? Performer = null,
    bool PrimarySource = true,
    string? SourceSystem = null,
    string? SourceIdentifier = null);

/// <summary>
/// Records a vaccination event in the register after checking it against the catalogue and the person's history:
/// the person exists, the product is known, it did not happen in the future, the dose number follows the history
/// (and the primary-course interval), and it is not the same product given again on the same day.
/// </summary>
public sealed partial class RecordVaccination(Database database, TimeProvider clock, VaccineCatalogue catalogue, AuditLog? audit = null)
{
    public Task<Result<VaccinationEvent>> HandleAsync(RecordVaccinationRequest request, string recordedBy, CancellationToken cancellationToken = default) =>
        HandleAsync(request, recordedBy, null, cancellationToken);

    /// <summary>Records the vaccination; <paramref name="auditAs"/> describes the audit line committed in the same transaction.</summary>
    public async Task<Result<VaccinationEvent>> HandleAsync(
        RecordVaccinationRequest request, string recordedBy, Func<VaccinationEvent, AuditEntry>? auditAs, CancellationToken cancellationToken = default)
    {
        var (draft, invalid) = Validate(request, clock.GetUtcNow(), catalogue);
        if (invalid is not null)
        {
            return invalid;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var recorded = await RecordAsync(connection, transaction, draft!, recordedBy, cancellationToken);
        if (!recorded.Succeeded)
        {
            return recorded;
        }

        if (auditAs is not null)
        {
            await (audit ?? throw new InvalidOperationException("No audit log was given to record the audit line."))
                .WriteAsync(connection, transaction, auditAs(recorded.Value!), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    /// <summary>
    /// Records a draft from <see cref="Validate"/> in the caller's transaction (which commits it, or rolls it back on a
    /// failure: after a refused insert PostgreSQL accepts nothing more in it): the person is locked, the dose number derived
    /// or checked against their history, and the event inserted. Used where recording is one step of a larger change (a
    /// vaccination recorded at a site also takes the dose from stock and closes the appointment).
    /// </summary>
    public async Task<Result<VaccinationEvent>> RecordAsync(
        DbConnection connection, DbTransaction transaction, VaccinationEvent draft, string recordedBy, CancellationToken cancellationToken = default)
    {
        var product = catalogue.FindProduct(draft.ProductCode)
            ?? throw new ArgumentException("The draft's product is not in the catalogue: check it with Validate first.", nameof(draft));
        var disease = catalogue.DiseaseOf(product);

        // Lock the person so that two recordings for one person are checked against each other's history.
        var person = await connection.QuerySingleOrDefaultAsync<PersonLife>(new CommandDefinition(
            "SELECT date_of_birth, date_of_death FROM people WHERE nhs_number = @nhs" + (database.Dialect.IsPostgres ? " FOR UPDATE" : ""),
            new { nhs = draft.NhsNumber.Value }, transaction, cancellationToken: cancellationToken));
        if (person is null)
        {
            return Failure.NotFound("person-not-found", "No person with this NHS number is in the register.");
        }

        var day = London.Day(draft.OccurredAt);
        if (day < person.DateOfBirth)
        {
            return Failure.Invalid("occurred-before-birth", "The vaccination is dated before the person's date of birth.", "occurredAt");
        }

        if (person.DateOfDeath is { } death && day > death)
        {
            return Failure.Invalid("occurred-after-death", "The vaccination is dated after the person's date of death.", "occurredAt");
        }

        var history = (await connection.QueryAsync<VaccinationRow>(new CommandDefinition(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE nhs_number = @nhs AND target_disease = @target AND status = 'completed'",
            new { nhs = draft.NhsNumber.Value, target = disease.Target }, transaction, cancellationToken: cancellationToken)))
            .Select(r => r.ToEvent())
            .ToList();

        var doseCheck = DoseRules.Check(draft, product, disease, history, catalogue);
        if (!doseCheck.Succeeded)
        {
            return doseCheck.Failure!;
        }

        var recorded = draft with { DoseNumber = doseCheck.Value, RecordedAt = clock.GetUtcNow(), RecordedBy = recordedBy };
        try
        {
            await InsertAsync(connection, transaction, recorded, cancellationToken);
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            return UniqueViolation.Message(e).Contains("source", StringComparison.Ordinal)
                ? Failure.Conflict("duplicate-identifier", "A vaccination with this identifier from this system is already recorded.", "identifier")
                : Failure.Conflict("duplicate-vaccination", "This product is already recorded for this person on this day.");
        }

        return recorded;
    }

    internal const string InsertSql =
        """
        INSERT INTO vaccination_events (id, nhs_number, target_disease, product_code, dose_number, occurred_at, occurred_on,
            site_ods_code, batch_number, batch_expiry, route_code, body_site_code, performer, primary_source, status,
            recorded_at, recorded_by, source_system, source_identifier)
        VALUES (@Id, @NhsNumber, @TargetDisease, @ProductCode, @DoseNumber, @OccurredAt, @OccurredOn,
            @SiteOdsCode, @BatchNumber, @BatchExpiry, @RouteCode, @BodySiteCode, @Performer, @PrimarySource, @Status,
            @RecordedAt, @RecordedBy, @SourceSystem, @SourceIdentifier)
        """;

    private static Task InsertAsync(DbConnection connection, DbTransaction transaction, VaccinationEvent e, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            e.Id,
            NhsNumber = e.NhsNumber.Value,
            e.TargetDisease,
            e.ProductCode,
            e.DoseNumber,
            e.OccurredAt,
            OccurredOn = London.Day(e.OccurredAt),
            e.SiteOdsCode,
            e.BatchNumber,
            e.BatchExpiry,
            e.RouteCode,
            e.BodySiteCode,
            e.Performer,
            e.PrimarySource,
            e.Status,
            e.RecordedAt,
            e.RecordedBy,
            e.SourceSystem,
            e.SourceIdentifier,
        }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Checks everything that needs no database: shape, codes, dates. Returns a draft event (dose number 0 when
    /// it is to be derived from history). Shared by the API, FHIR and the CSV importer.
    /// </summary>
    public static (VaccinationEvent? Draft, Failure? Failure) Validate(RecordVaccinationRequest request, DateTimeOffset now, VaccineCatalogue catalogue)
    {
        if (!People.NhsNumber.TryParse(request.NhsNumber, out var nhs, out var reason))
        {
            return (null, Failure.Invalid("invalid-nhs-number", reason, "nhsNumber"));
        }

        if (string.IsNullOrWhiteSpace(request.ProductCode))
        {
            return (null, Failure.Invalid("missing-product", "The vaccine product code is missing.", "productCode"));
        }

        var product = catalogue.FindProduct(request.ProductCode);
        if (product is null)
        {
            return (null, Failure.Invalid("unknown-product", "The vaccine product code is not in the catalogue.", "productCode"));
        }

        var disease = catalogue.DiseaseOf(product);
        if (request.TargetDisease is { Length: > 0 } target && catalogue.FindDisease(target)?.Target != disease.Target)
        {
            return (null, Failure.Invalid("target-disease-mismatch", $"The product protects against {disease.Display}, not '{target}'.", "targetDisease"));
        }

        if (request.OccurredAt is not { } occurredAt)
        {
            return (null, Failure.Invalid("missing-occurred-at", "The date and time of the vaccination is missing.", "occurredAt"));
        }

        if (occurredAt > now.AddMinutes(1))
        {
            return (null, Failure.Invalid("occurred-in-future", "The vaccination is dated in the future.", "occurredAt"));
        }

        if (occurredAt.Year < 1900)
        {
            return (null, Failure.Invalid("occurred-too-early", "The vaccination date is not plausible.", "occurredAt"));
        }

        if (string.IsNullOrWhiteSpace(request.SiteOdsCode) || !OdsCodePattern().IsMatch(request.SiteOdsCode.Trim()))
        {
            return (null, Failure.Invalid("invalid-ods-code", "The site's ODS code must be 3 to 10 letters and digits.", "siteOdsCode"));
        }

        if (request.DoseNumber is { } dose && dose is < 1 or > 9)
        {
            return (null, Failure.Invalid("invalid-dose-number", "The dose number must be between 1 and 9.", "doseNumber"));
        }

        if (request.BatchExpiry is { } expiry && expiry < London.Day(occurredAt))
        {
            return (null, Failure.Invalid("batch-expired", "The batch had expired before the vaccination date.", "batchExpiry"));
        }

        if (request.BatchNumber is { Length: > 100 })
        {
            return (null, Failure.Invalid("invalid-batch-number", "The batch number is longer than 100 characters.", "batchNumber"));
        }

        var route = request.Route is { Length: > 0 } ? catalogue.FindRoute(request.Route) : null;
        if (request.Route is { Length: > 0 } && route is null)
        {
            return (null, Failure.Invalid("unknown-route", "The route of administration is not a known code.", "route"));
        }

        var bodySite = request.BodySite is { Length: > 0 } ? catalogue.FindBodySite(request.BodySite) : null;
        if (request.BodySite is { Length: > 0 } && bodySite is null)
        {
            return (null, Failure.Invalid("unknown-body-site", "The body site is not a known code.", "bodySite"));
        }

        if (request.Performer is { Length: > 200 } || request.SourceIdentifier is { Length: > 200 } || request.SourceSystem is { Length: > 200 })
        {
            return (null, Failure.Invalid("value-too-long", "A text value is longer than 200 characters."));
        }

        var draft = new VaccinationEvent(
            Guid.CreateVersion7().ToString(), nhs, disease.Target, product.Code, request.DoseNumber ?? 0, occurredAt.ToUniversalTime(),
            request.SiteOdsCode.Trim().ToUpperInvariant(), request.BatchNumber?.Trim(), request.BatchExpiry, route?.Code, bodySite?.Code,
            request.Performer?.Trim(), request.PrimarySource, VaccinationStatus.Completed, now, "", NullIfBlank(request.SourceSystem),
            NullIfBlank(request.SourceIdentifier));
        return (draft, null);
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex("^[A-Za-z0-9]{3,10}$")]
    private static partial Regex OdsCodePattern();

    private sealed class PersonLife
    {
        public DateOnly DateOfBirth { get; set; }
        public DateOnly? DateOfDeath { get; set; }
    }
}

/// <summary>Whether a dose number fits a person's history for the disease. Pure: unit-tested without a database.</summary>
public static class DoseRules
{
    /// <summary>Returns the dose number to record (derived when the draft's is 0), or why it does not fit.</summary>
    public static Result<int> Check(VaccinationEvent draft, VaccineProduct product, TargetDisease disease, IReadOnlyList<VaccinationEvent> history, VaccineCatalogue catalogue)
    {
        var day = London.Day(draft.OccurredAt);
        if (history.Any(h => h.ProductCode == draft.ProductCode && London.Day(h.OccurredAt) == day))
        {
            return Failure.Conflict("duplicate-vaccination", "This product is already recorded for this person on this day.");
        }

        // Flu doses count within a season; COVID-19 doses count across the person's life.
        var counted = disease.DoseNumbering == DoseNumbering.Seasonal
            ? history.Where(h => disease.SeasonStart(London.Day(h.OccurredAt)) == disease.SeasonStart(day)).ToList()
            : history.ToList();
        var earlier = counted.Where(h => h.OccurredAt < draft.OccurredAt).OrderBy(h => h.OccurredAt).ToList();
        var dose = draft.DoseNumber == 0 ? earlier.Count + 1 : draft.DoseNumber;
        if (dose > 9)
        {
            return Failure.Invalid("invalid-dose-number", "The dose number would be more than 9.", "doseNumber");
        }

        if (counted.Any(h => h.DoseNumber == dose))
        {
            return Failure.Conflict("dose-already-recorded", $"Dose {dose} is already recorded for this person.", "doseNumber");
        }

        if (dose > 1)
        {
            var previous = earlier.LastOrDefault(h => h.DoseNumber == dose - 1);
            if (previous is null)
            {
                return Failure.Invalid("dose-out-of-sequence", $"Dose {dose} cannot be recorded before dose {dose - 1}.", "doseNumber");
            }

            var previousProduct = catalogue.FindProduct(previous.ProductCode) ?? product;
            if (dose <= previousProduct.DosesInPrimaryCourse)
            {
                var days = day.DayNumber - London.Day(previous.OccurredAt).DayNumber;
                if (days < previousProduct.MinimumIntervalDays)
                {
                    return Failure.Invalid(
                        "dose-too-soon",
                        $"Dose {dose} is {days} days after dose {dose - 1}; {previousProduct.ShortName} needs at least {previousProduct.MinimumIntervalDays} days.",
                        "occurredAt");
                }
            }
        }

        return dose;
    }
}
