using Immunise.Booking;
using Immunise.Browser.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Immunise.Browser.Tests;

/// <summary>
/// The citizen journey for a one-dose course (flu, 15 October 2025) in Chromium against the real app on SQLite; every page
/// reached is checked with axe-core.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class FluJourneyTests(BrowserFixture browser, FluSeasonApp app) : IClassFixture<FluSeasonApp>
{
    private static readonly DateOnly Born1955 = new(1955, 3, 14);

    [Fact]
    public async Task BookFlu_OneDoseCourse_ConfirmsWithAReference()
    {
        var person = await app.PersonAsync(Born1955);
        var citizen = await Citizen.StartAsync(browser, app);

        await Journeys.BookFluAsync(citizen, app, person);

        Assert.Contains("Error: Your NHS number and date of birth – Immunise", citizen.Checked);
        Journeys.AssertNoPersonalDataInLogs(app, person, "07700900123", "07700 900123");
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task BookFlu_WithoutJavaScript_EveryStepWorks()
    {
        var person = await app.PersonAsync(Born1955, given: "Nora", family: "Patel");
        var citizen = await Citizen.StartAsync(browser, app, javaScript: false);

        var reference = await Journeys.BookFluAsync(citizen, app, person, withErrors: true);

        Assert.Equal("booked", (await Journeys.StoredAsync(app, reference)).Status);
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task BookFlu_At320PixelsWide_EveryPageFitsWithoutScrollingSideways()
    {
        var person = await app.PersonAsync(Born1955, given: "Ruth", family: "Okafor");
        var citizen = await Citizen.StartAsync(browser, app, width: 320);

        await Journeys.BookFluAsync(citizen, app, person, withErrors: true);

        Assert.True(citizen.Checked.Count >= 15, $"only {citizen.Checked.Count} pages were checked at 320px");
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task Eligibility_PersonNotInAnOpenCohort_IsToldWhyInPlainEnglishAndCannotContinue()
    {
        var person = await app.PersonAsync(new DateOnly(1994, 6, 1), given: "Tom", family: "Young");
        var citizen = await Citizen.StartAsync(browser, app);

        await citizen.GoToAsync("/book/flu");
        await citizen.ClickAsync("Start now");
        await citizen.FillAsync("NHS number", person.NhsNumber.Value);
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.ClickAsync("Continue");

        Assert.Equal("You cannot book a flu vaccination", await citizen.HeadingAsync());
        var text = await citizen.TextAsync();
        Assert.Contains("are not aged 65 or over by 31 March 2026", text, StringComparison.Ordinal);
        Assert.Equal(0, await citizen.Page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).CountAsync());
        await citizen.GoToAsync("/book/postcode");
        Assert.Equal("You cannot book a flu vaccination", await citizen.HeadingAsync());
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task Journey_StepWithoutAStartedJourney_SendsTheCitizenToStartAgain()
    {
        var citizen = await Citizen.StartAsync(browser, app);

        await citizen.GoToAsync("/book/appointment-1/time");

        Assert.Equal("You need to start again", await citizen.HeadingAsync());
        Assert.EndsWith("/book/start-again", citizen.Page.Url, StringComparison.Ordinal);
        await citizen.GoToAsync("/manage/appointment");
        Assert.Equal("Manage your appointments", await citizen.HeadingAsync());
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task Identify_ByNameDateOfBirthAndPostcode_FindsTheRecord()
    {
        var person = await app.PersonAsync(Born1955, given: "Siobhán", family: "O'Neill-Smith");
        var citizen = await Citizen.StartAsync(browser, app);
        await citizen.GoToAsync("/book/flu");
        await citizen.ClickAsync("Start now");
        await citizen.FollowAsync("I do not know my NHS number");

        await citizen.FillAsync("First name", "Siobhan");
        await citizen.FillAsync("Last name", "oneill smith");
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.FillAsync("Postcode", "LS1 4AQ");
        await citizen.ClickAsync("Continue");
        await citizen.AssertErrorAsync("We could not find your record with these details");
        await citizen.FillAsync("Postcode", "ls14ap");
        await citizen.ClickAsync("Continue");

        Assert.Equal("You can book a flu vaccination", await citizen.HeadingAsync());
        citizen.AssertNoPersonalDataInUrls(person, "siobh");
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task ChooseTime_SlotTakenBySomeoneElseAfterItWasShown_SaysSoAndOffersOtherTimes()
    {
        var person = await app.PersonAsync(Born1955, given: "Anne", family: "Lewis");
        var citizen = await Citizen.StartAsync(browser, app);
        await citizen.GoToAsync("/book/flu");
        await citizen.ClickAsync("Start now");
        await citizen.FillAsync("NHS number", person.NhsNumber.Value);
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.ClickAsync("Continue");
        await citizen.ClickAsync("Continue");
        await citizen.FillAsync("What postcode do you want to search from?", "LS1 4AP");
        await citizen.ClickAsync("Continue");
        await citizen.ChooseAsync("Hyde Park Pharmacy");
        await citizen.ClickAsync("Continue");
        await citizen.ChooseAtAsync(2);
        await citizen.ClickAsync("Continue");
        var shown = await citizen.RadioLabelsAsync();
        var slotId = await citizen.ChooseAtAsync(0);

        await app.TakeSlotAsync(long.Parse(slotId, System.Globalization.CultureInfo.InvariantCulture), "FLU:65+");
        await citizen.ClickAsync("Continue");

        await citizen.AssertErrorAsync("the time you chose has just been booked by someone else. Choose another time");
        var offered = await citizen.RadioLabelsAsync();
        Assert.DoesNotContain(shown[0], offered);
        Assert.Equal(shown.Skip(1), offered);
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Continue");
        Assert.Equal("How should we contact you?", await citizen.HeadingAsync());
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task BookFlu_KeyboardOnly_TabEnterAndSpaceComplete()
    {
        var person = await app.PersonAsync(Born1955, given: "Keith", family: "Board");
        var citizen = await Citizen.StartAsync(browser, app);
        var keys = new Keyboard(citizen.Page);
        await citizen.GoToAsync("/book");

        await keys.ActivateLinkAsync("Book a flu vaccination");
        await keys.PressButtonAsync("Start now");
        await keys.TypeIntoAsync("#nhs-number", person.NhsNumber.Value);
        await keys.TypeIntoAsync("#date-of-birth-day", person.DateOfBirth.Day.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await keys.TypeIntoAsync("#date-of-birth-month", person.DateOfBirth.Month.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await keys.TypeIntoAsync("#date-of-birth-year", person.DateOfBirth.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await keys.PressButtonAsync("Continue");
        Assert.Equal("You can book a flu vaccination", await citizen.HeadingAsync());
        await keys.PressButtonAsync("Continue");
        await keys.TypeIntoAsync("#postcode", "LS1 4AP");
        await keys.PressButtonAsync("Continue");
        await keys.SelectFirstRadioAsync();
        await keys.PressButtonAsync("Continue");
        await keys.SelectFirstRadioAsync();
        await keys.PressButtonAsync("Continue");
        await keys.SelectFirstRadioAsync();
        await keys.PressButtonAsync("Continue");
        await keys.TypeIntoAsync("#email", "keith@example.com");
        await keys.PressButtonAsync("Continue");
        Assert.Equal("Check your appointment", await citizen.HeadingAsync());
        await keys.PressButtonAsync("Confirm appointment");

        Assert.Equal("Booking complete", await citizen.HeadingAsync());
        Assert.Matches(Citizen.Reference(), Assert.Single(await citizen.ReferencesAsync()));
        await citizen.CloseAsync();
    }

    [Fact]
    public async Task Manage_ViewMoveAndCancel_UnderTheSameRules()
    {
        var person = await app.PersonAsync(Born1955, given: "Mary", family: "Mayhew");
        var reference = await BookDirectlyAsync(person);
        var citizen = await Citizen.StartAsync(browser, app);

        await citizen.GoToAsync("/manage");
        await citizen.FillAsync("Booking reference", reference.ToLowerInvariant());
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth.AddDays(1));
        await citizen.ClickAsync("Continue");
        await citizen.AssertErrorAsync("We could not find an appointment with this booking reference and date of birth");
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.ClickAsync("Continue");

        Assert.Equal("Your appointment", await citizen.HeadingAsync());
        Assert.Contains(reference, await citizen.TextAsync(), StringComparison.Ordinal);
        var (_, slotBefore) = await Journeys.StoredAsync(app, reference);

        await citizen.FollowAsync("Change the day or time of this appointment");
        Assert.Equal("Choose a new day", await citizen.HeadingAsync());
        var newDay = await citizen.ChooseAtAsync(3);
        await citizen.ClickAsync("Continue");
        Assert.Equal("Choose a new time", await citizen.HeadingAsync());
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Change appointment");

        Assert.Contains("Your appointment has been changed to", await citizen.TextAsync(), StringComparison.Ordinal);
        var moved = (await app.Get<GetBooking>().ByReferenceAsync(reference, person.DateOfBirth)).Value!;
        Assert.Equal(newDay, moved.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEqual(slotBefore, moved.SlotId);
        Assert.Equal("booked", moved.Status);

        await citizen.FollowAsync("Cancel this appointment");
        Assert.Equal("Are you sure you want to cancel this appointment?", await citizen.HeadingAsync());
        await citizen.FollowAsync("No, keep this appointment");
        Assert.Equal("booked", (await Journeys.StoredAsync(app, reference)).Status);
        await citizen.FollowAsync("Cancel this appointment");
        await citizen.ClickAsync("Yes, cancel this appointment");

        Assert.Contains("Your appointment has been cancelled.", await citizen.TextAsync(), StringComparison.Ordinal);
        Assert.Contains("Cancelled", await citizen.TextAsync(), StringComparison.Ordinal);
        Assert.Equal("cancelled", (await Journeys.StoredAsync(app, reference)).Status);
        Assert.Equal(0, await citizen.Page.GetByRole(AriaRole.Link, new() { Name = "Cancel this appointment" }).CountAsync());
        citizen.AssertNoPersonalDataInUrls(person, reference);
        await citizen.CloseAsync();
    }

    /// <summary>A booking made through the use cases (as the API would), for the manage journey to find.</summary>
    private async Task<string> BookDirectlyAsync(TestPerson person)
    {
        var availability = await app.Get<Immunise.Availability.GetAvailability>().HandleAsync(
            new Immunise.Availability.AvailabilityQuery("JRN002", app.Today.AddDays(1), app.Today.AddDays(14), "FLU:65+"));
        var slot = availability.Value!.Days.SelectMany(d => d.Slots).First(s => s.Free > 0);
        var held = await app.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(person.NhsNumber, person.DateOfBirth, slot.SlotId, "FLU:65+"), "test");
        Assert.True(held.Succeeded, held.Failure?.Code);
        var confirmed = await app.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.Value!.HoldId, "07700900456"));
        Assert.True(confirmed.Succeeded, confirmed.Failure?.Code);
        return confirmed.Value!.Reference;
    }
}
