using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.SiteDay;

/// <summary>
/// What the clinician records: the vaccine (a product the site has in date), the batch number as printed on the pack, where
/// on the body and by what route it was given, and who consented. The dose number is never given: it follows the register.
/// </summary>
public sealed record SiteVaccinationRequest(string? ProductCode, string? BatchNumber, string? BodySite, string? Route, string? Consent);

/// <summary>A walk-in's vaccination: who (NHS number), for what programme, and an override reason when the check said no.</summary>
public sealed record WalkInVaccinationRequest(NhsNumber NhsNumber, string? Programme, SiteVaccinationRequest Vaccination, string? OverrideReason = null);

/// <summary>What was recorded: the register's event, who consented, the site outcome's id, the appointment (none for a walk-in).</summary>
public sealed record SiteVaccination(VaccinationEvent Event, string Consent, string OutcomeId, DayAppointment? Appointment, string? EligibilityCode, bool Overridden);

/// <summary>
/// Records a vaccination given at a site, by the signed-in clinician (the vaccinator). In one transaction: the appointment is
/// closed as vaccinated (one conditional UPDATE: of two recordings racing for one appointment exactly one wins, the other is
/// <c>already-vaccinated</c> and changes nothing), the person is locked and the dose decided again on their history, one dose
/// is taken from the batch (<see cref="SiteStock.UseDoseAsync(DbConnection, DbTransaction?, string, string?, string?, DateOnly, CancellationToken)"/>:
/// refused when unknown, expired or empty), the vaccination event is written to the register, the site outcome (with consent)
/// is stored, and the audit lines are written. Any refusal rolls all of it back.
/// <para>
/// Walk-ins have no appointment: the eligibility check for the programme today must allow them, or refuse for a reason a
/// clinician may override (<see cref="VaccinationPlanner.Overridable"/>) with a reason of their own (10 to 500 characters),
/// which is stored with the outcome and audited (<c>eligibility.overridden</c>).
/// </para>
/// </summary>
public sealed class RecordSiteVaccination(Database database, VaccinationPlanner planner, RecordVaccination register, SiteStock stock, AuditLog audit, TimeProvider clock)
{
    public async Task<Result<SiteVaccination>> ForAppointmentAsync(
        string siteOdsCode, string? reference, SiteVaccinationRequest request, StaffMember clinician, CancellationToken cancellationToken = default)
    {
        if (!StaffRoles.TryParseOdsCode(siteOdsCode, out var site))
        {
            return SiteDayCodes.SiteNotFound;
        }

        if (!BookingReference.TryParse(reference, out _))
        {
            return SiteDayCodes.InvalidReference;
        }

        var given = Validate(request, planner.Catalogue);
        if (!given.Succeeded)
        {
            return given.Failure!;
        }

        var now = clock.GetUtcNow();
        var today = London.Day(now);
        return await DayRows.ChangeAsync<SiteVaccination>(database, site, reference, today, async (connection, transaction, row) =>
        {
            // Claim the appointment first: a second recording waits here for the first to finish, then finds it closed.
            if (await DayRows.MoveAsync(connection, transaction, row, BookingStatus.Vaccinated, "closed", clinician.Id, now, cancellationToken,
                    BookingStatus.Booked, BookingStatus.CheckedIn) is { } current)
            {
                return current.Status switch
                {
                    BookingStatus.Vaccinated => SiteDayCodes.AlreadyVaccinated,
                    BookingStatus.Cancelled => SiteDayCodes.BookingCancelled,
                    _ => SiteDayCodes.AppointmentClosed(current.Status),
                };
            }

            var nhs = NhsNumber.FromStored(row.NhsNumber);
            var recorded = await RecordAsync(connection, transaction, site, nhs, row.Programme, given.Value!, clinician, now, overridden: false, cancellationToken);
            if (!recorded.Succeeded)
            {
                return recorded.Failure!;
            }

            var vaccination = recorded.Value!;
            var outcomeId = await InsertOutcomeAsync(connection, transaction, site, today, row.BookingId, nhs, row.Programme, vaccination.Id,
                given.Value!.Consent, null, null, clinician, now, cancellationToken);
            if (outcomeId is null)
            {
                return SiteDayCodes.AlreadyVaccinated;
            }

            await audit.WriteAsync(connection, transaction, new AuditEntry(clinician.Actor, "vaccination.recorded", nhs, "VaccinationEvent", vaccination.Id,
                $"site {site}, booking {row.Reference}, dose {vaccination.DoseNumber}, batch {vaccination.BatchNumber}"), cancellationToken);
            await audit.WriteAsync(connection, transaction, new AuditEntry(clinician.Actor, "booking.vaccinated", nhs, "Booking", row.Reference,
                $"site {site}"), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            var appointment = row.ToAppointment() with
            {
                Status = BookingStatus.Vaccinated, ClosedAt = now, ClosedBy = clinician.Id, VaccinationEventId = vaccination.Id,
            };
            return new SiteVaccination(vaccination, given.Value.Consent, outcomeId, appointment, null, false);
        }, cancellationToken);
    }

    public async Task<Result<SiteVaccination>> ForWalkInAsync(string siteOdsCode, WalkInVaccinationRequest request, StaffMember clinician, CancellationToken cancellationToken = default)
    {
        var given = Validate(request.Vaccination, planner.Catalogue);
        if (!given.Succeeded)
        {
            return given.Failure!;
        }

        var assessed = await planner.AssessWalkInAsync(siteOdsCode, request.NhsNumber, request.Programme, cancellationToken);
        if (!assessed.Succeeded)
        {
            return assessed.Failure!;
        }

        var (site, _, band, answer, _) = assessed.Value!;
        var overrideReason = string.IsNullOrWhiteSpace(request.OverrideReason) ? null : request.OverrideReason.Trim();
        if (!answer.Allowed)
        {
            if (overrideReason is null)
            {
                return Failure.Invalid(answer.Code, $"{answer.Message} To vaccinate anyway, record why.", "overrideReason");
            }

            if (overrideReason.Length is < 10 or > 500)
            {
                return Failure.Invalid("invalid-override-reason", "Record why you are vaccinating in 10 to 500 characters.", "overrideReason");
            }
        }

        var now = clock.GetUtcNow();
        var today = London.Day(now);
        var overridden = !answer.Allowed;
        return await Deadlocks.RetryAsync<Result<SiteVaccination>>(async () =>
        {
            using var turn = await database.WriteTurnAsync(cancellationToken);
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var recorded = await RecordAsync(connection, transaction, site, request.NhsNumber, band.Programme, given.Value!, clinician, now, overridden, cancellationToken);
            if (!recorded.Succeeded)
            {
                return recorded.Failure!;
            }

            var vaccination = recorded.Value!;
            var outcomeId = await InsertOutcomeAsync(connection, transaction, site, today, null, request.NhsNumber, band.Programme, vaccination.Id,
                given.Value!.Consent, answer.Code, overridden ? overrideReason : null, clinician, now, cancellationToken);
            await audit.WriteAsync(connection, transaction, new AuditEntry(clinician.Actor, "vaccination.recorded", request.NhsNumber, "VaccinationEvent", vaccination.Id,
                $"site {site}, walk-in, dose {vaccination.DoseNumber}, batch {vaccination.BatchNumber}"), cancellationToken);
            if (overridden)
            {
                await audit.WriteAsync(connection, transaction, new AuditEntry(clinician.Actor, "eligibility.overridden", request.NhsNumber, "SiteOutcome", outcomeId,
                    $"site {site}, check said {answer.Code}"), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new SiteVaccination(vaccination, given.Value.Consent, outcomeId!, null, answer.Code, overridden);
        });
    }

    /// <summary>Checked choices: the product, the batch number, body site and route (coded), and consent.</summary>
    internal sealed record Given(VaccineProduct Product, string BatchNumber, CodedConcept BodySite, CodedConcept Route, string Consent);

    internal static Result<Given> Validate(SiteVaccinationRequest request, VaccineCatalogue catalogue)
    {
        if (string.IsNullOrWhiteSpace(request.ProductCode))
        {
            return SiteDayCodes.MissingProduct;
        }

        if (catalogue.FindProduct(request.ProductCode) is not { } product)
        {
            return Failure.Invalid("unknown-product", "The vaccine product is not in the catalogue.", "productCode");
        }

        if (!StockRules.TryParseBatchNumber(request.BatchNumber, out var batch))
        {
            return Failure.Invalid("batch-unknown", "Enter the batch number as printed on the pack.", "batchNumber");
        }

        if (string.IsNullOrWhiteSpace(request.BodySite))
        {
            return SiteDayCodes.MissingBodySite;
        }

        if (catalogue.FindBodySite(request.BodySite) is not { } bodySite)
        {
            return Failure.Invalid("unknown-body-site", "The body site is not a known code.", "bodySite");
        }

        if (string.IsNullOrWhiteSpace(request.Route))
        {
            return SiteDayCodes.MissingRoute;
        }

        if (catalogue.FindRoute(request.Route) is not { } route)
        {
            return Failure.Invalid("unknown-route", "The route is not a known code.", "route");
        }

        // A nasal vaccine goes up the nose; nothing else does.
        var nasalProduct = string.Equals(product.Route, "nasal", StringComparison.OrdinalIgnoreCase);
        if (nasalProduct != (route.Alias == "nasal") || nasalProduct != (bodySite.Alias == "nose"))
        {
            return Failure.Invalid("route-not-for-product", $"{product.ShortName} is given {(nasalProduct ? "as a nasal spray" : "by injection")}: choose a matching route and body site.", "route");
        }

        if (!Consent.TryParse(request.Consent, out var consent))
        {
            return SiteDayCodes.InvalidConsent;
        }

        return new Given(product, batch, bodySite, route, consent);
    }

    /// <summary>
    /// In the caller's transaction: locks the person, decides the dose on their history (the product must suit it), takes the
    /// dose from the batch, and writes the vaccination event (vaccinator: the clinician; the batch's expiry from stock).
    /// </summary>
    private async Task<Result<VaccinationEvent>> RecordAsync(
        DbConnection connection, DbTransaction transaction, string site, NhsNumber nhs, string programme, Given given, StaffMember clinician,
        DateTimeOffset now, bool overridden, CancellationToken cancellationToken)
    {
        var today = London.Day(now);
        var (person, history) = await planner.PersonAndHistoryAsync(connection, transaction, nhs, programme, lockPerson: true, cancellationToken);
        if (person is null)
        {
            return Failure.NotFound("person-not-found", "No person with this NHS number is in the register.");
        }

        var dose = VaccinationPlanner.Decide(person.DateOfBirth, programme, history, planner.Catalogue, today, overridden);
        if (!dose.Succeeded)
        {
            return dose.Failure!;
        }

        if (!dose.Value!.Products.Contains(given.Product))
        {
            return Failure.Invalid("product-not-suitable",
                $"{given.Product.ShortName} is not suitable for this dose for this person: choose {string.Join(" or ", dose.Value.Products.Select(p => p.ShortName))}.",
                "productCode");
        }

        var batch = await stock.UseDoseAsync(connection, transaction, site, given.Product.Code, given.BatchNumber, today, cancellationToken);
        if (!batch.Succeeded)
        {
            return batch.Failure!;
        }

        var (draft, invalid) = RecordVaccination.Validate(new RecordVaccinationRequest(
            nhs.Value, given.Product.Code, now, site, BatchNumber: batch.Value!.BatchNumber, BatchExpiry: batch.Value.ExpiresOn, Route: given.Route.Code,
            BodySite: given.BodySite.Code, Performer: clinician.DisplayName, PrimarySource: true), now, planner.Catalogue);
        if (invalid is not null)
        {
            return invalid;
        }

        return await register.RecordAsync(connection, transaction, draft!, clinician.RecordedBy, cancellationToken);
    }

    /// <summary>Stores the outcome; null when the appointment already has one (the unique index: a second recording).</summary>
    internal static async Task<string?> InsertOutcomeAsync(
        DbConnection connection, DbTransaction transaction, string site, DateOnly day, string? bookingId, NhsNumber nhs, string programme,
        string? vaccinationEventId, string? consent, string? eligibilityCode, string? overrideReason, StaffMember by, DateTimeOffset now,
        CancellationToken cancellationToken, string? reason = null)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO site_outcomes (id, site_ods_code, outcome_date, booking_id, nhs_number, programme, outcome, vaccination_event_id, consent,
                    reason, eligibility_code, override_reason, recorded_at, recorded_by)
                VALUES (@id, @site, @day, @bookingId, @nhs, @programme, @outcome, @vaccinationEventId, @consent,
                    @reason, @eligibilityCode, @overrideReason, @now, @by)
                """,
                new
                {
                    id, site, day, bookingId, nhs = nhs.Value, programme, outcome = vaccinationEventId is null ? "not-vaccinated" : "vaccinated",
                    vaccinationEventId, consent, reason, eligibilityCode, overrideReason, now, by = by.Id,
                },
                transaction, cancellationToken: cancellationToken));
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            return null;
        }

        return id;
    }
}
