using Immunise.Audit;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Browser.Tests.Infrastructure;
using Immunise.Staff;
using Immunise.Storage;
using Microsoft.Playwright;

namespace Immunise.Browser.Tests;

/// <summary>
/// A site manager at work in Chromium against the real app on SQLite (15 October 2025, flu season): signs in, adds a session
/// at their site through the pages, and a citizen then books a time in it through the booking journey; a site manager of another
/// site is refused. Every page reached is checked with axe-core.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SiteManagerTests(BrowserFixture browser, SiteManagementApp app) : IClassFixture<SiteManagementApp>
{
    private const string Password = "correct-horse-battery-staple";
    private static readonly DateOnly Saturday = new(2025, 10, 18); // the seeded sessions are on weekdays

    [Fact]
    public async Task SiteManager_AddsASession_WhichACitizenThenBooks()
    {
        var manager = await Citizen.StartAsync(browser, app);
        await SignInAsync(manager, await StaffAsync(Grant.Organisation(StaffRole.SiteManager, "JRN001")));

        await manager.FollowAsync("Manage sites");
        Assert.Equal("Sites you manage", await manager.HeadingAsync());
        await manager.FollowAsync("Leeds Town Hall Vaccination Centre");
        Assert.Equal("Leeds Town Hall Vaccination Centre", await manager.HeadingAsync());
        await manager.FollowAsync("Sessions");
        await manager.FollowAsync("Add a session");
        Assert.Equal("Add a session", await manager.HeadingAsync());
        await manager.FillDateAsync("Date", Saturday);
        await manager.FillAsync("Starts at", "13:00");
        await manager.FillAsync("Ends at", "14:00");
        await manager.FillAsync("Minutes per appointment", "15");
        await manager.FillAsync("People per appointment time", "2");
        await manager.ChooseAsync("Flu, 65 and over");
        await manager.ClickAsync("Add session");

        Assert.Equal("Sessions: week of Monday 13 October 2025", await manager.HeadingAsync());
        var sessions = await manager.TextAsync();
        Assert.Contains("Session added. Its times can be booked now.", sessions, StringComparison.Ordinal);
        Assert.Contains("Sat 18 Oct", sessions, StringComparison.Ordinal);
        Assert.Contains("13:00 to 14:00", sessions, StringComparison.Ordinal);

        // The same times again: refused with the error summary, nothing added.
        await manager.FollowAsync("Add a session");
        await manager.FillDateAsync("Date", Saturday);
        await manager.FillAsync("Starts at", "13:30");
        await manager.FillAsync("Ends at", "15:00");
        await manager.ChooseAsync("Flu, 65 and over");
        await manager.ClickAsync("Add session");
        await manager.AssertErrorAsync("Sessions at a site cannot overlap");

        foreach (var page in new[] { "Bookings against capacity", "Details and accessibility", "Weekly templates", "Take offline" })
        {
            await manager.FollowAsync(page);
        }

        var week = Ok(await app.Get<SiteSchedule>().WeekAsync("JRN001", Saturday));
        var added = Assert.Single(week.Sessions, s => s.Session.Date == Saturday).Session;
        Assert.Equal(("13:00", "14:00", 15, 2), (added.From, added.Until, added.SlotMinutes, added.Capacity));

        var person = await app.PersonAsync(new DateOnly(1950, 5, 2), given: "Irene", family: "Walsh");
        var citizen = await Citizen.StartAsync(browser, app);
        await citizen.GoToAsync("/book/flu");
        await citizen.ClickAsync("Start now");
        await citizen.FillAsync("NHS number", person.NhsNumber.Value);
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.ClickAsync("Continue");
        Assert.Equal("You can book a flu vaccination", await citizen.HeadingAsync());
        await citizen.ClickAsync("Continue");
        await citizen.FillAsync("What postcode do you want to search from?", "LS1 4AP");
        await citizen.ClickAsync("Continue");
        await citizen.ChooseAsync("Leeds Town Hall Vaccination Centre");
        await citizen.ClickAsync("Continue");
        Assert.Equal("Choose a day", await citizen.HeadingAsync());
        Assert.Contains("Saturday 18 October 2025", await citizen.RadioLabelsAsync());
        await citizen.ChooseAsync("Saturday 18 October 2025");
        await citizen.ClickAsync("Continue");
        Assert.Equal("Choose a time", await citizen.HeadingAsync());
        Assert.Equal(["1pm to 1:15pm", "1:15pm to 1:30pm", "1:30pm to 1:45pm", "1:45pm to 2pm"], await citizen.RadioLabelsAsync());
        await citizen.ChooseAsync("1:15pm to 1:30pm");
        await citizen.ClickAsync("Continue");
        Assert.Equal("How should we contact you?", await citizen.HeadingAsync());
        await citizen.FillAsync("UK mobile phone number (optional)", "07700 900456");
        await citizen.ClickAsync("Continue");
        await citizen.ClickAsync("Confirm appointment");
        Assert.Equal("Booking complete", await citizen.HeadingAsync());

        var reference = Assert.Single(await citizen.ReferencesAsync());
        var booked = Ok(await app.Get<GetBooking>().ByReferenceAsync(reference, person.DateOfBirth));
        Assert.Equal(("booked", "JRN001", Saturday, "13:15"), (booked.Status, booked.SiteOdsCode, booked.Date, booked.StartTime));
        await citizen.CloseAsync();
        await manager.CloseAsync();
    }

    [Fact]
    public async Task SiteManagerOfAnotherSite_IsRefusedThisSitesPages()
    {
        var manager = await Citizen.StartAsync(browser, app);
        await SignInAsync(manager, await StaffAsync(Grant.Organisation(StaffRole.SiteManager, "JRN002")));

        await manager.FollowAsync("Manage sites");
        Assert.Equal(["Hyde Park Pharmacy"], (await manager.Page.Locator("main table a").AllInnerTextsAsync()).Select(t => t.Trim()));

        foreach (var path in new[] { "/staff/sites/JRN001", "/staff/sites/JRN001/sessions/new", "/staff/sites/JRN001/status" })
        {
            var response = await manager.Page.GotoAsync(path);
            Assert.Equal(403, response!.Status);
            await manager.CheckPageAsync();
            Assert.DoesNotContain("Leeds Town Hall", await manager.TextAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("online", (await app.Get<Sites.GetSites>().FindAsync("JRN001"))!.Status);
        await manager.CloseAsync();
    }

    [Fact]
    public async Task SitePages_At320PixelsWideWithoutJavaScript_FitAndWork()
    {
        var manager = await Citizen.StartAsync(browser, app, width: 320, javaScript: false);
        await SignInAsync(manager, await StaffAsync(Grant.Organisation(StaffRole.SiteManager, "JRN003")));

        foreach (var path in new[] { "/staff/sites", "/staff/sites/JRN003", "/staff/sites/JRN003/edit", "/staff/sites/JRN003/sessions", "/staff/sites/JRN003/sessions/new",
            "/staff/sites/JRN003/templates", "/staff/sites/JRN003/templates/new", "/staff/sites/JRN003/week", "/staff/sites/JRN003/status" })
        {
            await manager.GoToAsync(path);
        }

        await manager.GoToAsync("/staff/sites/JRN003/edit");
        await manager.FillAsync("Telephone (optional)", "not a number");
        await manager.ClickAsync("Save details");
        await manager.AssertErrorAsync("Enter a UK telephone number");
        await manager.FillAsync("Telephone (optional)", "01274 000 000");
        await manager.ClickAsync("Save details");

        Assert.Contains("The site's details are saved.", await manager.TextAsync(), StringComparison.Ordinal);
        Assert.Equal("01274 000 000", (await app.Get<Sites.GetSites>().FindAsync("JRN003"))!.Phone);
        Assert.True(manager.Checked.Count >= 12, $"only {manager.Checked.Count} pages were checked");
        await manager.CloseAsync();
    }

    private async Task<StaffUser> StaffAsync(Grant grant)
    {
        var email = $"{StaffRoles.Code(grant.Role)}-{Guid.NewGuid():N}"[..30] + "@test.nhs.uk";
        var created = await app.Get<ManageStaff>().CreateAsync(null, Actor.System("test"), email, "Sam Manager", grant, Password);
        Assert.True(created.Succeeded, created.Failure?.Code);
        return created.Value!.User;
    }

    private static async Task SignInAsync(Citizen staff, StaffUser user)
    {
        await staff.GoToAsync("/staff/sign-in");
        await staff.FillAsync("Email address", user.Email);
        await staff.FillAsync("Password", Password);
        await staff.ClickAsync("Sign in");
        Assert.StartsWith("Hello", await staff.HeadingAsync(), StringComparison.Ordinal);
    }

    private static T Ok<T>(Common.Result<T> result)
    {
        Assert.True(result.Succeeded, result.Failure?.Code);
        return result.Value!;
    }
}

/// <summary>The journey app in flu season (Wednesday 15 October 2025, SQLite), for the site manager's tests.</summary>
public sealed class SiteManagementApp() : JourneyApp(DatabaseProvider.Sqlite, new DateTimeOffset(2025, 10, 15, 8, 0, 0, TimeSpan.Zero));
