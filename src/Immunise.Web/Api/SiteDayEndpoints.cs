using System.Globalization;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Vaccines;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Api;

public sealed record DayAppointmentResponse(
    string Reference, DateOnly Date, string StartTime, DateTimeOffset StartsAt, string NhsNumber, string GivenName, string FamilyName, DateOnly DateOfBirth,
    string Programme, string Service, int DoseNumber, string? ProductCode, string Status, DateTimeOffset? CheckedInAt, string? CheckedInBy,
    DateTimeOffset? ClosedAt, string? ClosedBy, string? VaccinationId, string? NotVaccinatedReason)
{
    public static DayAppointmentResponse From(DayAppointment a) => new(
        a.Reference, a.Date, a.StartTime, a.StartsAt, a.NhsNumber.Value, a.GivenName, a.FamilyName, a.DateOfBirth, a.Programme, a.Service, a.DoseNumber,
        a.ProductCode, a.Status, a.CheckedInAt, a.CheckedInBy, a.ClosedAt, a.ClosedBy, a.VaccinationEventId, a.NotVaccinatedReason);
}

public sealed record SiteDayResponse(string SiteOdsCode, string SiteName, DateOnly Date, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<DayAppointmentResponse> Appointments);

public sealed record SiteDaySearchBody(string? Date, string? Status, string? Query);

public sealed record AppointmentBody(string? Reference);

public sealed record NotVaccinatedBody(string? Reference, string? Reason);

public sealed record AppointmentVaccinationBody(string? Reference, string? ProductCode, string? BatchNumber, string? BodySite, string? Route, string? Consent);

public sealed record WalkInCheckBody(string? NhsNumber, string? GivenName, string? FamilyName, DateOnly? DateOfBirth, string? Postcode, string? Programme);

public sealed record WalkInVaccinationBody(
    string? NhsNumber, string? Programme, string? ProductCode, string? BatchNumber, string? BodySite, string? Route, string? Consent, string? OverrideReason);

public sealed record ProductChoice(string Code, string Name);

public sealed record VaccinationPlanResponse(
    string NhsNumber, string GivenName, string FamilyName, DateOnly DateOfBirth, string Programme, string? Service, string? Reference, int DoseNumber,
    bool? Eligible, string? EligibilityCode, string? EligibilityMessage, bool NeedsOverride, IReadOnlyList<ProductChoice> Products,
    IReadOnlyList<StockBatchResponse> Batches)
{
    public static VaccinationPlanResponse From(VaccinationPlan p, VaccineCatalogue catalogue, DateOnly today) => new(
        p.Person.NhsNumber.Value, p.Person.GivenName, p.Person.FamilyName, p.Person.DateOfBirth, p.Programme, p.Service, p.Appointment?.Reference,
        p.DoseNumber, p.Eligibility?.Allowed, p.Eligibility?.Code, p.Eligibility?.Message, p.NeedsOverride,
        p.Products.Select(x => new ProductChoice(x.Code, x.Name)).ToList(),
        p.Batches.Select(b => StockBatchResponse.From(b, StockRules.Status(b, today), catalogue)).ToList());
}

public sealed record SiteVaccinationResponse(
    string VaccinationId, string NhsNumber, string TargetDisease, string ProductCode, string ProductName, int DoseNumber, string? BatchNumber,
    DateOnly? BatchExpiry, string? BodySite, string? Route, DateTimeOffset OccurredAt, string? Vaccinator, string Consent, string? Reference,
    string? EligibilityCode, bool Overridden)
{
    public static SiteVaccinationResponse From(SiteVaccination v, VaccineCatalogue catalogue) => new(
        v.Event.Id, v.Event.NhsNumber.Value, v.Event.TargetDisease, v.Event.ProductCode, catalogue.FindProduct(v.Event.ProductCode)?.Name ?? v.Event.ProductCode,
        v.Event.DoseNumber, v.Event.BatchNumber, v.Event.BatchExpiry, catalogue.FindBodySite(v.Event.BodySiteCode)?.Alias,
        catalogue.FindRoute(v.Event.RouteCode)?.Alias, v.Event.OccurredAt, v.Event.Performer, v.Consent, v.Appointment?.Reference, v.EligibilityCode,
        v.Overridden);
}

/// <summary>
/// The site's day for staff (signed in with the staff cookie): <c>/api/v1/sites/{odsCode}/day</c>. The appointment list
/// (every person shown is audited) and its search, check-in, recording a vaccination or "not vaccinated" for an appointment,
/// and walk-ins (find the person and run the eligibility check; record). Names, NHS numbers and references travel in JSON
/// bodies only, never in addresses; bodies must be JSON, so a cross-site form cannot post here (and the cookie is
/// SameSite=Strict). Who may do what is declared on each endpoint with <see cref="StaffAccessEndpoints.RequireStaff"/>.
/// </summary>
public static class SiteDayEndpoints
{
    /// <summary>Who may see a site's appointments.</summary>
    public static readonly StaffRole[] Viewers =
        [StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist];

    /// <summary>Who may check people in: the site's own staff.</summary>
    public static readonly StaffRole[] CheckInStaff = [StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist];

    /// <summary>Who may record vaccinations (and "not vaccinated"): clinicians only.</summary>
    public static readonly StaffRole[] Vaccinators = [StaffRole.Clinician];

    public static IEndpointRouteBuilder MapSiteDayEndpoints(this IEndpointRouteBuilder app)
    {
        var day = app.MapGroup("/api/v1/sites/{odsCode}/day").WithTags("Site's day")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        day.MapGet("", ListAsync).RequireStaff(StaffScope.Site, Viewers)
            .WithName("GetSiteDay").WithSummary("A site's appointments on a day (date=yyyy-MM-dd, today by default; status=booked|checked-in|…); audited per person");
        day.MapPost("/search", SearchAsync).RequireStaff(StaffScope.Site, Viewers)
            .WithName("SearchSiteDay").WithSummary("The day's appointments matching a name, NHS number or booking reference (in the body); audited per person");
        day.MapPost("/check-in", CheckInAsync).RequireStaff(StaffScope.Site, CheckInStaff)
            .WithName("CheckIn").WithSummary("Check in today's appointment (idempotent). 409 another site or day, cancelled, closed")
            .ProducesProblem(StatusCodes.Status409Conflict);
        day.MapPost("/vaccinations", RecordAsync).RequireStaff(StaffScope.Site, Vaccinators)
            .WithName("RecordAppointmentVaccination")
            .WithSummary("Record the vaccination of today's appointment: the register's event, a dose from stock, the appointment closed, in one transaction. 409 already recorded")
            .ProducesProblem(StatusCodes.Status409Conflict);
        day.MapPost("/not-vaccinated", NotVaccinatedAsync).RequireStaff(StaffScope.Site, Vaccinators)
            .WithName("RecordNotVaccinated").WithSummary("Record that the person was seen but not vaccinated, with a reason")
            .ProducesProblem(StatusCodes.Status409Conflict);
        day.MapPost("/walk-ins/check", CheckWalkInAsync).RequireStaff(StaffScope.Site, Vaccinators)
            .WithName("CheckWalkIn").WithSummary("Find a walk-in (NHS number, or name and date of birth) and run the eligibility check for a programme today; audited")
            .ProducesProblem(StatusCodes.Status409Conflict);
        day.MapPost("/walk-ins/vaccinations", RecordWalkInAsync).RequireStaff(StaffScope.Site, Vaccinators)
            .WithName("RecordWalkInVaccination")
            .WithSummary("Record a walk-in's vaccination; refused when not eligible unless an override reason is given (for the reasons that allow one)")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Results<Ok<SiteDayResponse>, ProblemHttpResult>> ListAsync(
        string odsCode, string? date, string? status, HttpContext context, GetSiteDay day, CancellationToken cancellationToken)
    {
        if (!TryParseDate(date, out var on))
        {
            return Problems.From(SiteDayCodes.InvalidDate);
        }

        return Answer(await day.HandleAsync(new SiteDayQuery(odsCode, on, status), Me(context).Actor, context.TraceIdentifier, cancellationToken));
    }

    public static async Task<Results<Ok<SiteDayResponse>, ProblemHttpResult>> SearchAsync(
        string odsCode, SiteDaySearchBody body, HttpContext context, GetSiteDay day, CancellationToken cancellationToken)
    {
        if (!TryParseDate(body.Date, out var on))
        {
            return Problems.From(SiteDayCodes.InvalidDate);
        }

        if (string.IsNullOrWhiteSpace(body.Query))
        {
            return Problems.From(SiteDayCodes.InvalidSearch);
        }

        return Answer(await day.HandleAsync(new SiteDayQuery(odsCode, on, body.Status, body.Query), Me(context).Actor, context.TraceIdentifier, cancellationToken));
    }

    public static async Task<Results<Ok<DayAppointmentResponse>, ProblemHttpResult>> CheckInAsync(
        string odsCode, AppointmentBody body, HttpContext context, CheckIn checkIn, CancellationToken cancellationToken)
    {
        var result = await checkIn.HandleAsync(odsCode, body.Reference, Me(context), cancellationToken);
        return result.Succeeded ? TypedResults.Ok(DayAppointmentResponse.From(result.Value!)) : Problems.From(result.Failure!);
    }

    public static async Task<Results<Created<SiteVaccinationResponse>, ProblemHttpResult>> RecordAsync(
        string odsCode, AppointmentVaccinationBody body, HttpContext context, RecordSiteVaccination record, VaccineCatalogue catalogue,
        CancellationToken cancellationToken)
    {
        var result = await record.ForAppointmentAsync(odsCode, body.Reference,
            new SiteVaccinationRequest(body.ProductCode, body.BatchNumber, body.BodySite, body.Route, body.Consent), Me(context), cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/vaccinations/{result.Value!.Event.Id}", SiteVaccinationResponse.From(result.Value, catalogue))
            : Problems.From(result.Failure!);
    }

    public static async Task<Results<Ok<DayAppointmentResponse>, ProblemHttpResult>> NotVaccinatedAsync(
        string odsCode, NotVaccinatedBody body, HttpContext context, RecordNotVaccinated record, CancellationToken cancellationToken)
    {
        var result = await record.HandleAsync(odsCode, body.Reference, body.Reason, Me(context), cancellationToken);
        return result.Succeeded ? TypedResults.Ok(DayAppointmentResponse.From(result.Value!)) : Problems.From(result.Failure!);
    }

    public static async Task<Results<Ok<VaccinationPlanResponse>, ProblemHttpResult>> CheckWalkInAsync(
        string odsCode, WalkInCheckBody body, HttpContext context, VaccinationPlanner planner, RegisterOptions register, VaccineCatalogue catalogue,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var found = await planner.FindAsync(new WalkInSearch(body.NhsNumber, body.GivenName, body.FamilyName, body.DateOfBirth, body.Postcode), register, cancellationToken);
        if (!found.Succeeded)
        {
            return Problems.From(found.Failure!);
        }

        var plan = await planner.ForWalkInAsync(odsCode, found.Value, body.Programme, Me(context).Actor, cancellationToken);
        return plan.Succeeded ? TypedResults.Ok(VaccinationPlanResponse.From(plan.Value!, catalogue, London.Today(clock))) : Problems.From(plan.Failure!);
    }

    public static async Task<Results<Created<SiteVaccinationResponse>, ProblemHttpResult>> RecordWalkInAsync(
        string odsCode, WalkInVaccinationBody body, HttpContext context, RecordSiteVaccination record, RegisterOptions register, VaccineCatalogue catalogue,
        CancellationToken cancellationToken)
    {
        if (!register.TryParseNhsNumber(body.NhsNumber, out var nhs, out var reason))
        {
            return Problems.From(Failure.Invalid("invalid-nhs-number", reason, "nhsNumber"));
        }

        var result = await record.ForWalkInAsync(odsCode, new WalkInVaccinationRequest(nhs, body.Programme,
            new SiteVaccinationRequest(body.ProductCode, body.BatchNumber, body.BodySite, body.Route, body.Consent), body.OverrideReason), Me(context), cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/vaccinations/{result.Value!.Event.Id}", SiteVaccinationResponse.From(result.Value, catalogue))
            : Problems.From(result.Failure!);
    }

    /// <summary>The signed-in member of staff: account id and display name (the name a vaccination record gives its vaccinator).</summary>
    public static StaffMember Me(HttpContext context) => new(context.User.StaffId(), context.User.Identity?.Name ?? "");

    private static Results<Ok<SiteDayResponse>, ProblemHttpResult> Answer(Result<SiteDayList> result) => result.Succeeded
        ? TypedResults.Ok(new SiteDayResponse(result.Value!.SiteOdsCode, result.Value.SiteName, result.Value.Date, result.Value.Counts,
            result.Value.Appointments.Select(DayAppointmentResponse.From).ToList()))
        : Problems.From(result.Failure!);

    private static bool TryParseDate(string? text, out DateOnly? date)
    {
        date = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            date = day;
            return true;
        }

        return false;
    }
}
