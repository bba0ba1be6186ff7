using Dapper;
using Immunise.Booking;
using Immunise.Browser.Tests.Infrastructure;

namespace Immunise.Browser.Tests;

/// <summary>The two main journeys, shared by the SQLite and PostgreSQL runs.</summary>
public static class Journeys
{
    /// <summary>
    /// Books a flu vaccination (one dose) for a 70-year-old from the start page to the confirmation page, meeting the
    /// validation errors a citizen is likely to meet on the way; answers the reference.
    /// </summary>
    public static async Task<string> BookFluAsync(Citizen citizen, JourneyApp app, TestPerson person, bool withErrors = true)
    {
        await citizen.GoToAsync("/book");
        await citizen.FollowAsync("Book a flu vaccination");
        Assert.Equal("Book a flu vaccination", await citizen.HeadingAsync());
        await citizen.ClickAsync("Start now");

        Assert.Equal("Your NHS number and date of birth", await citizen.HeadingAsync());
        if (withErrors)
        {
            await citizen.ClickAsync("Continue");
            await citizen.AssertErrorAsync("Enter your NHS number");
            await citizen.FillAsync("NHS number", "999 999 9990");
            await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
            await citizen.ClickAsync("Continue");
            await citizen.AssertErrorAsync("Enter a valid NHS number");
        }

        await citizen.FillAsync("NHS number", person.NhsNumber.Display);
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.ClickAsync("Continue");

        Assert.Equal("You can book a flu vaccination", await citizen.HeadingAsync());
        Assert.Contains("are aged 65 or over", await citizen.TextAsync(), StringComparison.Ordinal);
        await citizen.ClickAsync("Continue");

        Assert.Equal("What postcode do you want to search from?", await citizen.HeadingAsync());
        if (withErrors)
        {
            await citizen.FillAsync("What postcode do you want to search from?", "not a postcode");
            await citizen.ClickAsync("Continue");
            await citizen.AssertErrorAsync("Enter a real postcode");
        }

        await citizen.FillAsync("What postcode do you want to search from?", "LS1 4AP");
        await citizen.ClickAsync("Continue");

        Assert.Equal("Choose a vaccination site", await citizen.HeadingAsync());
        var sites = await citizen.RadioLabelsAsync();
        Assert.Equal(["Leeds Town Hall Vaccination Centre", "Hyde Park Pharmacy", "Bradford City Vaccination Centre"], sites);
        var text = await citizen.TextAsync();
        Assert.Contains("miles away", text, StringComparison.Ordinal);
        Assert.Contains("Next available: Wednesday 15 October 2025", text, StringComparison.Ordinal);
        if (withErrors)
        {
            await citizen.ClickAsync("Continue");
            await citizen.AssertErrorAsync("Select a vaccination site");
        }

        await citizen.ChooseAsync("Leeds Town Hall Vaccination Centre");
        await citizen.ClickAsync("Continue");

        Assert.Equal("Choose a day", await citizen.HeadingAsync());
        await citizen.ChooseAtAsync(1);
        await citizen.ClickAsync("Continue");

        Assert.Equal("Choose a time", await citizen.HeadingAsync());
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Continue");

        Assert.Equal("How should we contact you?", await citizen.HeadingAsync());
        if (withErrors)
        {
            await citizen.FillAsync("Email address (optional)", "not-an-email");
            await citizen.ClickAsync("Continue");
            await citizen.AssertErrorAsync("Enter an email address in the correct format");
            await citizen.FillAsync("Email address (optional)", "");
        }

        await citizen.FillAsync("UK mobile phone number (optional)", "07700 900123");
        await citizen.ClickAsync("Continue");

        Assert.Equal("Check your appointment", await citizen.HeadingAsync());
        var check = await citizen.TextAsync();
        Assert.Contains("Leeds Town Hall Vaccination Centre", check, StringComparison.Ordinal);
        Assert.Contains(person.NhsNumber.Display, check, StringComparison.Ordinal);
        Assert.Contains("07700900123", check, StringComparison.Ordinal);
        await citizen.ClickAsync("Confirm appointment");

        Assert.Equal("Booking complete", await citizen.HeadingAsync());
        var references = await citizen.ReferencesAsync();
        var reference = Assert.Single(references);
        Assert.Matches(Citizen.Reference(), reference);

        var booked = await app.Get<GetBooking>().ByReferenceAsync(reference, person.DateOfBirth);
        Assert.True(booked.Succeeded);
        Assert.Equal("booked", booked.Value!.Status);
        Assert.Equal("FLU", booked.Value.Programme);
        Assert.Equal("JRN001", booked.Value.SiteOdsCode);
        Assert.Equal("07700900123", booked.Value.Mobile);
        Assert.Contains(booked.Value.SiteName, await citizen.TextAsync(), StringComparison.Ordinal);
        citizen.AssertNoPersonalDataInUrls(person, "07700");
        return reference;
    }

    /// <summary>
    /// Books a COVID-19 primary course (dose 1 and dose 2) for an 81-year-old never vaccinated: dose 2 at a site stocking the
    /// same vaccine, inside its window after dose 1. Answers both references.
    /// </summary>
    public static async Task<IReadOnlyList<string>> BookCovidCourseAsync(Citizen citizen, JourneyApp app, TestPerson person)
    {
        await citizen.GoToAsync("/book/covid-19");
        await citizen.ClickAsync("Start now");
        await citizen.FillAsync("NHS number", person.NhsNumber.Value);
        await citizen.FillDateAsync("Date of birth", person.DateOfBirth);
        await citizen.ClickAsync("Continue");

        Assert.Equal("You can book a COVID-19 vaccination", await citizen.HeadingAsync());
        Assert.Contains("are aged 75 or over", await citizen.TextAsync(), StringComparison.Ordinal);
        await citizen.ClickAsync("Continue");
        await citizen.FillAsync("What postcode do you want to search from?", "ls1 4ap");
        await citizen.ClickAsync("Continue");

        Assert.Equal("Choose a vaccination site", await citizen.HeadingAsync());
        await citizen.ChooseAsync("Hyde Park Pharmacy");
        await citizen.ClickAsync("Continue");
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Continue");
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Continue");

        Assert.Equal("Choose a vaccination site for your second appointment", await citizen.HeadingAsync());
        Assert.Contains("same vaccine as your first (Comirnaty (Pfizer/BioNTech))", await citizen.TextAsync(), StringComparison.Ordinal);
        await citizen.ChooseAsync("Hyde Park Pharmacy");
        await citizen.ClickAsync("Continue");

        Assert.Equal("Choose a day for your second appointment", await citizen.HeadingAsync());
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Continue");
        Assert.Equal("Choose a time for your second appointment", await citizen.HeadingAsync());
        await citizen.ChooseAtAsync(0);
        await citizen.ClickAsync("Continue");

        await citizen.FillAsync("Email address (optional)", "margaret@example.com");
        await citizen.ClickAsync("Continue");
        Assert.Equal("Check your appointments", await citizen.HeadingAsync());
        var check = await citizen.TextAsync();
        Assert.Contains("First appointment", check, StringComparison.Ordinal);
        Assert.Contains("Second appointment", check, StringComparison.Ordinal);
        Assert.Contains("Vaccine: Comirnaty (Pfizer/BioNTech)", check, StringComparison.Ordinal);
        await citizen.ClickAsync("Confirm appointments");

        Assert.Equal("Booking complete", await citizen.HeadingAsync());
        var references = await citizen.ReferencesAsync();
        Assert.Equal(2, references.Count);
        var first = (await app.Get<GetBooking>().ByReferenceAsync(references[0], person.DateOfBirth)).Value!;
        var second = (await app.Get<GetBooking>().ByReferenceAsync(references[1], person.DateOfBirth)).Value!;
        Assert.Equal(("booked", "booked"), (first.Status, second.Status));
        Assert.Equal((1, 2), (first.DoseNumber, second.DoseNumber));
        Assert.Equal(JourneyApp.Comirnaty, first.ProductCode);
        Assert.Equal(first.ProductCode, second.ProductCode);
        Assert.Equal(first.Reference, second.FirstDoseReference);
        Assert.True(second.Date.DayNumber - first.Date.DayNumber >= 21, $"dose 2 on {second.Date} is less than 21 days after dose 1 on {first.Date}");
        Assert.Equal("margaret@example.com", second.Email);
        citizen.AssertNoPersonalDataInUrls(person, "margaret");
        return references;
    }

    /// <summary>No log line carries the person's NHS number or contact details.</summary>
    public static void AssertNoPersonalDataInLogs(JourneyApp app, TestPerson person, params string[] more)
    {
        foreach (var line in app.Logs)
        {
            Assert.DoesNotContain(person.NhsNumber.Value, line, StringComparison.Ordinal);
            foreach (var secret in more)
            {
                Assert.DoesNotContain(secret, line, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    public static async Task<(string Status, long SlotId)> StoredAsync(JourneyApp app, string reference)
    {
        await using var connection = await app.Database.Database.OpenAsync();
        return await connection.QuerySingleAsync<(string, long)>("SELECT status, slot_id FROM bookings WHERE reference = @reference", new { reference });
    }
}
