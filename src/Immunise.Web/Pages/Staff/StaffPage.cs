using System.Globalization;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Immunise.Web.Pages.Staff;

/// <summary>
/// What staff pages share: the signed-in member of staff as audit actor, and form errors shown with the NHS error summary
/// pattern (a summary linking to each field, the message beside the field, "Error: " before the title).
/// </summary>
public abstract class StaffPage : PageModel
{
    public List<(string Field, string Message)> Errors { get; } = [];

    protected string StaffId => User.StaffId();

    protected Actor Actor => Actor.Staff(StaffId);

    public string? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field).Message;

    public string FieldClass(string field, string baseClass) => ErrorFor(field) is null ? baseClass : $"{baseClass} {baseClass}--error";

    public string GroupClass(string field) => ErrorFor(field) is null ? "nhsuk-form-group" : "nhsuk-form-group nhsuk-form-group--error";

    protected void AddError(string field, string message) => Errors.Add((field, message));

    /// <summary>A use case's failure as a form error, on <paramref name="field"/> or the failure's own field.</summary>
    protected void AddError(Failure failure, string? field = null) => Errors.Add((field ?? failure.Field ?? "form", failure.Message));

    /// <summary>The page again with its errors, answered with the 4xx status of what went wrong (400 for form mistakes).</summary>
    protected PageResult PageWithErrors(FailureKind kind = FailureKind.Invalid)
    {
        Response.StatusCode = Api.Problems.StatusFor(kind);
        return Page();
    }

    /// <summary>A day from the NHS date input's three fields; null (with an error) when it is not a real date.</summary>
    protected DateOnly? ReadDate(string field, string? day, string? month, string? year, string label)
    {
        if (int.TryParse(day, NumberStyles.None, CultureInfo.InvariantCulture, out var d)
            && int.TryParse(month, NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            && int.TryParse(year, NumberStyles.None, CultureInfo.InvariantCulture, out var y)
            && y is >= 2000 and <= 2100 && m is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m))
        {
            return new DateOnly(y, m, d);
        }

        AddError(field, $"{label} must be a real date, like 31 3 2027.");
        return null;
    }
}
