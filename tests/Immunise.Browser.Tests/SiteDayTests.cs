using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Browser.Tests.Infrastructure;
using Immunise.Staff;
using Immunise.Stock;
using Microsoft.Playwright;

namespace Immunise.Browser.Tests;

/// <summary>
/// The site's day in Chromium against the real app on SQLite (flu season, Wednesday 15 October 2025, 09:00 in London): a
/// receptionist signs in, finds a person on the appointment list and checks them in; a clinician records the vaccination
/// (meeting the form's errors first) and a walk-in; the record is read back from <c>/fhir/Immunization</c> with an API key;
/// a clinician of another site is refused the page. Every page visited is checked with axe-core.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SiteDayTests(BrowserFixture browser, FluSeasonApp app) : IClassFixture<FluSeasonApp>
{
    private const string Site = "JRN001";
    private const string Password = "site-day-browser-password";
    private const string Batch = "BRW001";

    [Fact]
    public async Task SiteDay_ReceptionistChecksInClinicianRecords_TheRecordIsInFhirAndAnotherSitesClinicianIsRefused()
    {
        var margaret = await app.PersonAsync(new DateOnly(1950, 4, 2), "Margaret", "Hughes");
        var other = await app.PersonAsync(new DateOnly(1948, 9, 9), "Frank", "Oyelaran");
        var walkIn = await app.PersonAsync(new DateOnly(1944, 1, 20), "Winifred", "Walker");
        var reference = await BookAsync(margaret, "09:30");
        await BookAsync(other, "09:40");
        var received = await app.Get<SiteStock>().ReceiveAsync(Site, new ReceiveBatchRequest(JourneyApp.FluCellBased, Batch, new DateOnly(2026, 3, 31), 100), Actor.System("test"));
        Assert.True(received.Succeeded, received.Failure?.Code);
        var receptionistEmail = await StaffAsync(Grant.Organisation(StaffRole.Receptionist, Site), "Robin Receptionist");
        var clinicianEmail = await StaffAsync(Grant.Organisation(StaffRole.Clinician, Site), "Chris Clinician");
        var elsewhereEmail = await StaffAsync(Grant.Organisation(StaffRole.Clinician, "JRN002"), "Elsie Elsewhere");

        // The receptionist finds Margaret and checks her in.
        var receptionist = await Citizen.StartAsync(browser, app);
        await SignInAsync(receptionist, receptionistEmail);
        await receptionist.FollowAsync($"Appointments at {Site}");
        Assert.Equal("Appointments on Wednesday 15 October 2025", await receptionist.HeadingAsync());
        Assert.Contains("Frank Oyelaran", await receptionist.TextAsync(), StringComparison.Ordinal);
        await receptionist.FillAsync("Search by name, NHS number or booking reference", "hughes");
        await receptionist.ClickAsync("Search");
        var found = await receptionist.TextAsync();
        Assert.Contains("Margaret Hughes", found, StringComparison.Ordinal);
        Assert.DoesNotContain("Frank Oyelaran", found, StringComparison.Ordinal);
        Assert.Contains(margaret.NhsNumber.Display, found, StringComparison.Ordinal);
        await receptionist.ClickAsync("Check in Margaret Hughes");
        Assert.Contains($"Margaret Hughes is checked in for their 09:30 appointment (booking {reference})", await receptionist.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await receptionist.Page.GetByRole(AriaRole.Button, new() { Name = "Vaccinate Margaret Hughes" }).CountAsync());
        receptionist.AssertNoPersonalDataInUrls(margaret, "hughes");
        await receptionist.CloseAsync();

        // The clinician records the vaccination, meeting the form's errors first.
        var clinician = await Citizen.StartAsync(browser, app);
        await SignInAsync(clinician, clinicianEmail);
        await clinician.FollowAsync($"Appointments at {Site}");
        Assert.Contains("Checked in", await clinician.TextAsync(), StringComparison.Ordinal);
        await clinician.ClickAsync("Vaccinate Margaret Hughes");
        Assert.Equal("Record a vaccination", await clinician.HeadingAsync());
        Assert.Contains("FLU:65+, dose 1 (from the register's history)", await clinician.TextAsync(), StringComparison.Ordinal);
        await clinician.ClickAsync("Record vaccination");
        await clinician.AssertErrorAsync("Choose the vaccine and batch you used");
        await clinician.ChooseAsync($"Cell-based Trivalent (Seqirus), batch {Batch}");
        await clinician.ChooseAsync("Intramuscular");
        await clinician.ChooseAsync("Left upper arm");
        await clinician.ChooseAsync("The person themselves");
        await clinician.ClickAsync("Record vaccination");
        Assert.Contains($"Vaccination recorded for Margaret Hughes: Cell-based Trivalent (Seqirus), dose 1, batch {Batch}.", await clinician.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await clinician.Page.GetByRole(AriaRole.Button, new() { Name = "Vaccinate Margaret Hughes" }).CountAsync());

        // Frank was not vaccinated: he felt unwell.
        await clinician.ClickAsync("Not vaccinated Frank Oyelaran");
        await clinician.ChooseAsync("Unwell today");
        await clinician.ClickAsync("Record not vaccinated");
        Assert.Contains("Recorded that Frank Oyelaran was not vaccinated: unwell today.", await clinician.TextAsync(), StringComparison.Ordinal);

        // A walk-in, found by name and date of birth, eligible for flu (aged 65 or over).
        await clinician.FollowAsync("Record a walk-in");
        await clinician.ChooseAsync("Flu");
        await clinician.FillAsync("Family name", "walker");
        await clinician.FillDateAsync("Date of birth", walkIn.DateOfBirth);
        await clinician.ClickAsync("Find and check eligibility");
        Assert.Contains("Eligible today.", await clinician.TextAsync(), StringComparison.Ordinal);
        await clinician.ChooseAsync($"Cell-based Trivalent (Seqirus), batch {Batch}");
        await clinician.ChooseAsync("Intramuscular");
        await clinician.ChooseAsync("Right upper arm");
        await clinician.ChooseAsync("The person themselves");
        await clinician.ClickAsync("Record vaccination");
        Assert.Contains("Walk-in vaccination recorded for Winifred Walker", await clinician.TextAsync(), StringComparison.Ordinal);
        clinician.AssertNoPersonalDataInUrls(margaret);
        clinician.AssertNoPersonalDataInUrls(walkIn, "walker");
        await clinician.CloseAsync();

        // The record is in the register's FHIR API.
        var created = await app.Get<ApiKeys>().CreateAsync($"browser-{Guid.NewGuid():N}"[..20], [Scopes.RecordsRead]);
        using var fhir = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        fhir.DefaultRequestHeaders.Add("X-Api-Key", created.Value!.Key);
        var bundle = await fhir.GetFromJsonAsync<JsonElement>(
            $"/fhir/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{margaret.NhsNumber.Value}&-immunization.target=FLU");
        var immunization = bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource"))
            .Single(r => r.GetProperty("resourceType").GetString() == "Immunization");
        Assert.Equal(Batch, immunization.GetProperty("lotNumber").GetString());
        Assert.Equal(JourneyApp.FluCellBased, immunization.GetProperty("vaccineCode").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("Chris Clinician", immunization.GetProperty("performer")[0].GetProperty("actor").GetProperty("display").GetString());
        Assert.Equal(Site, immunization.GetProperty("location").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal(2, (await app.Get<SiteStock>().FindAsync(Site, received.Value!.Id))!.DosesUsed);

        // A clinician of another site is refused the page.
        var elsewhere = await Citizen.StartAsync(browser, app);
        await SignInAsync(elsewhere, elsewhereEmail);
        var refused = await elsewhere.Page.GotoAsync($"/staff/sites/{Site}/day");
        Assert.Equal((int)HttpStatusCode.Forbidden, refused!.Status);
        await elsewhere.CheckPageAsync();
        Assert.Contains("You do not have access", await elsewhere.TextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Margaret", await elsewhere.TextAsync(), StringComparison.Ordinal);
        await elsewhere.CloseAsync();
        Journeys.AssertNoPersonalDataInLogs(app, margaret, "Hughes");
    }

    private async Task SignInAsync(Citizen staff, string email)
    {
        await staff.GoToAsync("/staff/sign-in");
        await staff.FillAsync("Email address", email);
        await staff.FillAsync("Password", Password);
        await staff.ClickAsync("Sign in");
        Assert.StartsWith("Hello, ", await staff.HeadingAsync(), StringComparison.Ordinal);
    }

    private async Task<string> StaffAsync(Grant grant, string name)
    {
        var email = $"{StaffRoles.Code(grant.Role)}-{Guid.NewGuid():N}"[..30] + "@browser.nhs.uk";
        var created = await app.Get<ManageStaff>().CreateAsync(null, Actor.System("browser-tests"), email, name, grant, Password);
        Assert.True(created.Succeeded, created.Failure?.Code);
        return email;
    }

    /// <summary>Books a flu appointment today at the site's slot at <paramref name="time"/> (through the real hold and confirm).</summary>
    private async Task<string> BookAsync(TestPerson person, string time)
    {
        await using var connection = await app.Database.Database.OpenAsync();
        var slot = await connection.ExecuteScalarAsync<long>(
            "SELECT id FROM slots WHERE site_ods_code = @Site AND slot_date = @today AND start_time = @time", new { Site, today = app.Today, time });
        var held = await app.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(person.NhsNumber, person.DateOfBirth, slot, "FLU:65+"), "browser-tests");
        Assert.True(held.Succeeded, held.Failure?.Code);
        var booked = await app.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.Value!.HoldId));
        Assert.True(booked.Succeeded, booked.Failure?.Code);
        return booked.Value!.Reference;
    }
}
