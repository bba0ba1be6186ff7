using Immunise.Browser.Tests.Infrastructure;

namespace Immunise.Browser.Tests;

/// <summary>The citizen journey for a two-dose course (COVID-19 primary course, 15 April 2026) on SQLite, axe-core on every page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CovidJourneyTests(BrowserFixture browser, CovidSpringApp app) : IClassFixture<CovidSpringApp>
{
    [Fact]
    public async Task BookCovid_TwoDoseCourse_BothDosesSameVaccineSecondInsideItsWindow()
    {
        var person = await app.PersonAsync(new DateOnly(1945, 1, 20), given: "Arthur", family: "Price");
        var citizen = await Citizen.StartAsync(browser, app);

        var references = await Journeys.BookCovidCourseAsync(citizen, app, person);

        Assert.NotEqual(references[0], references[1]);
        Journeys.AssertNoPersonalDataInLogs(app, person, "margaret@example.com");
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task Manage_MoveFirstDoseSoSecondWouldFallOutsideItsWindow_IsRefusedAndExplained()
    {
        var person = await app.PersonAsync(new DateOnly(1944, 5, 2), given: "Joan", family: "Hill");
        var citizen = await Citizen.StartAsync(browser, app);
        var references = await Journeys.BookCovidCourseAsync(citizen, app, person);

        await citizen.GoToAsync("/manage");
        await citizen.FillAsync("Booking reference", references[0]);
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.ClickAsync("Continue");
        await citizen.FollowAsync("Change the day or time of this appointment");
        var days = await citizen.RadioLabelsAsync();
        await citizen.ChooseAtAsync(days.Count - 1);
        await citizen.ClickAsync("Continue");
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Change appointment");

        await citizen.AssertErrorAsync("Your second dose would then be too soon or too late after this one");
        Assert.Equal("booked", (await Journeys.StoredAsync(app, references[0])).Status);
        await citizen.CloseAsync();
    }
}
