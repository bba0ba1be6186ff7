using Immunise.Access;
using Immunise.Audit;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Api;

/// <summary>The booking check's answer over HTTP.</summary>
public sealed record BookingCheckResponse(bool Allowed, string Code, string Message, DateOnly? EarliestDate, BookingCheckDose? Dose);

/// <summary>The dose the person needs next: its number, kind (primary, booster, seasonal), products and window.</summary>
public sealed record BookingCheckDose(int Number, string Kind, IReadOnlyList<BookingCheckProduct> Products, DateOnly Earliest, DateOnly Recommended, DateOnly? Latest);

public sealed record BookingCheckProduct(string Code, string Name);

/// <summary>
/// <c>GET /api/v1/eligibility/booking-check?nhsNumber=…&amp;service=COVID:18%2B&amp;date=yyyy-MM-dd</c>: may this person book
/// this service on this date, and if not, why (a stable <c>code</c>). Every decision is 200; bad input is 400 with a
/// ProblemDetails <c>code</c>. Needs the <c>eligibility:read</c> scope; every check of a person is audited.
/// </summary>
public static class BookingCheckEndpoints
{
    public static IEndpointRouteBuilder MapBookingCheckEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/eligibility/booking-check", CheckAsync)
            .RequireAuthorization(Scopes.EligibilityRead)
            .WithTags("Eligibility").WithName("BookingCheck")
            .WithSummary("Whether a person may book a service (COVID:18+, FLU:65+, RSV:Adult) on a date, and if not, why")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        return app;
    }

    public static async Task<Results<Ok<BookingCheckResponse>, ProblemHttpResult>> CheckAsync(
        string? nhsNumber, string? service, string? date, HttpContext context, BookingCheck check, RegisterOptions register,
        AuditLog audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        var request = BookingCheck.Validate(nhsNumber, service, date, London.Today(clock), register);
        if (!request.Succeeded)
        {
            return Problems.From(request.Failure!);
        }

        var result = await check.HandleAsync(request.Value!, cancellationToken);
        await audit.WriteAsync(context, "eligibility.booking-check", request.Value!.NhsNumber, "BookingCheck", request.Value.Service.Name);
        if (result.Code == BookingCheckCodes.CampaignConfigError)
        {
            // The message names the config and token, never the person.
            return TypedResults.Problem(Problems.Create(StatusCodes.Status500InternalServerError, result.Code, result.Message));
        }

        return TypedResults.Ok(new BookingCheckResponse(result.Allowed, result.Code, result.Message, result.EarliestDate, Map(result.Dose)));
    }

    private static BookingCheckDose? Map(DoseNeeded? dose) => dose is null ? null : new BookingCheckDose(
        dose.Number,
        dose.Kind switch { DoseKind.Primary => "primary", DoseKind.Booster => "booster", _ => "seasonal" },
        dose.Products.Select(p => new BookingCheckProduct(p.Code, p.ShortName)).ToList(),
        dose.Window.Earliest,
        dose.Window.Recommended,
        dose.Window.Latest);
}
