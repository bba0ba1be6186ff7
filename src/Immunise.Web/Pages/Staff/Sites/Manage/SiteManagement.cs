using System.Globalization;
using Immunise.Availability;
using Immunise.Common;
using Immunise.Sites;
using Immunise.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// What the site management pages share: who may use them (site managers of the site, regional managers of its region,
/// national administrators: each page says so with its own <c>[StaffAccess]</c>), how they write days, times and services, and
/// the site the route names.
/// </summary>
public static class SiteManagement
{
    /// <summary>The roles that manage sites (at the site, for its region, or nationally).</summary>
    public static readonly IReadOnlyList<StaffRole> Roles = [StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager];

    public static readonly CultureInfo EnGb = CultureInfo.GetCultureInfo("en-GB");

    public static string Day(DateOnly date) => date.ToString("dddd d MMMM yyyy", EnGb);

    public static string ShortDay(DateOnly date) => date.ToString("ddd d MMM", EnGb);

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A service as staff read it: <c>FLU:65+</c> → "Flu, 65 and over".</summary>
    public static string Service(string code) => code switch
    {
        "COVID:5-11" => "COVID-19, 5 to 11",
        "COVID:12-17" => "COVID-19, 12 to 17",
        "COVID:18+" => "COVID-19, 18 and over",
        "FLU:2-17" => "Flu, 2 to 17",
        "FLU:18-64" => "Flu, 18 to 64",
        "FLU:65+" => "Flu, 65 and over",
        "RSV:Adult" => "RSV, adults",
        _ => code,
    };

    /// <summary>An accessibility fact as citizens read it: <c>bsl-interpreter</c> → "BSL interpreter".</summary>
    public static string Accessibility(string code) => code switch
    {
        "step-free-access" => "Step-free access",
        "accessible-toilet" => "Accessible toilet",
        "wheelchair-available" => "Wheelchair available",
        "disabled-parking" => "Disabled parking",
        "parking" => "Parking",
        "hearing-loop" => "Hearing loop",
        "bsl-interpreter" => "BSL interpreter",
        "translation-services" => "Translation services",
        "quiet-room" => "Quiet room",
        "seating" => "Seating while you wait",
        "text-relay" => "Text Relay",
        _ => code,
    };

    public static string SiteType(string code) => code switch
    {
        "vaccination-centre" => "Vaccination centre",
        "community-pharmacy" => "Community pharmacy",
        "gp-led" => "GP-led service",
        "hospital-hub" => "Hospital hub",
        _ => code,
    };

    public static string Weekdays(IEnumerable<string>? days) =>
        string.Join(", ", (days ?? []).Select(d => d.Length == 0 ? d : char.ToUpperInvariant(d[0]) + d[1..].ToLowerInvariant()));

    public static string Plural(int count, string one, string many) => $"{Number(count)} {(count == 1 ? one : many)}";

    /// <summary>How a session reads in a sentence: "Monday 23 November 2026, 09:00 to 12:00".</summary>
    public static string Describe(Session session) => $"{Day(session.Date)}, {session.From} to {session.Until}";

    /// <summary>A week asked for in the address (<c>?week=2026-11-23</c>): its Monday, or this week's when missing or not a date.</summary>
    public static DateOnly WeekFrom(string? week, DateOnly today) =>
        DateOnly.TryParseExact(week, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? SiteSchedule.WeekOf(day) : SiteSchedule.WeekOf(today);

    /// <summary>Reads a whole number typed into a form (null when it is not one).</summary>
    public static int? Whole(string? text) =>
        int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}

/// <summary>A staff page about one site, named by the route's <c>{odsCode}</c>.</summary>
public abstract class SitePage : StaffPage
{
    [FromRoute]
    public string OdsCode { get; set; } = "";

    /// <summary>The site, once <see cref="LoadSiteAsync"/> found it.</summary>
    public Site Site { get; private set; } = null!;

    /// <summary>Reads the route's site; false when there is no such site (answer 404).</summary>
    protected async Task<bool> LoadSiteAsync(GetSites sites, CancellationToken cancellationToken)
    {
        if (await sites.FindAsync(OdsCode, cancellationToken) is not { } site)
        {
            return false;
        }

        Site = site;
        OdsCode = site.OdsCode;
        return true;
    }

    /// <summary>
    /// A use case's failure shown on the form, answered with its 4xx status: beside the failure's field (renamed by
    /// <paramref name="map"/> where the page names it differently), or beside <paramref name="fallback"/> when it names none.
    /// </summary>
    protected IActionResult Refused(Failure failure, string fallback, Func<string, string>? map = null)
    {
        AddError(failure, failure.Field is { } field ? map?.Invoke(field) ?? field : fallback);
        return PageWithErrors(failure.Kind);
    }
}

/// <summary>Checkboxes in a fieldset (partial <c>_Checkboxes</c>): the first box's id is <see cref="Name"/>, where the error summary links.</summary>
public sealed record CheckboxesField(string Name, string Legend, IReadOnlyList<(string Value, string Label)> Items, IReadOnlyCollection<string> Checked, string? Error,
    string? Hint = null)
{
    public string ItemId(int index) => index == 0 ? Name : $"{Name}-{index + 1}";
}

/// <summary>The site's own links on every management page (partial <c>_SiteNav</c>); <see cref="Current"/> marks the page shown.</summary>
public sealed record SiteNav(Site Site, string Current);

/// <summary>A session's times, slot length, places and services as typed (partial <c>_SessionFields</c>).</summary>
public sealed record SessionFields(StaffPage Page, string? From, string? Until, string? SlotMinutes, string? Capacity, IReadOnlyList<string> Offered,
    IReadOnlyCollection<string> Chosen);

/// <summary>A page with a session's fields: starts at, ends at, minutes per appointment, people per appointment time, services.</summary>
public abstract class SessionFormPage : SitePage
{
    [BindProperty]
    public string? From { get; set; }

    [BindProperty]
    public string? Until { get; set; }

    [BindProperty]
    public string? SlotMinutes { get; set; }

    [BindProperty]
    public string? Capacity { get; set; }

    [BindProperty]
    public List<string> Services { get; set; } = [];

    public SessionFields Fields => new(this, From, Until, SlotMinutes, Capacity, Site.Services, Services);

    /// <summary>Checks what the page can check alone, noting every mistake at once; the use case checks the rest.</summary>
    protected void CheckSessionFields()
    {
        if (!SessionRules.TryParseTime(From, out _))
        {
            AddError("from", "Enter the time the session starts, like 09:00");
        }

        if (!SessionRules.TryParseTime(Until, out _))
        {
            AddError("until", "Enter the time the session ends, like 17:00");
        }

        if (SiteManagement.Whole(SlotMinutes) is not (>= SessionRules.MinSlotMinutes and <= SessionRules.MaxSlotMinutes))
        {
            AddError("slotMinutes", $"Enter the minutes per appointment, from {SessionRules.MinSlotMinutes} to {SessionRules.MaxSlotMinutes}");
        }

        if (SiteManagement.Whole(Capacity) is not (>= 1 and <= SessionRules.MaxCapacity))
        {
            AddError("capacity", $"Enter how many people per appointment time, from 1 to {SessionRules.MaxCapacity}");
        }

        if (Services.Count == 0)
        {
            AddError("services", "Choose at least one service");
        }
    }
}

/// <summary>Previous and next links (partial <c>_PrevNext</c>): pages of sites, weeks of sessions.</summary>
public sealed record PrevNext(string Label, string? PreviousHref, string PreviousText, string? NextHref, string NextText)
{
    /// <summary>The weeks before and after <paramref name="monday"/> on a page at <paramref name="path"/>.</summary>
    public static PrevNext Weeks(string path, DateOnly monday) => new("Weeks",
        $"{path}?week={SiteManagement.Iso(monday.AddDays(-7))}", "Week of " + SiteManagement.ShortDay(monday.AddDays(-7)),
        $"{path}?week={SiteManagement.Iso(monday.AddDays(7))}", "Week of " + SiteManagement.ShortDay(monday.AddDays(7)));
}

/// <summary>A textarea with its label, hint and error (partial <c>_TextArea</c>).</summary>
public sealed record TextAreaField(string Id, string Label, string? Value, string? Error, string? Hint = null, int Rows = 3);
