using Immunise.Common;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// A page that applies a weekly template: the dates it is applied over, typed as two date inputs (<c>fromDate</c>,
/// <c>toDate</c>), and (for a new template) the weekly session's fields.
/// </summary>
public abstract class TemplatePage : SessionFormPage
{
    [BindProperty(Name = "fromDate-day")]
    public string? FromDay { get; set; }

    [BindProperty(Name = "fromDate-month")]
    public string? FromMonth { get; set; }

    [BindProperty(Name = "fromDate-year")]
    public string? FromYear { get; set; }

    [BindProperty(Name = "toDate-day")]
    public string? ToDay { get; set; }

    [BindProperty(Name = "toDate-month")]
    public string? ToMonth { get; set; }

    [BindProperty(Name = "toDate-year")]
    public string? ToYear { get; set; }

    /// <summary>Reads the two dates, noting an error for each that is not a real date.</summary>
    protected (DateOnly? From, DateOnly? To) ReadRange() =>
        (ReadDate("fromDate", FromDay, FromMonth, FromYear, "The first date"), ReadDate("toDate", ToDay, ToMonth, ToYear, "The last date"));

    /// <summary>A template's failure shown beside the field of this form it is about.</summary>
    internal IActionResult RefusedTemplate(Failure failure) => Refused(failure, "fromDate", FieldOnForm);

    /// <summary>Where a template failure's field goes on this form (<see cref="Field"/>, unless the form has fewer fields).</summary>
    protected virtual string FieldOnForm(string field) => Field(field);

    /// <summary>Where a template failure's field goes on the form: the date range's own, or a weekly session's field.</summary>
    public static string Field(string field) => field switch
    {
        "from" => "fromDate",
        "to" => "toDate",
        "sessions" => "days",
        _ when field.StartsWith("sessions[0].", StringComparison.Ordinal) => field["sessions[0].".Length..] switch
        {
            "date" => "fromDate",
            var own => own,
        },
        _ => field,
    };
}
