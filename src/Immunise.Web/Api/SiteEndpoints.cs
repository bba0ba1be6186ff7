using Immunise.Access;
using Immunise.Audit;
using Immunise.Availability;
using Immunise.Common;
using Immunise.Sites;
using Immunise.Web.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Api;

/// <summary>
/// <c>/api/v1/sites</c>: vaccination sites, the search for sites near a postcode, availability, and publishing, changing and
/// cancelling sessions. Reads need <c>booking:read</c>; changes need <c>sites:write</c>. The postcode of a search travels
/// in the body, never in the address.
/// </summary>
public static class SiteEndpoints
{
    public static IEndpointRouteBuilder MapSiteEndpoints(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/v1").WithTags("Sites").RequireAuthorization(Scopes.BookingRead)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        read.MapGet("/sites", ListAsync).WithName("ListSites")
            .WithSummary("Sites, filtered by region, ICB, service and status, a page at a time in ODS-code order");
        read.MapGet("/sites/{odsCode}", GetAsync).WithName("GetSite").WithSummary("A site by ODS code")
            .ProducesProblem(StatusCodes.Status404NotFound);
        read.MapPost("/sites/search", SearchAsync).WithName("SearchSites")
            .WithSummary("Online sites near a postcode offering a service, nearest first, with distance and next free date")
            .ProducesProblem(StatusCodes.Status404NotFound);
        read.MapGet("/sites/{odsCode}/availability", AvailabilityAsync).WithName("GetAvailability")
            .WithSummary("Free places by day and by slot (future slots of active sessions), optionally for one service; from/to yyyy-MM-dd, 62 days at most")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var write = app.MapGroup("/api/v1").WithTags("Sites").RequireAuthorization(Scopes.SitesWrite)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        write.MapPost("/sites", CreateAsync).WithName("CreateSite")
            .WithSummary("Create a site; its postcode places it (coordinates, region, ICB from the postcode directory)");
        write.MapPut("/sites/{odsCode}", UpdateAsync).WithName("UpdateSite").WithSummary("Replace a site's details");
        write.MapPost("/sites/{odsCode}/sessions", CreateSessionAsync).WithName("CreateSession")
            .WithSummary("Publish a session: a day, from/until (HH:mm, Europe/London), slot length, places per slot, services");
        write.MapPost("/sites/{odsCode}/templates", ApplyTemplateAsync).WithName("ApplyTemplate")
            .WithSummary("Apply a weekly template (sessions on weekdays) over a date range (184 days at most)");
        write.MapPost("/sites/{odsCode}/days/{date}/cancel", CancelDayAsync).WithName("CancelDay")
            .WithSummary("Cancel every session of the site on a day; their bookings are cancelled and each citizen is to be told");
        write.MapPut("/sessions/{sessionId}", EditSessionAsync).WithName("EditSession")
            .WithSummary("Change a session's times, slot length, places or services; bookings that no longer fit are re-fitted or cancelled (citizens told)");
        write.MapPost("/sessions/{sessionId}/cancel", CancelSessionAsync).WithName("CancelSession")
            .WithSummary("Cancel a session; its bookings are cancelled and each citizen is to be told");
        return app;
    }

    public static async Task<Results<Ok<SitePageResponse>, ProblemHttpResult>> ListAsync(
        string? region, string? icb, string? service, string? status, int? page, int? pageSize, GetSites sites, CancellationToken cancellationToken)
    {
        var result = await sites.ListAsync(new SiteQuery(region, icb, service, status, page ?? 1, pageSize ?? 50), cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(new SitePageResponse(result.Value!.Page, result.Value.PageSize, result.Value.Total, result.Value.Sites.Select(SiteResponse.From).ToList()))
            : Problems.From(result.Failure!);
    }

    public static async Task<Results<Ok<SiteResponse>, ProblemHttpResult>> GetAsync(string odsCode, GetSites sites, CancellationToken cancellationToken) =>
        await sites.FindAsync(odsCode, cancellationToken) is { } site ? TypedResults.Ok(SiteResponse.From(site)) : Problems.From(SaveSite.NotFound);

    public static async Task<Results<Ok<SiteSearchResponse>, ProblemHttpResult>> SearchAsync(SiteSearchBody body, FindSites find, CancellationToken cancellationToken)
    {
        var result = await find.HandleAsync(new FindSitesRequest(
            body.Postcode, body.Service, body.Limit ?? 10, body.MaxMiles ?? 50, body.ProductCode, body.OnlyWithAvailability ?? true), cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(new SiteSearchResponse(result.Value!.Postcode, result.Value.PostcodeExact,
                result.Value.Sites.Select(s => new NearbySiteResponse(SiteResponse.From(s.Site), s.DistanceKm, s.DistanceMiles, s.NextFreeDate)).ToList()))
            : Problems.From(result.Failure!);
    }

    public static async Task<Results<Ok<AvailabilityResponse>, ProblemHttpResult>> AvailabilityAsync(
        string odsCode, string? from, string? to, string? service, GetAvailability availability, CancellationToken cancellationToken)
    {
        if (!BookingInput.TryOptionalDate(from, "from", out var fromDate, out var invalid) || !BookingInput.TryOptionalDate(to, "to", out var toDate, out invalid))
        {
            return Problems.From(invalid!);
        }

        var result = await availability.HandleAsync(new AvailabilityQuery(odsCode, fromDate, toDate, service), cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(new AvailabilityResponse(result.Value!.SiteOdsCode, result.Value.From, result.Value.To, result.Value.Days))
            : Problems.From(result.Failure!);
    }

    public static async Task<Results<Created<SiteResponse>, ProblemHttpResult>> CreateAsync(SiteBody body, SaveSite save, CancellationToken cancellationToken)
    {
        var result = await save.CreateAsync(body.ToDetails(), cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/sites/{result.Value!.OdsCode}", SiteResponse.From(result.Value))
            : Problems.From(result.Failure!);
    }

    public static async Task<Results<Ok<SiteResponse>, ProblemHttpResult>> UpdateAsync(
        string odsCode, SiteBody body, HttpContext context, SaveSite save, CancellationToken cancellationToken)
    {
        var result = await save.UpdateAsync(odsCode, body.ToDetails(), Actor.ApiKey(context.User.KeyName()), cancellationToken);
        return result.Succeeded ? TypedResults.Ok(SiteResponse.From(result.Value!)) : Problems.From(result.Failure!);
    }

    public static async Task<Results<Created<SessionResponse>, ProblemHttpResult>> CreateSessionAsync(
        string odsCode, SessionBody body, PublishSessions publish, CancellationToken cancellationToken)
    {
        if (!BookingInput.TryDate(body.Date, "invalid-date", "date", out var date, out var invalid))
        {
            return Problems.From(invalid!);
        }

        var result = await publish.CreateAsync(odsCode, new SessionDetails(date, body.From, body.Until, body.SlotMinutes, body.Capacity, body.Services), cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/sessions/{result.Value!.Id}", SessionResponse.Of(result.Value))
            : Problems.From(result.Failure!);
    }

    public static async Task<Results<Created<TemplateResponse>, ProblemHttpResult>> ApplyTemplateAsync(
        string odsCode, TemplateBody body, HttpContext context, PublishSessions publish, CancellationToken cancellationToken)
    {
        if (!BookingInput.TryDate(body.From, "invalid-date", "from", out var from, out var invalid) || !BookingInput.TryDate(body.To, "invalid-date", "to", out var to, out invalid))
        {
            return Problems.From(invalid!);
        }

        var result = await publish.ApplyTemplateAsync(odsCode, new WeeklyTemplate(from, to, body.Sessions), context.User.KeyName(), cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/sites/{odsCode}/availability",
                new TemplateResponse(result.Value!.TemplateId, result.Value.From, result.Value.To, result.Value.Sessions.Select(SessionResponse.Of).ToList()))
            : Problems.From(result.Failure!);
    }

    public static async Task<Results<Ok<SessionChangeResponse>, ProblemHttpResult>> EditSessionAsync(
        string sessionId, SessionBody body, EditSession edit, CancellationToken cancellationToken)
    {
        if (!BookingInput.TryOptionalDate(body.Date, "date", out var date, out var invalid))
        {
            return Problems.From(invalid!);
        }

        var result = await edit.HandleAsync(sessionId, new SessionDetails(date, body.From, body.Until, body.SlotMinutes, body.Capacity, body.Services), cancellationToken);
        return Answer(result);
    }

    public static async Task<Results<Ok<SessionChangeResponse>, ProblemHttpResult>> CancelSessionAsync(string sessionId, CancelSessions cancel, CancellationToken cancellationToken) =>
        Answer(await cancel.SessionAsync(sessionId, cancellationToken));

    public static async Task<Results<Ok<SessionChangeResponse>, ProblemHttpResult>> CancelDayAsync(
        string odsCode, string date, CancelSessions cancel, CancellationToken cancellationToken)
    {
        if (!BookingInput.TryDate(date, "invalid-date", "date", out var day, out var invalid))
        {
            return Problems.From(invalid!);
        }

        return Answer(await cancel.DayAsync(odsCode, day, cancellationToken));
    }

    private static Results<Ok<SessionChangeResponse>, ProblemHttpResult> Answer(Result<SessionChange> result) =>
        result.Succeeded ? TypedResults.Ok(SessionChangeResponse.From(result.Value!)) : Problems.From(result.Failure!);
}
