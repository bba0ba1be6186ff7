using Dapper;
using Immunise.Audit;
using Immunise.Browser.Tests.Infrastructure;
using Immunise.Storage;
using Immunise.WaitingRoom;
using Microsoft.Playwright;

namespace Immunise.Browser.Tests;

/// <summary>Flu season (15 October 2025) with the waiting room on, on SQLite.</summary>
public sealed class QueueFluApp() : JourneyApp(DatabaseProvider.Sqlite, new DateTimeOffset(2025, 10, 15, 8, 0, 0, TimeSpan.Zero));

/// <summary>The same on PostgreSQL.</summary>
public sealed class PostgresQueueFluApp() : JourneyApp(DatabaseProvider.Postgres, new DateTimeOffset(2025, 10, 15, 8, 0, 0, TimeSpan.Zero));

/// <summary>Helpers for a waiting room the test drives: it moves the clock and runs the admission ticks itself.</summary>
public static class WaitingRoomJourney
{
    public static async Task SwitchOnAsync(JourneyApp app, int ratePerMinute)
    {
        var changed = await app.Get<ChangeWaitingRoom>().HandleAsync(new WaitingRoomChange(WaitingRoomModes.On, RatePerMinute: ratePerMinute), Actor.System("test"));
        Assert.True(changed.Succeeded, changed.Failure?.ToString());
    }

    /// <summary>Moves the clock on and ticks (the app's own ticker may take the tick first: either way the queue moves).</summary>
    public static async Task<TickResult> AdmitAsync(JourneyApp app, TimeSpan after)
    {
        app.Clock.Advance(after);
        return await app.Get<AdmitVisitors>().TickAsync();
    }

    public static async Task<long> FinishedAsync(JourneyApp app)
    {
        await using var connection = await app.Database.Database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM waiting_room_tickets WHERE finished_at IS NOT NULL");
    }
}

/// <summary>
/// A citizen meets the queue in Chromium: the waiting page (checked with axe-core) says where they are; with JavaScript it
/// updates in place — in a polite live region, focus left where it was — and takes them on to booking when their turn comes;
/// they then book as usual.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WaitingRoomJourneyTests(BrowserFixture browser, QueueFluApp app) : IClassFixture<QueueFluApp>
{
    [Fact]
    public async Task Queue_WaitsIsToldItsPlaceIsAdmittedAndBooks()
    {
        var person = await app.PersonAsync(new DateOnly(1955, 3, 14), given: "Queenie", family: "Waters");
        await WaitingRoomJourney.SwitchOnAsync(app, ratePerMinute: 60);
        for (var i = 0; i < 2; i++)
        {
            await app.Get<IssueTickets>().IssueAsync(); // two people already waiting
        }

        var citizen = await Citizen.StartAsync(browser, app);

        await citizen.GoToAsync("/book/flu");
        Assert.Equal("You are in a queue to book a vaccination", await citizen.HeadingAsync());
        var waiting = await citizen.TextAsync();
        Assert.Contains("You are number 3 in the queue.", waiting, StringComparison.Ordinal);
        Assert.Contains("Estimated wait: less than a minute.", waiting, StringComparison.Ordinal);
        Assert.Contains("Do not open the booking service in more than one tab", waiting, StringComparison.Ordinal);
        Assert.Equal("polite", await citizen.Page.Locator("#queue-status").GetAttributeAsync("aria-live"));

        await WaitingRoomJourney.AdmitAsync(app, TimeSpan.FromSeconds(2)); // the two ahead are admitted
        await citizen.Page.WaitForFunctionAsync("() => document.getElementById('queue-position').textContent.includes('number 1 ')",
            null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.Equal("You are number 1 in the queue.", (await citizen.Page.Locator("#queue-position").InnerTextAsync()).Trim());
        Assert.Equal("BODY", await citizen.Page.EvaluateAsync<string>("() => document.activeElement.tagName")); // focus not moved
        Assert.Equal("/queue", new Uri(citizen.Page.Url).AbsolutePath); // updated in place, not reloaded

        await WaitingRoomJourney.AdmitAsync(app, TimeSpan.FromSeconds(1));
        await citizen.Page.WaitForURLAsync("**/book/flu", new PageWaitForURLOptions { Timeout = 30_000 });
        await citizen.CheckPageAsync();
        Assert.Equal("Book a flu vaccination", await citizen.HeadingAsync());

        var reference = await Journeys.BookFluAsync(citizen, app, person, withErrors: false);

        Assert.Equal("booked", (await Journeys.StoredAsync(app, reference)).Status);
        Assert.Equal(1, await WaitingRoomJourney.FinishedAsync(app)); // the place in the queue was one turn
        Assert.Contains("You are in a queue to book a vaccination – Immunise", citizen.Checked);
        await citizen.CloseAsync();
    }
}

/// <summary>Without JavaScript (on PostgreSQL): the waiting page reloads itself, and the reload that comes after the turn books.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WaitingRoomNoScriptTests(BrowserFixture browser, PostgresQueueFluApp app) : IClassFixture<PostgresQueueFluApp>
{
    [Fact]
    public async Task Queue_WithoutJavaScript_ThePageRefreshesAndTheTurnLeadsToBooking()
    {
        var person = await app.PersonAsync(new DateOnly(1950, 5, 2), given: "Nell", family: "Brook");
        await WaitingRoomJourney.SwitchOnAsync(app, ratePerMinute: 60);
        await app.Get<IssueTickets>().IssueAsync(); // someone already waiting
        var citizen = await Citizen.StartAsync(browser, app, javaScript: false);

        await citizen.GoToAsync("/book/flu");
        Assert.Contains("You are number 2 in the queue.", await citizen.TextAsync(), StringComparison.Ordinal);
        Assert.Equal("30", await citizen.Page.Locator("meta[http-equiv='refresh']").GetAttributeAsync("content"));
        Assert.Equal(1, await citizen.Page.GetByRole(AriaRole.Link, new() { Name = "Stop it refreshing" }).CountAsync());

        await WaitingRoomJourney.AdmitAsync(app, TimeSpan.FromSeconds(2));
        await citizen.Page.ReloadAsync(); // what the refresh does

        Assert.Equal("Book a flu vaccination", await citizen.HeadingAsync());
        var reference = await Journeys.BookFluAsync(citizen, app, person, withErrors: false);
        Assert.Equal("booked", (await Journeys.StoredAsync(app, reference)).Status);
        await citizen.CloseAsync();
    }
}
