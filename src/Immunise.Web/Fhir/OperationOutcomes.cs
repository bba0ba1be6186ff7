using System.Collections.Frozen;
using Immunise.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Fhir;

/// <summary>
/// The one mapping from failures to FHIR answers: an OperationOutcome with one error issue whose <c>details</c> carry the
/// NHS http-error-code (INVALID, NOT_FOUND, DUPLICATE, …) and Immunise's own stable code, and whose <c>expression</c>
/// points at the element at fault. Invalid → 400, NotFound → 404, Conflict → 422 (the NHS Immunisation API answers a
/// duplicate identifier with 422 DUPLICATE), Forbidden → 403.
/// </summary>
public static class OperationOutcomes
{
    public const string NhsErrorCodes = "https://fhir.nhs.uk/Codesystem/http-error-codes";
    public const string ImmuniseErrorCodes = "urn:immunise:error-code";

    // Where a use case's field lives in an Immunization resource.
    private static readonly FrozenDictionary<string, string> s_expressions = new Dictionary<string, string>
    {
        ["nhsNumber"] = "Immunization.patient.identifier.value",
        ["productCode"] = "Immunization.vaccineCode.coding.code",
        ["occurredAt"] = "Immunization.occurrenceDateTime",
        ["siteOdsCode"] = "Immunization.location.identifier.value",
        ["doseNumber"] = "Immunization.protocolApplied.doseNumberPositiveInt",
        ["targetDisease"] = "Immunization.protocolApplied.targetDisease",
        ["batchNumber"] = "Immunization.lotNumber",
        ["batchExpiry"] = "Immunization.expirationDate",
        ["route"] = "Immunization.route",
        ["bodySite"] = "Immunization.site",
        ["identifier"] = "Immunization.identifier",
    }.ToFrozenDictionary();

    public static int StatusFor(FailureKind kind) => kind switch
    {
        FailureKind.Invalid => StatusCodes.Status400BadRequest,
        FailureKind.NotFound => StatusCodes.Status404NotFound,
        FailureKind.Conflict => StatusCodes.Status422UnprocessableEntity,
        FailureKind.Forbidden => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status400BadRequest,
    };

    public static JsonHttpResult<OperationOutcome> From(Failure failure)
    {
        var status = StatusFor(failure.Kind);
        var expression = failure.Field is null ? null : s_expressions.GetValueOrDefault(failure.Field, failure.Field);
        return TypedResults.Json(Create(status, failure.Code, failure.Message, expression), FhirJson.Options, FhirJson.ContentType, status);
    }

    public static OperationOutcome Create(int status, string code, string message, string? expression = null)
    {
        var (issueCode, nhsCode) = (status, code) switch
        {
            (_, _) when code.StartsWith("duplicate", StringComparison.Ordinal) => ("duplicate", "DUPLICATE"),
            (StatusCodes.Status400BadRequest, _) => ("invalid", "INVALID"),
            (StatusCodes.Status401Unauthorized, _) => ("login", "UNAUTHORIZED"),
            (StatusCodes.Status403Forbidden, _) => ("forbidden", "FORBIDDEN"),
            (StatusCodes.Status404NotFound, _) => ("not-found", "NOT_FOUND"),
            (StatusCodes.Status405MethodNotAllowed, _) => ("not-supported", "METHOD_NOT_ALLOWED"),
            (StatusCodes.Status409Conflict or StatusCodes.Status422UnprocessableEntity, _) => ("business-rule", "INVARIANT"),
            (StatusCodes.Status413PayloadTooLarge, _) => ("too-long", "INVALID"),
            (StatusCodes.Status415UnsupportedMediaType, _) => ("not-supported", "INVALID"),
            (>= 500, _) => ("exception", "SERVER_ERROR"),
            _ => ("processing", "INVALID"),
        };
        var details = new CodeableConcept([new Coding(NhsErrorCodes, nhsCode), new Coding(ImmuniseErrorCodes, code)]);
        var issue = new OperationOutcomeIssue("error", issueCode, details, message, expression is null ? null : [expression]);
        return new OperationOutcome("OperationOutcome", Guid.NewGuid().ToString(), null, [issue]);
    }

    /// <summary>Writes an outcome outside an endpoint (authentication, middleware, exception handler).</summary>
    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Create(status, code, message), FhirJson.Options, FhirJson.ContentType);
    }
}
