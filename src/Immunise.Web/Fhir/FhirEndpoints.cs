using Immunise.Access;
using Immunise.Audit;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;
using Immunise.Web.Access;
using Immunise.Web.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Fhir;

/// <summary>
/// <c>/fhir</c>: FHIR R4 (UK Core) Patient and Immunization, shaped like the NHS Immunisation FHIR API. Same API keys and
/// scopes as <c>/api/v1</c>; every read of a person's record is audited; failures are OperationOutcomes
/// (<see cref="OperationOutcomes"/>). Described by <c>/fhir/metadata</c>, not by the OpenAPI document.
/// </summary>
public static class FhirEndpoints
{
    public static IEndpointRouteBuilder MapFhirEndpoints(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir").ExcludeFromDescription();
        fhir.MapGet("/metadata", GetCapabilityStatement).AllowAnonymous();

        var read = fhir.MapGroup("").RequireAuthorization(Scopes.RecordsRead);
        read.MapGet("/Patient/{nhsNumber}", GetPatientAsync);
        read.MapGet("/Immunization/{id}", GetImmunizationAsync);
        read.MapGet("/Immunization", SearchImmunizationsAsync);
        read.MapPost("/Immunization/_search", SearchImmunizationsByPostAsync);

        var write = fhir.MapGroup("").RequireAuthorization(Scopes.RecordsWrite);
        write.MapPost("/Immunization", CreateImmunizationAsync);
        return app;
    }

    public static JsonHttpResult<CapabilityStatement> GetCapabilityStatement(VaccineCatalogue catalogue, TimeProvider clock) =>
        TypedResults.Json(CapabilityStatement.Create(catalogue, clock.GetUtcNow()), FhirJson.Options, FhirJson.ContentType);

    public static async Task<Results<JsonHttpResult<Patient>, JsonHttpResult<OperationOutcome>>> GetPatientAsync(
        string nhsNumber, HttpContext context, GetPerson people, AuditLog audit, CancellationToken cancellationToken)
    {
        if (!NhsNumber.TryParse(nhsNumber, out var nhs, out var reason))
        {
            return OperationOutcomes.From(Failure.Invalid("invalid-nhs-number", reason));
        }

        var person = await people.HandleAsync(nhs, cancellationToken);
        if (person is null)
        {
            return OperationOutcomes.From(Failure.NotFound("person-not-found", "No patient with this NHS number is in the register."));
        }

        await audit.WriteAsync(context, "fhir.patient.read", nhs, "Patient", nhs.Value);
        return Fhir(FhirMapping.ToPatient(person));
    }

    public static async Task<Results<JsonHttpResult<Immunization>, JsonHttpResult<OperationOutcome>>> GetImmunizationAsync(
        string id, HttpContext context, GetVaccinationHistory history, VaccineCatalogue catalogue, AuditLog audit,
        CancellationToken cancellationToken)
    {
        if (id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        {
            return OperationOutcomes.From(Failure.Invalid("invalid-id", "The Immunization id is not in a valid format."));
        }

        var found = await history.FindAsync(id, cancellationToken);
        if (found is null)
        {
            return OperationOutcomes.From(Failure.NotFound("vaccination-not-found", "No Immunization has this id."));
        }

        await audit.WriteAsync(context, "fhir.immunization.read", found.NhsNumber, "Immunization", found.Id);
        return Fhir(FhirMapping.ToImmunization(found, catalogue));
    }

    public static Task<Results<FhirBundleResult, JsonHttpResult<OperationOutcome>>> SearchImmunizationsAsync(
        HttpContext context, GetVaccinationHistory history, VaccineCatalogue catalogue, AuditLog audit, CancellationToken cancellationToken) =>
        SearchAsync(context.Request.Query, context, history, catalogue, audit, cancellationToken);

    /// <summary>The same search with its parameters in a form body (and, optionally, the query string).</summary>
    public static async Task<Results<FhirBundleResult, JsonHttpResult<OperationOutcome>>> SearchImmunizationsByPostAsync(
        HttpContext context, GetVaccinationHistory history, VaccineCatalogue catalogue, AuditLog audit, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return OperationOutcomes.From(Failure.Invalid("unsupported-media-type", "Send the search parameters as application/x-www-form-urlencoded."));
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        return await SearchAsync(context.Request.Query.Concat(form), context, history, catalogue, audit, cancellationToken);
    }

    public static async Task<Results<Created, JsonHttpResult<OperationOutcome>>> CreateImmunizationAsync(
        Immunization resource, HttpContext context, RecordVaccination record, CancellationToken cancellationToken)
    {
        var (request, invalid) = FhirMapping.ToRequest(resource);
        if (invalid is not null)
        {
            return OperationOutcomes.From(invalid);
        }

        var result = await record.HandleAsync(request!, context.User.KeyName(),
            e => RequestAudit.Entry(context, "fhir.immunization.create", e.NhsNumber, "Immunization", e.Id), cancellationToken);
        if (!result.Succeeded)
        {
            // The patient named in the body is content, not the address: an unknown one makes the resource invalid.
            var failure = result.Failure!;
            return OperationOutcomes.From(failure.Kind == FailureKind.NotFound ? failure with { Kind = FailureKind.Invalid, Field = "nhsNumber" } : failure);
        }

        var recorded = result.Value!;
        return TypedResults.Created($"/fhir/Immunization/{recorded.Id}");
    }

    private static async Task<Results<FhirBundleResult, JsonHttpResult<OperationOutcome>>> SearchAsync(
        IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> parameters, HttpContext context,
        GetVaccinationHistory history, VaccineCatalogue catalogue, AuditLog audit, CancellationToken cancellationToken)
    {
        var (search, invalid) = ImmunizationSearch.Parse(parameters, catalogue);
        if (invalid is not null)
        {
            return OperationOutcomes.From(invalid);
        }

        var events = await history.HandleAsync(
            new VaccinationHistoryQuery(search!.NhsNumber, search.Targets, search.From, search.To), cancellationToken);
        await audit.WriteAsync(context, "fhir.immunization.search", search.NhsNumber, "Immunization");

        var baseUrl = BaseUrl(context.Request);
        var entries = events
            .Select(e => new BundleEntry($"{baseUrl}/Immunization/{e.Id}", FhirMapping.ToImmunization(e, catalogue), new BundleSearch("match")))
            .ToList();
        if (search.IncludePatient && entries.Count > 0)
        {
            entries.Add(new BundleEntry($"{baseUrl}/Patient/{search.NhsNumber.Value}", FhirMapping.ToIncludedPatient(search.NhsNumber), new BundleSearch("include")));
        }

        var self = new BundleLink("self", $"{baseUrl}/Immunization?{search.ToQueryString()}");
        return new FhirBundleResult(new Bundle("Bundle", "searchset", events.Count, [self], entries));
    }

    private static JsonHttpResult<T> Fhir<T>(T resource) => TypedResults.Json(resource, FhirJson.Options, FhirJson.ContentType);

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/fhir";
}
