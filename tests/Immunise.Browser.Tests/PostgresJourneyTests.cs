using Immunise.Browser.Tests.Infrastructure;

namespace Immunise.Browser.Tests;

/// <summary>The two main journeys again, on PostgreSQL (a throwaway cluster the suite starts), without the accessibility scans.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PostgresJourneyTests(BrowserFixture browser, PostgresFluSeasonApp flu, PostgresCovidSpringApp covid)
    : IClassFixture<PostgresFluSeasonApp>, IClassFixture<PostgresCovidSpringApp>
{
    [Fact]
    public async Task BookFlu_OneDoseCourse_OnPostgres()
    {
        var person = await flu.PersonAsync(new DateOnly(1952, 8, 9));
        var citizen = await Citizen.StartAsync(browser, flu, scan: false);

        var reference = await Journeys.BookFluAsync(citizen, flu, person, withErrors: false);

        Assert.Equal("booked", (await Journeys.StoredAsync(flu, reference)).Status);
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task BookCovid_TwoDoseCourse_OnPostgres()
    {
        var person = await covid.PersonAsync(new DateOnly(1940, 12, 1), given: "Bill", family: "Stone");
        var citizen = await Citizen.StartAsync(browser, covid, scan: false);

        var references = await Journeys.BookCovidCourseAsync(citizen, covid, person);

        Assert.Equal(2, references.Count);
        await citizen.CloseAsync();
    }
}
