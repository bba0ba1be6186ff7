using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Booking;
using Immunise.Tests.Infrastructure;
using static Immunise.Tests.Booking.BookingUseCaseTests;

namespace Immunise.Tests.Staff;

/// <summary>
/// The site management pages, signed in through the sign-in form and posting forms with their antiforgery tokens: who may
/// use them, editing a site with validation and audit, sessions made, changed (with a preview of the appointments affected)
/// and cancelled through the pages, templates, taking a site offline, and the week's figures.
/// </summary>
public sealed partial class SiteManagementWebTests
{
    private static readonly DateOnly Monday = BookingWorld.Monday;

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SitePages_OnlyTheSitesManagersTheirRegionalManagerAndAdministrators_OthersRefused(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider, StaffKit.ManySignIns);
        await world.SiteAsync();
        await world.SiteAsync("LONDON1", "SW1A 1AA");
        var session = await world.SessionAsync();
        var leedsManager = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, "LEEDS1")));
        var londonManager = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, "LONDON1")));
        var receptionist = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Receptionist, "LEEDS1")));
        var clinician = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, "LEEDS1")));
        var yorkshire = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Region(StaffRole.RegionalManager, "Y63")));
        var london = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Region(StaffRole.RegionalManager, "Y56")));
        var admin = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.National(StaffRole.NationalAdministrator)));
        string[] pages =
        [
            "/staff/sites/LEEDS1", "/staff/sites/LEEDS1/edit", "/staff/sites/LEEDS1/status", "/staff/sites/LEEDS1/sessions", "/staff/sites/LEEDS1/sessions/new",
            $"/staff/sites/LEEDS1/sessions/{session.Id}/change", $"/staff/sites/LEEDS1/sessions/{session.Id}/cancel", "/staff/sites/LEEDS1/templates",
            "/staff/sites/LEEDS1/templates/new", "/staff/sites/LEEDS1/week",
        ];

        foreach (var page in pages)
        {
            Assert.Equal(HttpStatusCode.OK, (await leedsManager.GetAsync(page)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await yorkshire.GetAsync(page)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(page)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await londonManager.GetAsync(page)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await london.GetAsync(page)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync(page)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await clinician.GetAsync(page)).StatusCode);
        }

        // Another site's manager posting a real form (their own page's token) at this site, and at this site's session
        // through their own site's address: refused, nothing changes.
        var forged = await londonManager.PostFormAsync("/staff/sites/LEEDS1/status", new() { ["status"] = "offline" }, formPath: "/staff/sites/LONDON1/status");
        var throughOwnSite = await londonManager.PostFormAsync($"/staff/sites/LONDON1/sessions/{session.Id}/cancel", [], formPath: "/staff/sites/LONDON1/status");
        var byReceptionist = await receptionist.PostAsync("/staff/sites/LEEDS1/status", new FormUrlEncodedContent([new("status", "offline")]));
        var list = await (await leedsManager.GetAsync("/staff/sites")).Content.ReadAsStringAsync();
        var regionList = await (await london.GetAsync("/staff/sites")).Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, throughOwnSite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byReceptionist.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await receptionist.GetAsync("/staff/sites")).StatusCode);
        Assert.Equal("online", (await world.Get<GetSites>().FindAsync("LEEDS1"))!.Status);
        Assert.Equal("active", (await world.Get<SiteSchedule>().SessionAsync("LEEDS1", session.Id))!.Session.Status);
        Assert.Contains("href=\"/staff/sites/LEEDS1\"", list, StringComparison.Ordinal);
        Assert.DoesNotContain("LONDON1", list, StringComparison.Ordinal);
        Assert.Contains("href=\"/staff/sites/LONDON1\"", regionList, StringComparison.Ordinal);
        Assert.DoesNotContain("LEEDS1", regionList, StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task EditPage_ListsEveryMistakeAndChangesNothing_ThenSavesAndAuditsTheFieldsChanged(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var manager = await world.App.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, "LEEDS1"));
        var browser = await world.App.SignedInAsync(manager);
        var before = (await world.Get<GetSites>().FindAsync("LEEDS1"))!;

        var bad = await browser.PostFormAsync("/staff/sites/LEEDS1/edit", Form(name: " ", postcode: "not a postcode", phone: "12345", services: []));
        var badHtml = await bad.Content.ReadAsStringAsync();
        var unknownPostcode = await browser.PostFormAsync("/staff/sites/LEEDS1/edit", Form(postcode: "ZZ99 9ZZ"));
        var afterBad = (await world.Get<GetSites>().FindAsync("LEEDS1"))!;
        var good = await browser.PostFormAsync("/staff/sites/LEEDS1/edit",
            Form(name: "Leeds Civic Hall", phone: "0113 496 0000", accessibility: ["step-free-access", "hearing-loop"]));
        var saved = (await world.Get<GetSites>().FindAsync("LEEDS1"))!;
        var home = await (await browser.GetAsync(good.Headers.Location!.OriginalString)).Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("<title>Error: Details and accessibility", badHtml, StringComparison.Ordinal);
        Assert.Equal(["#name", "#postcode", "#phone", "#services"], SummaryLinks(badHtml));
        Assert.Contains("Enter a UK telephone number", badHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknownPostcode.StatusCode);
        Assert.Contains("not in the postcode directory", await unknownPostcode.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(SaveSite.Changes(before, afterBad));
        Assert.Equal(before.UpdatedAt, afterBad.UpdatedAt);
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Equal("/staff/sites/LEEDS1?done=saved", good.Headers.Location!.OriginalString);
        Assert.Equal(("Leeds Civic Hall", "0113 496 0000"), (saved.Name, saved.Phone));
        Assert.Equal(["step-free-access", "hearing-loop"], saved.Accessibility);
        Assert.Equal(["name", "phone", "accessibility"], SaveSite.Changes(before, saved)); // services, products and status kept
        Assert.Contains("The site&#x27;s details are saved.", home, StringComparison.Ordinal);
        Assert.Contains("0113 496 0000", home, StringComparison.Ordinal);
        Assert.Equal((manager.Id, "LEEDS1", "changed: name, phone, accessibility"), Assert.Single(await SiteManagementTests.AuditAsync(world, "site.updated")));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SessionPages_AddChangeWithPreviewAndCancel_MoveOrCancelAppointmentsAndTellThePeople(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var manager = await world.App.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, "LEEDS1"));
        var browser = await world.App.SignedInAsync(manager);

        var added = await browser.PostFormAsync("/staff/sites/LEEDS1/sessions/new", SessionForm("09:00", "10:00", "10", "2", date: Monday));
        var overlapping = await browser.PostFormAsync("/staff/sites/LEEDS1/sessions/new", SessionForm("09:30", "11:00", "10", "2", date: Monday));
        var invalid = await browser.PostFormAsync("/staff/sites/LEEDS1/sessions/new", SessionForm("9am", "10:00", "0", "2", date: null));
        var session = Assert.Single(Ok(await world.Get<SiteSchedule>().WeekAsync("LEEDS1", Monday)).Sessions).Session;
        var slots = await world.SlotIdsAsync(session.Id);
        var first = await BookAsync(world, await world.PersonAsync(), slots[0], null);
        var second = await BookAsync(world, await world.PersonAsync(), slots[0], null);
        var mover = await BookAsync(world, await world.PersonAsync(), slots[1], null);
        var late = await BookAsync(world, await world.PersonAsync(), slots[5], null);

        // 20-minute appointments until 09:40: 09:10 moves into 09:00 (room for 3), 09:50 is after the end.
        var preview = await browser.PostFormAsync($"/staff/sites/LEEDS1/sessions/{session.Id}/change", SessionForm("09:00", "09:40", "20", "3"));
        var previewHtml = await preview.Content.ReadAsStringAsync();
        var unchanged = await StatusesAsync(world, mover, late);
        var messagesAfterPreview = await MessagesAsync(world, "moved") + await MessagesAsync(world, "cancelled-by-site");
        var confirm = SessionForm("09:00", "09:40", "20", "3");
        confirm["confirm"] = "yes";
        var changed = await browser.PostFormAsync($"/staff/sites/LEEDS1/sessions/{session.Id}/change", confirm);
        var statuses = await StatusesAsync(world, first, second, mover, late);
        var cancelPage = await (await browser.GetAsync($"/staff/sites/LEEDS1/sessions/{session.Id}/cancel")).Content.ReadAsStringAsync();
        var cancelled = await browser.PostFormAsync($"/staff/sites/LEEDS1/sessions/{session.Id}/cancel", []);
        var sessionsPage = await (await browser.GetAsync(cancelled.Headers.Location!.OriginalString)).Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.Equal("/staff/sites/LEEDS1/sessions?week=2026-11-23&done=created", added.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Conflict, overlapping.StatusCode);
        Assert.Contains("Sessions at a site cannot overlap", await overlapping.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(["#date", "#from", "#slotMinutes"], SummaryLinks(await invalid.Content.ReadAsStringAsync()));
        Assert.Equal(("09:00", "10:00", 10, 2), (session.From, session.Until, session.SlotMinutes, session.Capacity));
        Assert.Equal(["COVID:18+"], session.Services);
        Assert.Equal(6, slots.Count);

        Assert.True(preview.StatusCode == HttpStatusCode.OK, $"{(int)preview.StatusCode}: {string.Join("\n", world.App.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal)))}");
        Assert.Contains("Confirm the change", previewHtml, StringComparison.Ordinal);
        Assert.Contains("1 appointment will move to another time in this session", previewHtml, StringComparison.Ordinal);
        Assert.Contains("1 appointment will be cancelled", previewHtml, StringComparison.Ordinal);
        Assert.Equal([("booked", slots[1]), ("booked", slots[5])], unchanged.Select(a => (a.Status, a.SlotId)));
        Assert.Equal(0, messagesAfterPreview);
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Equal("/staff/sites/LEEDS1/sessions?week=2026-11-23&done=changed&moved=1&cancelled=1", changed.Headers.Location!.OriginalString);
        Assert.Equal([("booked", "09:00"), ("booked", "09:00"), ("booked", "09:00"), ("cancelled", "09:50")], statuses.Select(a => (a.Status, a.StartTime)));
        Assert.Contains("3 appointments will be cancelled", cancelPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, cancelled.StatusCode);
        Assert.Contains("Session cancelled. 3 appointments cancelled.", sessionsPage, StringComparison.Ordinal);
        Assert.All(await StatusesAsync(world, first, second, mover), a => Assert.Equal("cancelled", a.Status));
        Assert.Equal("cancelled", (await world.Get<SiteSchedule>().SessionAsync("LEEDS1", session.Id))!.Session.Status);
        Assert.Equal((1, 4), (await MessagesAsync(world, "moved"), await MessagesAsync(world, "cancelled-by-site"))); // 1 moved; 1 by the change, 3 by the cancellation
        Assert.Single(await SiteManagementTests.AuditAsync(world, "session.created"));
        Assert.Equal((manager.Id, session.Id), Assert.Single(await SiteManagementTests.AuditAsync(world, "session.changed")) is var c ? (c.ActorId, c.ResourceId) : default);
        Assert.Single(await SiteManagementTests.AuditAsync(world, "session.cancelled"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TemplatePages_CreateAndApplyAgain_AddSessionsOnTheChosenDaysAndRefuseOverlaps(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var browser = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, "LEEDS1")));
        await world.SessionAsync(date: Monday.AddDays(14), from: "10:00", until: "11:00");

        var form = SessionForm("09:00", "12:00", "15", "3");
        form["days"] = "monday";
        AddDate(form, "fromDate", Monday);
        AddDate(form, "toDate", Monday.AddDays(6));
        var created = await browser.PostFormAsync("/staff/sites/LEEDS1/templates/new", form);
        var template = Assert.Single(await world.Get<SiteSchedule>().TemplatesAsync("LEEDS1"));
        var again = new Dictionary<string, string>();
        AddDate(again, "fromDate", Monday.AddDays(7));
        AddDate(again, "toDate", Monday.AddDays(13));
        var appliedAgain = await browser.PostFormAsync($"/staff/sites/LEEDS1/templates/{template.Id}/apply", again);
        var overlapping = new Dictionary<string, string>();
        AddDate(overlapping, "fromDate", Monday.AddDays(14));
        AddDate(overlapping, "toDate", Monday.AddDays(20));
        var refused = await browser.PostFormAsync($"/staff/sites/LEEDS1/templates/{template.Id}/apply", overlapping);
        var templatesPage = await (await browser.GetAsync("/staff/sites/LEEDS1/templates")).Content.ReadAsStringAsync();

        Assert.Equal("/staff/sites/LEEDS1/sessions?week=2026-11-23&done=applied&sessions=1", created.Headers.Location!.OriginalString);
        Assert.Equal(["monday"], template.Sessions[0].Days);
        Assert.Equal("/staff/sites/LEEDS1/sessions?week=2026-11-30&done=applied&sessions=1", appliedAgain.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(["#fromDate"], SummaryLinks(await refused.Content.ReadAsStringAsync()));
        Assert.Equal(2, (await world.Get<SiteSchedule>().TemplatesAsync("LEEDS1")).Count);
        Assert.Contains("Monday, 09:00 to 12:00, every 15 minutes, 3 at a time: COVID-19, 18 and over", templatesPage, StringComparison.Ordinal);
        var weeks = new[] { Monday, Monday.AddDays(7) };
        foreach (var monday in weeks)
        {
            var session = Assert.Single(Ok(await world.Get<SiteSchedule>().WeekAsync("LEEDS1", monday)).Sessions).Session;
            Assert.Equal((monday, "09:00", "12:00", 15, 3), (session.Date, session.From, session.Until, session.SlotMinutes, session.Capacity));
        }

        Assert.Equal(2, (await SiteManagementTests.AuditAsync(world, "template.applied")).Count);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task StatusAndWeekPages_TakeOfflineSayingHowManyBookingsStay_AndShowTheWeeksFigures(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var manager = await world.App.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, "LEEDS1"));
        var browser = await world.App.SignedInAsync(manager);
        var slots = await world.SlotIdsAsync((await world.SessionAsync(capacity: 2)).Id);
        await BookAsync(world, await world.PersonAsync(), slots[0], null);
        await BookAsync(world, await world.PersonAsync(), slots[1], null);

        var statusPage = await (await browser.GetAsync("/staff/sites/LEEDS1/status")).Content.ReadAsStringAsync();
        var offline = await browser.PostFormAsync("/staff/sites/LEEDS1/status", new() { ["status"] = "offline" });
        var home = await (await browser.GetAsync(offline.Headers.Location!.OriginalString)).Content.ReadAsStringAsync();
        var week = await (await browser.GetAsync("/staff/sites/LEEDS1/week?week=2026-11-25")).Content.ReadAsStringAsync();
        var nextWeek = await (await browser.GetAsync("/staff/sites/LEEDS1/week?week=2026-11-30")).Content.ReadAsStringAsync();

        Assert.Contains("2 confirmed appointments from today stay booked", statusPage, StringComparison.Ordinal);
        Assert.Equal("/staff/sites/LEEDS1?done=offline", offline.Headers.Location!.OriginalString);
        Assert.Contains("This site is offline", home, StringComparison.Ordinal);
        Assert.Equal("offline", (await world.Get<GetSites>().FindAsync("LEEDS1"))!.Status);
        Assert.Equal((manager.Id, "LEEDS1", "confirmed appointments from today: 2"), Assert.Single(await SiteManagementTests.AuditAsync(world, "site.taken-offline")));
        Assert.Contains("week of Monday 23 November 2026", week, StringComparison.Ordinal);
        // Monday: 1 session, 12 places, 2 booked, none held or cancelled, 10 free; the whole week the same.
        Assert.Equal(["1", "12", "2", "0", "0", "10"], RowCells(week, "Mon 23 Nov"));
        Assert.Equal(["1", "12", "2", "0", "0", "10"], RowCells(week, "Whole week"));
        Assert.Equal(["0", "0", "0", "0", "0", "0"], RowCells(nextWeek, "Whole week"));
    }

    private static Dictionary<string, string> Form(string name = "Site LEEDS1", string postcode = "LS1 4AP", string phone = "",
        IReadOnlyList<string>? services = null, IReadOnlyList<string>? accessibility = null)
    {
        var form = new Dictionary<string, string>
        {
            ["name"] = name, ["type"] = "vaccination-centre", ["address"] = "1 Test Street, Leeds", ["postcode"] = postcode, ["phone"] = phone, ["email"] = "",
            ["information"] = "Use the side entrance.",
        };
        AddList(form, "services", services ?? ["COVID:18+", "FLU:65+", "FLU:18-64"]);
        AddList(form, "accessibility", accessibility ?? ["step-free-access"]);
        return form;
    }

    private static Dictionary<string, string> SessionForm(string from, string until, string slotMinutes, string capacity, DateOnly? date = null)
    {
        var form = new Dictionary<string, string> { ["from"] = from, ["until"] = until, ["slotMinutes"] = slotMinutes, ["capacity"] = capacity, ["services"] = "COVID:18+" };
        if (date is { } day)
        {
            AddDate(form, "date", day);
        }

        return form;
    }

    private static void AddDate(Dictionary<string, string> form, string id, DateOnly date)
    {
        form[$"{id}-day"] = date.Day.ToString(System.Globalization.CultureInfo.InvariantCulture);
        form[$"{id}-month"] = date.Month.ToString(System.Globalization.CultureInfo.InvariantCulture);
        form[$"{id}-year"] = date.Year.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A field with several values (checkboxes), posted with indexes (<c>services[0]</c>, <c>services[1]</c>…): a dictionary holds one value per key.</summary>
    private static void AddList(Dictionary<string, string> form, string name, IReadOnlyList<string> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            form[$"{name}[{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}]"] = values[i];
        }
    }

    private static async Task<IReadOnlyList<Appointment>> StatusesAsync(BookingWorld world, params Appointment[] bookings)
    {
        var list = new List<Appointment>();
        foreach (var booking in bookings)
        {
            list.Add(Ok(await world.Get<GetBooking>().ByReferenceAsync(booking.Reference, BookingWorld.Born1940)));
        }

        return list;
    }

    private static async Task<int> MessagesAsync(BookingWorld world, string template)
    {
        await using var connection = await world.App.Database.Database.OpenAsync();
        return (int)await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notification_messages WHERE template = @template", new { template });
    }

    /// <summary>Where the error summary's links go, in order.</summary>
    private static List<string> SummaryLinks(string html)
    {
        var summary = html[html.IndexOf("nhsuk-error-summary__list", StringComparison.Ordinal)..];
        summary = summary[..summary.IndexOf("</ul>", StringComparison.Ordinal)];
        return SummaryLink().Matches(summary).Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>The numbers in the table row whose heading cell reads <paramref name="heading"/>.</summary>
    private static List<string> RowCells(string html, string heading)
    {
        var at = html.IndexOf("</span>" + heading + "</th>", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no row '{heading}'");
        var row = html[at..html.IndexOf("</tr>", at, StringComparison.Ordinal)];
        return Cell().Matches(row).Select(m => Tag().Replace(m.Groups[1].Value, "").Trim()).ToList();
    }

    [GeneratedRegex("<a href=\"(#[^\"]+)\"")]
    private static partial Regex SummaryLink();

    [GeneratedRegex("<td[^>]*>(?:<span[^>]*>[^<]*</span>)?(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex Cell();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();
}
