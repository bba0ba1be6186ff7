using System.Globalization;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;
using Immunise.Web.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Api;

/// <summary>
/// <c>/api/v1</c>: read a person and their vaccinations, record a vaccination, mark one entered in error. Reads need the
/// <c>records:read</c> scope, writes <c>records:write</c>; every read of a person's record and every write is audited.
/// Failures answer through <see cref="Problems"/> (a <see cref="ProblemHttpResult"/> whose statuses each route declares).
/// </summary>
public static class RegisterEndpoints
{
    private static readonly Failure s_personNotFound = Failure.NotFound("person-not-found", "No person with this NHS number is in the register.");
    private static readonly Failure s_vaccinationNotFound = Failure.NotFound("vaccination-not-found", "No vaccination event has this id.");

    public static IEndpointRouteBuilder MapRegisterEndpoints(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/v1").WithTags("Register").RequireAuthorization(Scopes.RecordsRead)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        read.MapGet("/people/{nhsNumber}", GetPersonAsync)
            .WithName("GetPerson").WithSummary("A person in the register, by NHS number (10 digits, spaces allowed)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        read.MapGet("/people/{nhsNumber}/vaccinations", GetVaccinationsAsync)
            .WithName("GetVaccinations").WithSummary("A person's vaccinations, oldest first; filter by target (COVID19,FLU) and dates (yyyy-MM-dd)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        read.MapGet("/vaccinations/{id}", GetVaccinationAsync)
            .WithName("GetVaccination").WithSummary("One vaccination event, by id")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var write = app.MapGroup("/api/v1").WithTags("Register").RequireAuthorization(Scopes.RecordsWrite)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        write.MapPost("/vaccinations", RecordAsync)
            .WithName("RecordVaccination")
            .WithSummary("Record a vaccination. 400 for a request that breaks a rule (unknown product, future date, dose too soon); "
                + "404 when the person is not in the register; 409 for a duplicate")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        write.MapPost("/vaccinations/{id}/entered-in-error", MarkEnteredInErrorAsync)
            .WithName("MarkEnteredInError").WithSummary("Mark a vaccination as entered in error (it stays, hidden from history)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Results<GeneratedJson<PersonResponse>, ProblemHttpResult>> GetPersonAsync(
        string nhsNumber, HttpContext context, GetPerson people, AuditLog audit, CancellationToken cancellationToken)
    {
        if (!NhsNumber.TryParse(nhsNumber, out var nhs, out var reason))
        {
            return Problems.From(Failure.Invalid("invalid-nhs-number", reason, "nhsNumber"));
        }

        var person = await people.HandleAsync(nhs, cancellationToken);
        if (person is null)
        {
            return Problems.From(s_personNotFound);
        }

        await audit.WriteAsync(context, "person.read", nhs, "Person", nhs.Value);
        return GeneratedJson.Ok(PersonResponse.From(person), RegisterJsonContext.Default.PersonResponse);
    }

    public static async Task<Results<GeneratedJson<VaccinationListResponse>, ProblemHttpResult>> GetVaccinationsAsync(
        string nhsNumber, string? target, string? from, string? to, bool? includeEnteredInError,
        HttpContext context, GetPerson people, GetVaccinationHistory history, VaccineCatalogue catalogue, AuditLog audit,
        CancellationToken cancellationToken)
    {
        if (!NhsNumber.TryParse(nhsNumber, out var nhs, out var reason))
        {
            return Problems.From(Failure.Invalid("invalid-nhs-number", reason, "nhsNumber"));
        }

        var targets = new List<string>();
        foreach (var name in (target ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (catalogue.FindDisease(name) is not { } disease)
            {
                return Problems.From(Failure.Invalid("unknown-target",
                    $"Target must be some of: {string.Join(", ", catalogue.Diseases.Select(d => d.Target))}.", "target"));
            }

            targets.Add(disease.Target);
        }

        if (!TryParseDate(from, "from", out var fromDate, out var invalid) || !TryParseDate(to, "to", out var toDate, out invalid))
        {
            return Problems.From(invalid!);
        }

        if (fromDate > toDate)
        {
            return Problems.From(Failure.Invalid("invalid-date-range", "'from' is after 'to'.", "from"));
        }

        if (!await people.ExistsAsync(nhs, cancellationToken))
        {
            return Problems.From(s_personNotFound);
        }

        var events = await history.HandleAsync(
            new VaccinationHistoryQuery(nhs, targets, fromDate, toDate, includeEnteredInError ?? false), cancellationToken);
        await audit.WriteAsync(context, "vaccinations.read", nhs, "VaccinationEvent");
        return GeneratedJson.Ok(
            new VaccinationListResponse(nhs.Value, events.Count, events.Select(e => VaccinationResponse.From(e, catalogue)).ToList()),
            RegisterJsonContext.Default.VaccinationListResponse);
    }

    public static async Task<Results<Ok<VaccinationResponse>, ProblemHttpResult>> GetVaccinationAsync(
        string id, HttpContext context, GetVaccinationHistory history, VaccineCatalogue catalogue, AuditLog audit,
        CancellationToken cancellationToken)
    {
        var found = id.Length <= 64 ? await history.FindAsync(id, cancellationToken) : null;
        if (found is null)
        {
            return Problems.From(s_vaccinationNotFound);
        }

        await audit.WriteAsync(context, "vaccination.read", found.NhsNumber, "VaccinationEvent", found.Id);
        return TypedResults.Ok(VaccinationResponse.From(found, catalogue));
    }

    public static async Task<Results<Created<VaccinationResponse>, ProblemHttpResult>> RecordAsync(
        RecordVaccinationBody body, HttpContext context, RecordVaccination record, VaccineCatalogue catalogue,
        CancellationToken cancellationToken)
    {
        var result = await record.HandleAsync(body.ToRequest(), context.User.KeyName(),
            e => RequestAudit.Entry(context, "vaccination.recorded", e.NhsNumber, "VaccinationEvent", e.Id), cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Failure!);
        }

        var recorded = result.Value!;
        return TypedResults.Created($"/api/v1/vaccinations/{recorded.Id}", VaccinationResponse.From(recorded, catalogue));
    }

    public static async Task<Results<Ok<VaccinationResponse>, ProblemHttpResult>> MarkEnteredInErrorAsync(
        string id, EnteredInErrorBody? body, HttpContext context, MarkEnteredInError mark, VaccineCatalogue catalogue,
        CancellationToken cancellationToken)
    {
        if (id.Length > 64)
        {
            return Problems.From(s_vaccinationNotFound);
        }

        var result = await mark.HandleAsync(id, body?.Reason,
            e => RequestAudit.Entry(context, "vaccination.entered-in-error", e.NhsNumber, "VaccinationEvent", e.Id), cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Failure!);
        }

        var marked = result.Value!;
        return TypedResults.Ok(VaccinationResponse.From(marked, catalogue));
    }

    private static bool TryParseDate(string? text, string field, out DateOnly? date, out Failure? failure)
    {
        (date, failure) = (null, null);
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            date = parsed;
            return true;
        }

        failure = Failure.Invalid("invalid-date", $"'{field}' must be a date written yyyy-MM-dd.", field);
        return false;
    }
}
