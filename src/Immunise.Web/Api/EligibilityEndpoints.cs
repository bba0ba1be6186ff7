using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Web.Access;
using Immunise.Web.Fhir;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Api;

/// <summary>
/// NHS England's Eligibility Signposting API, answered from the register: <c>GET
/// /eligibility-signposting-api/patient-check/{nhsNumber}</c> with its query parameters (<c>conditions</c>, <c>category</c>,
/// <c>includeActions</c>), its headers (<c>nhs-login-nhs-number</c> must match the path; <c>NHSE-Product-ID</c> selects the
/// campaigns the consumer may see; <c>nhsd-End-User-Organisation-ods</c> is recorded as the purpose), its response shape
/// and OperationOutcome errors. Needs the <c>eligibility:read</c> scope; every answer about a person is audited.
/// Campaign configs: <c>GET /api/v1/campaigns</c> lists every version, <c>POST /api/v1/campaigns</c> validates and adds one
/// (scope <c>campaigns:write</c>).
/// </summary>
public static partial class EligibilityEndpoints
{
    private static readonly JsonSerializerOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapEligibilityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/eligibility-signposting-api/patient-check/{nhsNumber}", CheckAsync)
            .RequireAuthorization(Scopes.EligibilityRead)
            .WithTags("Eligibility").WithName("PatientCheck")
            .WithSummary("Eligibility for each condition (NHS England's Eligibility Signposting API)")
            .Produces<EligibilityResponse>()
            .Produces<OperationOutcome>(StatusCodes.Status400BadRequest, FhirJson.ContentType)
            .Produces<OperationOutcome>(StatusCodes.Status403Forbidden, FhirJson.ContentType)
            .Produces<OperationOutcome>(StatusCodes.Status404NotFound, FhirJson.ContentType)
            .Produces<OperationOutcome>(StatusCodes.Status500InternalServerError, FhirJson.ContentType);

        app.MapGet("/eligibility-signposting-api/patient-check/_status", Status)
            .AllowAnonymous().WithTags("Eligibility").WithName("PatientCheckStatus")
            .WithSummary("Whether the eligibility check is up (the shape of NHS England's _status answer)");

        app.MapGet("/api/v1/eligibility/counts", CountAsync)
            .RequireAuthorization(Scopes.CampaignsWrite)
            .WithTags("Eligibility").WithName("CohortCounts")
            .WithSummary("Evaluate a campaign for the whole register (or a region or ICB) and count people per status and cohort")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        var campaigns = app.MapGroup("/api/v1/campaigns").WithTags("Eligibility").RequireAuthorization(Scopes.CampaignsWrite)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        campaigns.MapGet("", ListCampaignsAsync).WithName("ListCampaigns").WithSummary("Every stored version of every campaign config and consumer mapping");
        campaigns.MapPost("", UploadCampaignAsync).WithName("UploadCampaign")
            .WithSummary("Validate a campaign config (NHS England's format) and store it as a new version; unchanged content adds none")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public static async Task<IResult> CheckAsync(
        string nhsNumber, HttpContext context, RegisterOptions register, RegisterPersonData people, CampaignStore store,
        AuditLog audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!register.TryParseNhsNumber(nhsNumber, out var nhs, out var reason))
        {
            return Outcome(StatusCodes.Status400BadRequest, "invalid-nhs-number", reason);
        }

        var request = context.Request;
        if (request.Headers.TryGetValue("nhs-login-nhs-number", out var loggedIn) && !string.IsNullOrEmpty(loggedIn.ToString())
            && !(register.TryParseNhsNumber(loggedIn.ToString(), out var loggedInNhs, out _) && loggedInNhs == nhs))
        {
            return Outcome(StatusCodes.Status403Forbidden, "nhs-number-mismatch", "The NHS number in the path is not the one the person signed in with.");
        }

        var query = request.Query;
        var includeActions = query["includeActions"].ToString();
        if (includeActions.Length > 0 && !includeActions.Equals("Y", StringComparison.OrdinalIgnoreCase) && !includeActions.Equals("N", StringComparison.OrdinalIgnoreCase))
        {
            return Outcome(StatusCodes.Status400BadRequest, "invalid-include-actions", "includeActions must be Y or N.");
        }

        var category = query["category"].ToString();
        if (category.Length > 0 && category.ToUpperInvariant() is not ("VACCINATIONS" or "SCREENING" or "ALL"))
        {
            return Outcome(StatusCodes.Status400BadRequest, "invalid-category", "category must be VACCINATIONS, SCREENING or ALL.");
        }

        var conditions = query["conditions"].ToString();
        if (conditions.Length > 0 && !Conditions().IsMatch(conditions))
        {
            return Outcome(StatusCodes.Status400BadRequest, "invalid-conditions", "conditions must be a comma-separated list of condition names, such as COVID,FLU,RSV or ALL.");
        }

        var person = await people.ForAsync(nhs, cancellationToken);
        if (person is null)
        {
            return Outcome(StatusCodes.Status404NotFound, "person-not-found", "No person with this NHS number is in the register.");
        }

        var configuration = await store.CurrentAsync(cancellationToken);
        var consumer = request.Headers["NHSE-Product-ID"].ToString();
        var now = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), London.Zone);
        var result = EligibilityEngine.Evaluate(new EligibilityRequest(
            person,
            configuration.Campaigns,
            DateOnly.FromDateTime(now.DateTime),
            conditions.Length == 0 ? null : conditions,
            category.Length == 0 ? null : category,
            !includeActions.Equals("N", StringComparison.OrdinalIgnoreCase),
            consumer.Length == 0 ? null : configuration.Consumers.CampaignsFor(consumer),
            Guid.NewGuid().ToString(),
            clock.GetUtcNow(),
            TimeOnly.FromDateTime(now.DateTime)));
        switch (result.Outcome)
        {
            case EligibilityOutcome.PersonNotFound:
                return Outcome(StatusCodes.Status404NotFound, "person-not-found", "The register holds no person data for this NHS number.");
            case EligibilityOutcome.ConfigError:
                // The message names the config and token, never the person.
                return Outcome(StatusCodes.Status500InternalServerError, "campaign-config-error", result.Error ?? "A campaign config could not be applied.");
        }

        var organisation = request.Headers["nhsd-End-User-Organisation-ods"].ToString();
        var entry = RequestAudit.Entry(context, "eligibility.read", nhs, "Eligibility", null) with
        {
            Purpose = organisation.Length == 0 ? null : $"ods:{organisation[..Math.Min(organisation.Length, 20)]}",
        };
        await audit.WriteAsync(entry, CancellationToken.None);
        return GeneratedJson.Ok(result.Response!, EligibilityJsonContext.Default.EligibilityResponse);
    }

    public static async Task<Results<Ok<CohortCountResult>, ProblemHttpResult>> CountAsync(
        string? campaign, string? date, string? region, string? icb, CountCohorts counter, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(campaign) || campaign.Length > 200)
        {
            return Problems.From(Common.Failure.Invalid("invalid-campaign", "Name the campaign config ID in 'campaign'.", "campaign"));
        }

        var day = London.Today(clock);
        if (!string.IsNullOrEmpty(date) && !DateOnly.TryParseExact(date, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out day))
        {
            return Problems.From(Common.Failure.Invalid("invalid-date", "'date' must be a date written yyyy-MM-dd.", "date"));
        }

        var result = await counter.HandleAsync(new CohortCountRequest(campaign, day, NullIfEmpty(region), NullIfEmpty(icb)), cancellationToken: cancellationToken);
        return result.Succeeded ? TypedResults.Ok(result.Value!) : Problems.From(result.Failure!);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public static IResult Status(HttpContext context)
    {
        var self = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/eligibility-signposting-api/patient-check/_status";
        var check = new Dictionary<string, object>
        {
            ["status"] = "pass",
            ["timeout"] = false,
            ["responseCode"] = StatusCodes.Status200OK,
            ["outcome"] = "<html><h1>Ok</h1></html>",
            ["links"] = new Dictionary<string, string> { ["self"] = self },
        };
        var version = typeof(EligibilityEndpoints).Assembly.GetName().Version?.ToString() ?? "";
        return TypedResults.Json(new Dictionary<string, object>
        {
            ["status"] = "pass",
            ["version"] = version,
            ["revision"] = "",
            ["releaseId"] = "",
            ["commitId"] = "",
            ["checks"] = new Dictionary<string, object> { ["healthcheckService:status"] = new[] { check } },
        }, s_json);
    }

    public static async Task<Ok<IReadOnlyList<StoredConfig>>> ListCampaignsAsync(CampaignStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(cancellationToken));

    public static async Task<Results<Ok<ConfigLoadResult>, ProblemHttpResult>> UploadCampaignAsync(
        HttpContext context, CampaignStore store, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(context.Request.Body);
        var json = await reader.ReadToEndAsync(cancellationToken);
        var source = context.Request.Query["name"].ToString() is { Length: > 0 and <= 100 } name ? name : "upload.json";
        var result = await store.LoadAsync([(source, json)], context.User.KeyName(), cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(result)
            : TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The campaign config was refused.",
                Detail = string.Join(" ", result.Errors),
                Extensions = { ["code"] = "invalid-campaign-config", ["errors"] = result.Errors },
            });
    }

    private static JsonHttpResult<OperationOutcome> Outcome(int status, string code, string message) =>
        TypedResults.Json(OperationOutcomes.Create(status, code, message), FhirJson.Options, FhirJson.ContentType, status);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,30}(,[A-Za-z0-9_-]{1,30}){0,20}$")]
    private static partial Regex Conditions();
}

/// <summary>
/// The eligibility answer written by generated code (<see cref="GeneratedJson{T}"/>): its names are fixed by attributes, and
/// the bytes are those the relaxed-escaping options it was written with before produce (pinned by a test).
/// </summary>
[JsonSerializable(typeof(EligibilityResponse))]
public sealed partial class EligibilityJsonContext : JsonSerializerContext;
