using System.Globalization;
using Immunise.Audit;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Vaccines;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Api;

public sealed record StaffMeResponse(string Id, string Email, string DisplayName, bool MustChangePassword, IReadOnlyList<string> Grants);

public sealed record StockBatchResponse(
    string Id, string ProductCode, string ProductName, string BatchNumber, DateOnly ExpiresOn, int DosesReceived, int DosesUsed, int DosesWasted,
    int DosesLeft, string Status)
{
    public static StockBatchResponse From(StockBatch b, StockStatus status, VaccineCatalogue catalogue) => new(
        b.Id, b.ProductCode, catalogue.FindProduct(b.ProductCode)?.Name ?? b.ProductCode, b.BatchNumber, b.ExpiresOn, b.DosesReceived, b.DosesUsed,
        b.DosesWasted, b.DosesLeft, StatusCode(status));

    public static string StatusCode(StockStatus status) => status switch
    {
        StockStatus.InDate => "in-date",
        StockStatus.RunningOut => "running-out",
        StockStatus.Empty => "empty",
        _ => "expired",
    };
}

public sealed record SiteStockResponse(string SiteOdsCode, DateOnly Today, IReadOnlyDictionary<string, int> InDateDosesByProduct, IReadOnlyList<StockBatchResponse> Batches);

public sealed record ReceiveBatchBody(string? ProductCode, string? BatchNumber, DateOnly? ExpiresOn, int? DosesReceived);

public sealed record WastageBody(int? Doses, string? Reason);

public sealed record AuditSearchBody(string? ActorId, string? Action, string? NhsNumber, string? ResourceId, DateTimeOffset? From, DateTimeOffset? To,
    long? BeforeId, int? Limit)
{
    public AuditQuery ToQuery() => new(ActorId, Action, NhsNumber, ResourceId, From, To, BeforeId, Limit ?? 100);
}

public sealed record AuditSearchResponse(IReadOnlyList<AuditEvent> Events, long? NextBeforeId);

/// <summary>
/// Staff APIs, signed in with the staff cookie: who am I; a site's stock (view, receive a batch, record wastage); the audit
/// trail for administrators (search, CSV export). Each declares its roles and scope with <see cref="StaffAccessEndpoints.RequireStaff"/>.
/// Searches are POSTs with a JSON body so that NHS numbers stay out of URLs. Cross-site use is stopped by the cookie's
/// SameSite=Strict and by the JSON bodies (a cross-site form cannot send them).
/// </summary>
public static class StaffEndpoints
{
    /// <summary>Who may look at a site's stock; <see cref="StockWriters"/> may change it.</summary>
    public static readonly StaffRole[] StockViewers =
        [StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist];

    public static readonly StaffRole[] StockWriters = [StaffRole.NationalAdministrator, StaffRole.SiteManager, StaffRole.Clinician];

    public static IEndpointRouteBuilder MapStaffEndpoints(this IEndpointRouteBuilder app)
    {
        var staff = app.MapGroup("/api/v1").WithTags("Staff")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        staff.MapGet("/staff/me", GetMeAsync).RequireStaff(StaffScope.SignedIn)
            .WithName("GetStaffMe").WithSummary("The signed-in member of staff and their roles");

        staff.MapGet("/sites/{odsCode}/stock", GetStockAsync).RequireStaff(StaffScope.Site, StockViewers)
            .WithName("GetSiteStock").WithSummary("A site's vaccine batches: doses left, in date, running out, expired")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        staff.MapPost("/sites/{odsCode}/stock/batches", ReceiveBatchAsync).RequireStaff(StaffScope.Site, StockWriters)
            .WithName("ReceiveBatch").WithSummary("Receive a batch into a site's stock. 400 unknown product, bad batch number, expired; 409 duplicate")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        staff.MapPost("/sites/{odsCode}/stock/batches/{batchId}/wastage", RecordWastageAsync).RequireStaff(StaffScope.Site, StockWriters)
            .WithName("RecordWastage").WithSummary("Record doses wasted from a batch. 409 when fewer doses are left")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        staff.MapPost("/audit/search", SearchAuditAsync).RequireStaff(StaffScope.National, StaffRole.NationalAdministrator)
            .WithName("SearchAudit").WithSummary("Search the audit trail, newest first (administrators)")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        staff.MapPost("/audit/export", ExportAuditAsync).RequireStaff(StaffScope.National, StaffRole.NationalAdministrator)
            .WithName("ExportAudit").WithSummary("The audit lines that match, as CSV (administrators)")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public static async Task<Results<Ok<StaffMeResponse>, ProblemHttpResult>> GetMeAsync(HttpContext context, StaffDirectory directory, CancellationToken cancellationToken)
    {
        var user = await directory.FindAsync(context.User.StaffId(), cancellationToken);
        return user is null
            ? Problems.From(Common.Failure.NotFound("user-not-found", "The account is gone."))
            : TypedResults.Ok(new StaffMeResponse(user.Id, user.Email, user.DisplayName, user.MustChangePassword, user.Grants.Select(g => g.ToString()).ToList()));
    }

    public static async Task<Results<Ok<SiteStockResponse>, ProblemHttpResult>> GetStockAsync(
        string odsCode, SiteStock stock, VaccineCatalogue catalogue, CancellationToken cancellationToken)
    {
        var view = await stock.ViewAsync(odsCode, cancellationToken);
        if (!view.Succeeded)
        {
            return Problems.From(view.Failure!);
        }

        var v = view.Value!;
        return TypedResults.Ok(new SiteStockResponse(v.SiteOdsCode, v.Today, v.InDateDosesByProduct,
            v.Batches.Select(b => StockBatchResponse.From(b.Batch, b.Status, catalogue)).ToList()));
    }

    public static async Task<Results<Created<StockBatchResponse>, ProblemHttpResult>> ReceiveBatchAsync(
        string odsCode, ReceiveBatchBody body, HttpContext context, SiteStock stock, VaccineCatalogue catalogue, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var received = await stock.ReceiveAsync(odsCode, new ReceiveBatchRequest(body.ProductCode, body.BatchNumber, body.ExpiresOn, body.DosesReceived),
            Actor.Staff(context.User.StaffId()), cancellationToken);
        if (!received.Succeeded)
        {
            return Problems.From(received.Failure!);
        }

        var batch = received.Value!;
        return TypedResults.Created($"/api/v1/sites/{batch.SiteOdsCode}/stock",
            StockBatchResponse.From(batch, StockRules.Status(batch, Records.London.Today(clock)), catalogue));
    }

    public static async Task<Results<Ok<StockBatchResponse>, ProblemHttpResult>> RecordWastageAsync(
        string odsCode, string batchId, WastageBody body, HttpContext context, SiteStock stock, VaccineCatalogue catalogue, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var wasted = await stock.RecordWastageAsync(odsCode, batchId, body.Doses, body.Reason, Actor.Staff(context.User.StaffId()), cancellationToken);
        if (!wasted.Succeeded)
        {
            return Problems.From(wasted.Failure!);
        }

        return TypedResults.Ok(StockBatchResponse.From(wasted.Value!, StockRules.Status(wasted.Value!, Records.London.Today(clock)), catalogue));
    }

    public static async Task<Results<Ok<AuditSearchResponse>, ProblemHttpResult>> SearchAuditAsync(
        AuditSearchBody body, HttpContext context, SearchAudit search, AuditLog audit, CancellationToken cancellationToken)
    {
        var page = await search.HandleAsync(body.ToQuery(), cancellationToken);
        if (!page.Succeeded)
        {
            return Problems.From(page.Failure!);
        }

        await audit.WriteAsync(new AuditEntry(Actor.Staff(context.User.StaffId()), "audit.searched", CorrelationId: context.TraceIdentifier), CancellationToken.None);
        return TypedResults.Ok(new AuditSearchResponse(page.Value!.Events, page.Value.NextBeforeId));
    }

    public static async Task ExportAuditAsync(AuditSearchBody body, HttpContext context, SearchAudit search, AuditLog audit, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var query = body.ToQuery();
        // Check the query before any CSV is written, so a bad one is a clean 400.
        var check = await search.HandleAsync(query with { Limit = 1 }, cancellationToken);
        if (!check.Succeeded)
        {
            await Problems.WriteAsync(context, Problems.StatusFor(check.Failure!.Kind), check.Failure.Code, check.Failure.Message);
            return;
        }

        await audit.WriteAsync(new AuditEntry(Actor.Staff(context.User.StaffId()), "audit.exported", CorrelationId: context.TraceIdentifier), CancellationToken.None);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{clock.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}.csv\"";
        await using var writer = new StreamWriter(context.Response.Body, new System.Text.UTF8Encoding(false), 1 << 14, leaveOpen: true);
        await search.ExportCsvAsync(query, writer, cancellationToken: cancellationToken);
    }
}
