using System.Globalization;
using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.SiteDay;

/// <summary>
/// What a clinician is about to record for a person today: the dose (its number derived from the register's history, never
/// typed), the products that suit it, the site's in-date batches of those products, and, for a walk-in, the eligibility
/// check's answer and whether an override reason is needed.
/// </summary>
public sealed record VaccinationPlan(
    Person Person,
    string Programme,
    int DoseNumber,
    IReadOnlyList<VaccineProduct> Products,
    IReadOnlyList<StockBatch> Batches,
    DayAppointment? Appointment = null,
    BookingCheckResult? Eligibility = null,
    string? Service = null)
{
    /// <summary>A walk-in the eligibility check refused, for a reason a clinician may override (with a reason of their own).</summary>
    public bool NeedsOverride => Eligibility is { Allowed: false };
}

/// <summary>Finds a walk-in in the register: by NHS number, or by name and date of birth (and, to tell people apart, postcode).</summary>
public sealed record WalkInSearch(string? NhsNumber, string? GivenName = null, string? FamilyName = null, DateOnly? DateOfBirth = null, string? Postcode = null);

/// <summary>
/// Plans a vaccination at a site: for today's appointment (by booking reference) or for a walk-in (by NHS number and
/// programme). The dose comes from <see cref="NextDose"/> on the person's history; a walk-in is also put through the booking
/// check (<see cref="BookingCheck"/>: cohorts of the campaign open today, dose due), the same check booking uses. Showing a
/// person's details is audited (<c>person.read</c>). <see cref="RecordSiteVaccination"/> decides again, in its transaction.
/// </summary>
public sealed class VaccinationPlanner(Database database, BookingCheck check, SiteStock stock, VaccineCatalogue catalogue, AuditLog audit, TimeProvider clock)
{
    /// <summary>
    /// Eligibility answers a clinician may override for a walk-in, recording why (a cohort the register does not know of,
    /// a further dose on specialist advice, a late dose, a booking elsewhere). Person not found, deceased, too young for
    /// every product, too soon after the last dose and configuration errors are never overridden.
    /// </summary>
    public static readonly IReadOnlySet<string> Overridable = new HashSet<string>(StringComparer.Ordinal)
    {
        BookingCheckCodes.NotInOpenCohort, BookingCheckCodes.NotActionable, BookingCheckCodes.CourseComplete, BookingCheckCodes.TooLateForDose,
        BookingCheckCodes.AlreadyBooked,
    };

    public VaccineCatalogue Catalogue => catalogue;

    public async Task<Result<VaccinationPlan>> ForAppointmentAsync(string siteOdsCode, string? reference, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!StaffRoles.TryParseOdsCode(siteOdsCode, out var site))
        {
            return SiteDayCodes.SiteNotFound;
        }

        var today = London.Today(clock);
        DayRows.Row row;
        Person? person;
        IReadOnlyList<VaccinationEvent> history;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            var found = await DayRows.ForActionAsync(connection, null, site, reference, today, cancellationToken);
            if (!found.Succeeded)
            {
                return found.Failure!;
            }

            row = found.Value!;
            if (!row.ToAppointment().IsOpen)
            {
                return row.Status == BookingStatus.Vaccinated ? SiteDayCodes.AlreadyVaccinated : SiteDayCodes.AppointmentClosed(row.Status);
            }

            (person, history) = await PersonAndHistoryAsync(connection, null, NhsNumber.FromStored(row.NhsNumber), row.Programme, lockPerson: false, cancellationToken);

            // Read the status again after the history: if another clinician's recording committed between the two reads, the
            // history now shows its dose, and the answer must be "already vaccinated", not "too soon after the last dose".
            var now = await DayRows.ByReferenceAsync(connection, null, row.Reference, cancellationToken);
            if (now is not null && !now.ToAppointment().IsOpen)
            {
                return now.Status == BookingStatus.Vaccinated ? SiteDayCodes.AlreadyVaccinated : SiteDayCodes.AppointmentClosed(now.Status);
            }
        }

        if (person is null)
        {
            return Failure.NotFound("person-not-found", "No person with this NHS number is in the register.");
        }

        var dose = Decide(person.DateOfBirth, row.Programme, history, catalogue, today, overridden: false);
        if (!dose.Succeeded)
        {
            return dose.Failure!;
        }

        await audit.WriteAsync(new AuditEntry(actor, "person.read", person.NhsNumber, "Booking", row.Reference, $"vaccinate at site {site}"), CancellationToken.None);
        return new VaccinationPlan(person, row.Programme, dose.Value!.Number, dose.Value.Products, await BatchesAsync(site, dose.Value.Products, cancellationToken),
            row.ToAppointment());
    }

    /// <summary>
    /// A walk-in's plan: the person, the site's service for their programme and age today, the eligibility check's answer,
    /// the dose and the batches to choose from. A refusal that cannot be overridden is a failure with the check's code.
    /// </summary>
    public async Task<Result<VaccinationPlan>> ForWalkInAsync(string siteOdsCode, NhsNumber nhsNumber, string? programme, Actor actor, CancellationToken cancellationToken = default)
    {
        var assessed = await AssessWalkInAsync(siteOdsCode, nhsNumber, programme, cancellationToken);
        if (!assessed.Succeeded)
        {
            return assessed.Failure!;
        }

        var (site, person, band, answer, history) = assessed.Value!;
        await audit.WriteAsync(new AuditEntry(actor, "person.read", person.NhsNumber, "Person", person.NhsNumber.Value, $"walk-in at site {site}"), CancellationToken.None);
        var today = London.Today(clock);
        var dose = Decide(person.DateOfBirth, band.Programme, history, catalogue, today, overridden: !answer.Allowed);
        if (!dose.Succeeded)
        {
            return dose.Failure!;
        }

        return new VaccinationPlan(person, band.Programme, dose.Value!.Number, dose.Value.Products, await BatchesAsync(site, dose.Value.Products, cancellationToken),
            null, answer, band.Service);
    }

    /// <summary>
    /// Finds a walk-in: <c>person-not-found</c>, or <c>several-people-match</c> when name and date of birth are not enough. As
    /// with <see cref="MatchPerson"/>, the register has no index on date of birth yet: a search by name reads everyone born on
    /// the day, which is fine at demo scale; a national register needs that index (it would cost the bulk import some speed).
    /// </summary>
    public async Task<Result<NhsNumber>> FindAsync(WalkInSearch search, RegisterOptions register, CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrWhiteSpace(search.NhsNumber))
        {
            if (!register.TryParseNhsNumber(search.NhsNumber, out var nhs, out var reason))
            {
                return Failure.Invalid("invalid-nhs-number", reason, "nhsNumber");
            }

            await using var connection = await database.OpenAsync(cancellationToken);
            var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM people WHERE nhs_number = @nhs", new { nhs = nhs.Value }, cancellationToken: cancellationToken));
            return exists > 0 ? nhs : s_personNotFound;
        }

        var family = MatchPerson.Normalise(search.FamilyName);
        var given = MatchPerson.Normalise(search.GivenName);
        if (family.Length == 0 || search.DateOfBirth is not { } born)
        {
            return Failure.Invalid("missing-search", "Enter the NHS number, or the family name and date of birth.", "nhsNumber");
        }

        string? postcode = null;
        if (!string.IsNullOrWhiteSpace(search.Postcode) && !Geography.Postcode.TryNormalise(search.Postcode, out postcode))
        {
            return Failure.Invalid("invalid-postcode", "Enter a real postcode, like LS1 4AP.", "postcode");
        }

        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            var candidates = await connection.QueryAsync<(string NhsNumber, string GivenName, string FamilyName)>(new CommandDefinition(
                "SELECT nhs_number, given_name, family_name FROM people WHERE date_of_birth = @born" + (postcode is null ? "" : " AND postcode = @postcode"),
                new { born, postcode }, cancellationToken: cancellationToken));
            var matches = candidates
                .Where(c => MatchPerson.Normalise(c.FamilyName) == family && (given.Length == 0 || MatchPerson.Normalise(c.GivenName).StartsWith(given, StringComparison.Ordinal)))
                .ToList();
            return matches.Count switch
            {
                0 => s_personNotFound,
                1 => NhsNumber.FromStored(matches[0].NhsNumber),
                _ => Failure.Conflict("several-people-match", "More than one person has this name and date of birth: add the postcode, or use the NHS number."),
            };
        }
    }

    private static readonly Failure s_personNotFound = Failure.NotFound("person-not-found", "No person in the register matches these details.");

    /// <summary>The walk-in's person, the site's service for them, the check's answer (refusals that cannot be overridden fail).</summary>
    internal async Task<Result<(string Site, Person Person, ServiceBand Band, BookingCheckResult Answer, IReadOnlyList<VaccinationEvent> History)>> AssessWalkInAsync(
        string siteOdsCode, NhsNumber nhsNumber, string? programme, CancellationToken cancellationToken)
    {
        if (!StaffRoles.TryParseOdsCode(siteOdsCode, out var site))
        {
            return SiteDayCodes.SiteNotFound;
        }

        if (string.IsNullOrWhiteSpace(programme) || ServiceSuitability.ProgrammeOf(programme) is not { } target)
        {
            return Failure.Invalid("invalid-programme", "Choose the vaccination: COVID-19, flu or RSV.", "programme");
        }

        var today = London.Today(clock);
        string? services;
        Person? person;
        IReadOnlyList<VaccinationEvent> history;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            services = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT services FROM sites WHERE ods_code = @site", new { site }, cancellationToken: cancellationToken));
            if (services is null)
            {
                return SiteDayCodes.SiteNotFound;
            }

            (person, history) = await PersonAndHistoryAsync(connection, null, nhsNumber, target, lockPerson: false, cancellationToken);
            var booked = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
                """
                SELECT b.reference FROM bookings b JOIN slots sl ON sl.id = b.slot_id
                WHERE b.nhs_number = @nhs AND b.programme = @target AND b.site_ods_code = @site AND sl.slot_date = @today
                    AND b.status IN ('booked', 'checked-in')
                """,
                new { nhs = nhsNumber.Value, target, site, today }, cancellationToken: cancellationToken));
            if (person is not null && booked is not null)
            {
                return Failure.Conflict("has-appointment-today",
                    $"This person has an appointment here today (booking {booked}): record the vaccination from the appointment list.", "nhsNumber");
            }
        }

        if (person is null)
        {
            return s_personNotFound;
        }

        var offered = SiteRules.Split(services);
        var band = ServiceSuitability.ServicesFor(person.DateOfBirth, today, target).FirstOrDefault(b => offered.Contains(b.Service));
        if (band is null)
        {
            return Failure.Invalid("service-not-offered", "This site does not offer this vaccination to people of this age.", "programme");
        }

        var answer = await check.HandleAsync(new BookingCheckRequest(nhsNumber, new BookingService(band.Service, band.Service.Split(':')[0], band.Programme), today), cancellationToken);
        if (!answer.Allowed && !Overridable.Contains(answer.Code))
        {
            return Failure.Invalid(answer.Code, answer.Message, "programme");
        }

        return (site, person, band, answer, history);
    }

    /// <summary>The site's batches of <paramref name="products"/> that can be used today: in date, with doses left; soonest expiry first.</summary>
    private async Task<IReadOnlyList<StockBatch>> BatchesAsync(string site, IReadOnlyList<VaccineProduct> products, CancellationToken cancellationToken)
    {
        var view = await stock.ViewAsync(site, cancellationToken);
        return view.Succeeded
            ? view.Value!.Batches
                .Where(b => b.Status is StockStatus.InDate or StockStatus.RunningOut && products.Any(p => p.Code == b.Batch.ProductCode))
                .Select(b => b.Batch)
                .ToList()
            : [];
    }

    /// <summary>The dose to give today and the products for it. Pure.</summary>
    internal sealed record DoseDecision(int Number, IReadOnlyList<VaccineProduct> Products);

    /// <summary>
    /// The dose a person needs today (<see cref="NextDose"/>) and the products that suit it and their age. Refused when no
    /// dose is due today: too soon after the last (<c>too-soon-after-last-dose</c>), course complete (<c>course-complete</c>,
    /// unless <paramref name="overridden"/>: then a further dose with any product suiting their age), too young
    /// (<c>too-young-for-product</c>), no product for their age (<c>no-product-for-age</c>). A late dose is given.
    /// </summary>
    internal static Result<DoseDecision> Decide(
        DateOnly dateOfBirth, string programme, IReadOnlyList<VaccinationEvent> history, VaccineCatalogue catalogue, DateOnly today, bool overridden)
    {
        var disease = catalogue.FindDisease(programme) ?? throw new InvalidOperationException($"The catalogue has no disease {programme}.");
        var next = NextDose.For(dateOfBirth, disease, history, catalogue, today);
        switch (next.Status)
        {
            case NextDoseStatus.CourseComplete when overridden:
                var counted = disease.DoseNumbering == DoseNumbering.Seasonal
                    ? history.Count(h => h.Status == VaccinationStatus.Completed && disease.SeasonStart(London.Day(h.OccurredAt)) == disease.SeasonStart(today))
                    : history.Count(h => h.Status == VaccinationStatus.Completed);
                var any = catalogue.ProductsFor(disease).Where(p => p.SuitsAge(dateOfBirth, today)).ToList();
                return any.Count == 0
                    ? Failure.Invalid(BookingCheckCodes.NoProductForAge, $"No {disease.Display} vaccine is licensed for the person's age.", "productCode")
                    : new DoseDecision(counted + 1, any);
            case NextDoseStatus.CourseComplete:
                return Failure.Invalid(BookingCheckCodes.CourseComplete, $"The register shows the person's {disease.Display} course is complete: no further dose is due.", "productCode");
            case NextDoseStatus.TooYoung:
                return Failure.Invalid(BookingCheckCodes.TooYoungForProduct, $"The person is too young for every {disease.Display} vaccine.", "productCode");
            case NextDoseStatus.NoProductForAge:
                return Failure.Invalid(BookingCheckCodes.NoProductForAge, $"No {disease.Display} vaccine is licensed for the person's age.", "productCode");
        }

        var dose = next.Dose!;
        if (today < dose.Window.Earliest)
        {
            return Failure.Invalid(BookingCheckCodes.TooSoonAfterLastDose,
                $"Dose {dose.Number} can be given from {dose.Window.Earliest.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("en-GB"))}: it is too soon after the last dose.",
                "productCode");
        }

        var products = dose.Products.Where(p => p.SuitsAge(dateOfBirth, today)).ToList();
        return products.Count == 0
            ? Failure.Invalid(BookingCheckCodes.NoProductForAge, $"No {disease.Display} vaccine for this dose is licensed for the person's age.", "productCode")
            : new DoseDecision(dose.Number, products);
    }

    /// <summary>The person and their completed vaccinations against <paramref name="programme"/>; the person locked when asked (PostgreSQL).</summary>
    internal async Task<(Person? Person, IReadOnlyList<VaccinationEvent> History)> PersonAndHistoryAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, NhsNumber nhs, string programme, bool lockPerson,
        CancellationToken cancellationToken)
    {
        PersonRow? row;
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT {GetPerson.Columns} FROM people WHERE nhs_number = @nhs" + (lockPerson && database.Dialect.IsPostgres ? " FOR UPDATE" : "");
            Columns.Parameter(command, "nhs", nhs.Value);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            row = await reader.ReadAsync(cancellationToken) ? PersonRow.Read(reader) : null;
        }

        if (row is null)
        {
            return (null, []);
        }

        var history = (await connection.QueryAsync<VaccinationRow>(new CommandDefinition(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE nhs_number = @nhs AND target_disease = @programme AND status = 'completed'",
            new { nhs = nhs.Value, programme }, transaction, cancellationToken: cancellationToken))).Select(r => r.ToEvent()).ToList();
        return (row.ToPerson(), history);
    }
}
