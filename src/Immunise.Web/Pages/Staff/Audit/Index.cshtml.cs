using System.Globalization;
using Immunise.Audit;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Audit;

/// <summary>
/// The audit trail for national administrators: search (a form post, so NHS numbers stay out of the address) and
/// CSV export of what matches. Both are themselves audited.
/// </summary>
[StaffAccess(StaffScope.National, StaffRole.NationalAdministrator)]
public sealed class IndexModel(SearchAudit search, AuditLog audit) : StaffPage
{
    [BindProperty]
    public string? ActorId { get; set; }

    [BindProperty]
    public string? Action { get; set; }

    [BindProperty]
    public string? NhsNumber { get; set; }

    [BindProperty]
    public string? ResourceId { get; set; }

    [BindProperty]
    public string? From { get; set; }

    [BindProperty]
    public string? To { get; set; }

    public AuditPage? Results { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var page = await search.HandleAsync(new AuditQuery(Limit: 50), cancellationToken);
        Results = page.Value;
    }

    public async Task<IActionResult> OnPostSearchAsync(CancellationToken cancellationToken)
    {
        if (Query() is not { } query)
        {
            return PageWithErrors();
        }

        var page = await search.HandleAsync(query, cancellationToken);
        if (!page.Succeeded)
        {
            AddError(page.Failure!);
            return PageWithErrors();
        }

        await audit.WriteAsync(new AuditEntry(Actor, "audit.searched", CorrelationId: HttpContext.TraceIdentifier), CancellationToken.None);
        Results = page.Value;
        return Page();
    }

    public async Task<IActionResult> OnPostExportAsync(CancellationToken cancellationToken)
    {
        if (Query() is not { } query)
        {
            return PageWithErrors();
        }

        var check = await search.HandleAsync(query with { Limit = 1 }, cancellationToken);
        if (!check.Succeeded)
        {
            AddError(check.Failure!);
            return PageWithErrors();
        }

        await audit.WriteAsync(new AuditEntry(Actor, "audit.exported", CorrelationId: HttpContext.TraceIdentifier), CancellationToken.None);
        var csv = new StringWriter(CultureInfo.InvariantCulture);
        await search.ExportCsvAsync(query, csv, cancellationToken: cancellationToken);
        return File(System.Text.Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", "audit.csv");
    }

    private AuditQuery? Query()
    {
        var from = ReadInstant("from", From);
        var to = ReadInstant("to", To);
        return Errors.Count > 0 ? null : new AuditQuery(ActorId, Action, NhsNumber, ResourceId, from, to, Limit: 200);
    }

    private DateTimeOffset? ReadInstant(string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParseExact(text.Trim(), ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm"],
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        AddError(field, "Enter a date like 2026-11-20, or a time like 2026-11-20T09:30.");
        return null;
    }
}
