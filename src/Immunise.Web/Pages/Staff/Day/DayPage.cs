using System.Globalization;
using Immunise.Common;
using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Web.Api;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Day;

/// <summary>
/// What the site's day pages share: the site from the route, the signed-in member of staff, what they may do here (to show
/// only the buttons they can use; each action's page declares and enforces its own access), dates as people read them, and
/// the notice shown on the appointment list after an action.
/// </summary>
public abstract class DayPage : StaffPage
{
    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-GB");

    [FromRoute]
    public string OdsCode { get; set; } = "";

    /// <summary>The site's ODS code as the use cases store it (upper case).</summary>
    public string Site => OdsCode.Trim().ToUpperInvariant();

    /// <summary>A message for the appointment list after an action (kept in the TempData cookie until shown).</summary>
    [TempData]
    public string? Notice { get; set; }

    public string ListUrl => $"/staff/sites/{Site}/day";

    protected StaffMember Me => SiteDayEndpoints.Me(HttpContext);

    /// <summary>Whether the signed-in member of staff holds one of <paramref name="roles"/> for this site (nationally or here).</summary>
    public bool Holds(IReadOnlyList<StaffRole> roles) =>
        new StaffAccessAttribute(StaffScope.Site, [.. roles]).Admits(StaffClaims.Grants(User), Site, null);

    public bool CanCheckIn => Holds(SiteDayEndpoints.CheckInStaff);

    public bool CanVaccinate => Holds(SiteDayEndpoints.Vaccinators);

    public static string LongDate(DateOnly day) => day.ToString("dddd d MMMM yyyy", English);

    public static string ShortDate(DateOnly day) => day.ToString("d MMMM yyyy", English);

    public static string Time(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Records.London.Zone).ToString("HH:mm", English);

    /// <summary>A use case's failure as a form error on the page's own field for it (<paramref name="fields"/>: failure field → page field).</summary>
    protected void AddFailure(Failure failure, IReadOnlyDictionary<string, string> fields, string fallback) =>
        AddError(failure, failure.Field is { } f && fields.TryGetValue(f, out var field) ? field : fallback);

    /// <summary>Back to the appointment list with a notice (post, redirect, get: a refresh does not post again).</summary>
    protected RedirectResult BackToList(string notice)
    {
        Notice = notice;
        return Redirect(ListUrl);
    }
}
