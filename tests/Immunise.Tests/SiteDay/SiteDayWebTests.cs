using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Immunise.Access;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Staff;
using Immunise.Tests.Web;

namespace Immunise.Tests.SiteDay;

/// <summary>
/// The site's day through the staff pages and API, on SQLite and PostgreSQL: a receptionist checks in, a clinician records,
/// the record is read back from the register's REST API and FHIR; who may do what; forged form posts; two clinicians racing
/// to record one appointment over real sockets.
/// </summary>
public sealed partial class SiteDayWebTests
{
    private const string Day = $"/staff/sites/{SiteDayWorld.Site}/day";

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Pages_ReceptionistFindsAndChecksInThenClinicianRecords_TheRecordIsInTheRegistersRestAndFhirApis(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        await world.RenameAsync(nhs, "Margaret", "Hughes");
        var booking = await world.BookAsync(nhs, time: "13:20");
        await world.BookAsync(await world.PersonAsync(), time: "13:00");
        var receptionist = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Receptionist, SiteDayWorld.Site)));
        var clinician = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.Site)));

        var list = await Text(await receptionist.GetAsync(Day));
        var search = await Text(await receptionist.PostFormAsync(Day, new() { ["query"] = "hughes" }));
        var checkIn = await receptionist.PostFormAsync($"{Day}/check-in", new() { ["reference"] = booking.Reference }, Day);
        var afterCheckIn = await Text(await receptionist.GetAsync(checkIn.Headers.Location!.OriginalString));
        var form = await clinician.PostFormAsync($"{Day}/vaccinate?handler=Open", new() { ["reference"] = booking.Reference }, Day);
        var formHtml = await form.Content.ReadAsStringAsync();
        var batchId = BatchRadio().Match(formHtml).Groups[1].Value;
        var recorded = await clinician.PostFormAsync($"{Day}/vaccinate?handler=Record", new()
        {
            ["reference"] = booking.Reference, ["batch"] = batchId, ["route"] = "intramuscular", ["bodySite"] = "left-upper-arm", ["consent"] = "self",
        }, Day);
        var afterRecord = await Text(await clinician.GetAsync(Day));
        var api = await world.App.ClientAsync(Scopes.RecordsRead);
        var rest = await api.GetFromJsonAsync<JsonElement>($"/api/v1/people/{nhs.Value}/vaccinations");
        var fhir = await api.GetFromJsonAsync<JsonElement>($"/fhir/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs.Value}&-immunization.target=FLU");

        Assert.Contains("Margaret Hughes", list, StringComparison.Ordinal);
        Assert.Contains("All (2)", list, StringComparison.Ordinal);
        Assert.Contains("Margaret Hughes", search, StringComparison.Ordinal);
        Assert.Contains("1 appointment matching the search", search, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, checkIn.StatusCode);
        Assert.Equal(Day, checkIn.Headers.Location!.OriginalString);
        Assert.Contains($"Margaret Hughes is checked in for their 13:20 appointment (booking {booking.Reference}), arrived 12:00.", afterCheckIn, StringComparison.Ordinal);
        Assert.Contains("Checked in (1)", afterCheckIn, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Contains("dose 1 (from the register's history)", formHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, recorded.StatusCode);
        Assert.Contains("Vaccination recorded for Margaret Hughes: Cell-based Trivalent (Seqirus), dose 1, batch FLU001.", afterRecord, StringComparison.Ordinal);
        Assert.Contains("Vaccinated (1)", afterRecord, StringComparison.Ordinal);
        var restEvent = Assert.Single(rest.GetProperty("vaccinations").EnumerateArray());
        Assert.Equal(("FLU001", SiteDayWorld.Site, 1), (restEvent.GetProperty("batchNumber").GetString(), restEvent.GetProperty("siteOdsCode").GetString(), restEvent.GetProperty("doseNumber").GetInt32()));
        var immunization = Assert.Single(fhir.GetProperty("entry").EnumerateArray(), e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "Immunization")
            .GetProperty("resource");
        Assert.Equal("FLU001", immunization.GetProperty("lotNumber").GetString());
        Assert.Equal("2027-03-31", immunization.GetProperty("expirationDate").GetString());
        Assert.Equal("Test Person", immunization.GetProperty("performer")[0].GetProperty("actor").GetProperty("display").GetString());
        Assert.Equal(SiteDayWorld.Site, immunization.GetProperty("location").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal(1, immunization.GetProperty("protocolApplied")[0].GetProperty("doseNumberPositiveInt").GetInt32());
        Assert.DoesNotContain(world.App.Logs.Lines, l => l.Contains(nhs.Value, StringComparison.Ordinal) || l.Contains("Hughes", StringComparison.Ordinal));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Access_ReceptionistsCannotRecord_OtherSitesStaffAreRefused_RegionalManagersMayLook(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var booking = await world.BookAsync(await world.PersonAsync());
        var yorkBooking = await world.BookAsync(await world.PersonAsync(), site: SiteDayWorld.OtherSite);
        var receptionist = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Receptionist, SiteDayWorld.Site)));
        var yorkClinician = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.OtherSite)));
        var gp = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.GpPracticeUser, SiteDayWorld.Site)));
        var regional = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Region(StaffRole.RegionalManager, "Y63")));
        var otherRegional = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Region(StaffRole.RegionalManager, "Y56")));
        var leedsClinician = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.Site)));
        var vaccination = new { reference = booking.Reference, productCode = Products.FluCellBased, batchNumber = "FLU001", bodySite = "left-upper-arm", route = "intramuscular", consent = "self" };
        var token = await TokenAsync(receptionist, Day);

        var receptionistPage = await receptionist.PostAsync($"{Day}/vaccinate?handler=Record", Form(token, ("reference", booking.Reference)));
        var receptionistApi = await receptionist.PostAsJsonAsync($"/api/v1/sites/{SiteDayWorld.Site}/day/vaccinations", vaccination);
        var receptionistList = await Text(await receptionist.GetAsync(Day));
        var yorkPage = await yorkClinician.GetAsync(Day);
        var yorkApiList = await yorkClinician.GetAsync($"/api/v1/sites/{SiteDayWorld.Site}/day");
        var yorkApiRecord = await yorkClinician.PostAsJsonAsync($"/api/v1/sites/{SiteDayWorld.Site}/day/vaccinations", vaccination);
        var yorkRecordsLeedsBookingAtYork = await yorkClinician.PostAsJsonAsync($"/api/v1/sites/{SiteDayWorld.OtherSite}/day/vaccinations", vaccination);
        var leedsChecksInYorkBooking = await leedsClinician.PostAsJsonAsync($"/api/v1/sites/{SiteDayWorld.Site}/day/check-in", new { reference = yorkBooking.Reference });
        var gpPage = await gp.GetAsync(Day);
        var regionalList = await regional.GetAsync($"/api/v1/sites/{SiteDayWorld.Site}/day");
        var regionalCheckIn = await regional.PostAsJsonAsync($"/api/v1/sites/{SiteDayWorld.Site}/day/check-in", new { reference = booking.Reference });
        var otherRegionalList = await otherRegional.GetAsync($"/api/v1/sites/{SiteDayWorld.Site}/day");
        var signedOut = await world.App.Browser().GetAsync($"/api/v1/sites/{SiteDayWorld.Site}/day");

        Assert.Equal(HttpStatusCode.Forbidden, receptionistPage.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, receptionistApi.StatusCode);
        Assert.DoesNotContain(">Vaccinate<", receptionistList, StringComparison.Ordinal);
        Assert.Contains("Check in", receptionistList, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, yorkPage.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, yorkApiList.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, yorkApiRecord.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, "booking-at-another-site"), (yorkRecordsLeedsBookingAtYork.StatusCode, await CodeAsync(yorkRecordsLeedsBookingAtYork)));
        Assert.Equal((HttpStatusCode.Conflict, "booking-at-another-site"), (leedsChecksInYorkBooking.StatusCode, await CodeAsync(leedsChecksInYorkBooking)));
        Assert.Equal(HttpStatusCode.Forbidden, gpPage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, regionalList.StatusCode);
        Assert.Equal(booking.Reference, (await regionalList.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("appointments")[0].GetProperty("reference").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, regionalCheckIn.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherRegionalList.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut.StatusCode);
        Assert.Equal(("booked", "booked"), (await world.StatusAsync(booking.Reference), await world.StatusAsync(yorkBooking.Reference)));
        Assert.Equal(0, await world.CountAsync("SELECT COUNT(*) FROM vaccination_events"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ForgedPosts_WithoutOrWithAWrongAntiforgeryTokenOrAsAFormToTheApi_AreRefusedAndRecordNothing(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var booking = await world.BookAsync(await world.PersonAsync());
        var clinician = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.Site)));
        var someoneElse = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.Site)));
        var batch = (await world.Get<Immunise.Stock.SiteStock>().ViewAsync(SiteDayWorld.Site)).Value!.Batches.First(b => b.Batch.BatchNumber == "FLU001").Batch.Id;
        (string, string)[] fields = [("reference", booking.Reference), ("batch", batch), ("route", "intramuscular"), ("bodySite", "left-upper-arm"), ("consent", "self")];
        var othersToken = await TokenAsync(someoneElse, Day);

        var noToken = await clinician.PostAsync($"{Day}/vaccinate?handler=Record", new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Item1, f.Item2))));
        var garbage = await clinician.PostAsync($"{Day}/vaccinate?handler=Record", Form("CfDJ8-not-a-token", fields));
        var stolen = await clinician.PostAsync($"{Day}/vaccinate?handler=Record", Form(othersToken, fields));
        var checkInNoToken = await clinician.PostAsync($"{Day}/check-in", new FormUrlEncodedContent([KeyValuePair.Create("reference", booking.Reference)]));
        var apiAsForm = await clinician.PostAsync($"/api/v1/sites/{SiteDayWorld.Site}/day/check-in", new FormUrlEncodedContent([KeyValuePair.Create("reference", booking.Reference)]));
        var apiAsText = await clinician.PostAsync($"/api/v1/sites/{SiteDayWorld.Site}/day/check-in",
            new StringContent($"{{\"reference\":\"{booking.Reference}\"}}", Encoding.UTF8, "text/plain"));

        Assert.Equal(
            [HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.UnsupportedMediaType,
             HttpStatusCode.UnsupportedMediaType],
            new[] { noToken, garbage, stolen, checkInNoToken, apiAsForm, apiAsText }.Select(r => r.StatusCode));
        Assert.Equal("booked", await world.StatusAsync(booking.Reference));
        Assert.Equal(0, await world.CountAsync("SELECT COUNT(*) FROM vaccination_events"));
        Assert.Equal(0, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_ListSearchCheckInRecordNotVaccinatedAndWalkIn_AnswerAsDocumented(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        await world.RenameAsync(nhs, "Agnes", "Api");
        var booking = await world.BookAsync(nhs);
        var other = await world.BookAsync(await world.PersonAsync(), time: "13:10");
        var walkIn = await world.OutsideTheCohortAsync("Walter", "Walkin");
        var clinician = await world.App.SignedInAsync(await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.Site)));
        var path = $"/api/v1/sites/{SiteDayWorld.Site}/day";

        var list = await clinician.GetFromJsonAsync<JsonElement>($"{path}?date=2026-11-20&status=booked");
        var badDate = await clinician.GetAsync($"{path}?date=20-11-2026");
        var search = await clinician.PostAsJsonAsync($"{path}/search", new { query = "agnes" });
        var checkIn = await clinician.PostAsJsonAsync($"{path}/check-in", new { reference = booking.Reference });
        var recorded = await clinician.PostAsJsonAsync($"{path}/vaccinations", new
        {
            reference = booking.Reference, productCode = Products.FluCellBased, batchNumber = "flu001", bodySite = "left-upper-arm", route = "intramuscular", consent = "self",
        });
        var twice = await clinician.PostAsJsonAsync($"{path}/vaccinations", new
        {
            reference = booking.Reference, productCode = Products.FluCellBased, batchNumber = "FLU001", bodySite = "left-upper-arm", route = "intramuscular", consent = "self",
        });
        var notVaccinated = await clinician.PostAsJsonAsync($"{path}/not-vaccinated", new { reference = other.Reference, reason = "refused" });
        var walkInCheck = await clinician.PostAsJsonAsync($"{path}/walk-ins/check", new { familyName = "walkin", dateOfBirth = "1950-05-05", programme = "FLU" });
        var walkInRefused = await clinician.PostAsJsonAsync($"{path}/walk-ins/vaccinations", new
        {
            nhsNumber = walkIn.Value, programme = "FLU", productCode = Products.FluCellBased, batchNumber = "FLU001", bodySite = "left-upper-arm", route = "intramuscular", consent = "self",
        });
        var walkInOverridden = await clinician.PostAsJsonAsync($"{path}/walk-ins/vaccinations", new
        {
            nhsNumber = walkIn.Value, programme = "FLU", productCode = Products.FluCellBased, batchNumber = "FLU001", bodySite = "right-upper-arm", route = "intramuscular",
            consent = "self", overrideReason = "Works in the care home: manager's letter seen",
        });

        Assert.Equal(2, list.GetProperty("appointments").GetArrayLength());
        Assert.Equal(2, list.GetProperty("counts").GetProperty("booked").GetInt32());
        Assert.Equal((HttpStatusCode.BadRequest, "invalid-date"), (badDate.StatusCode, await CodeAsync(badDate)));
        var found = Assert.Single((await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("appointments").EnumerateArray());
        Assert.Equal((nhs.Value, "Agnes", "1940-01-01"), (found.GetProperty("nhsNumber").GetString(), found.GetProperty("givenName").GetString(), found.GetProperty("dateOfBirth").GetString()));
        Assert.Equal("checked-in", (await checkIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);
        var body = await recorded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, "FLU001", "left-upper-arm", "intramuscular", "self", booking.Reference),
            (body.GetProperty("doseNumber").GetInt32(), body.GetProperty("batchNumber").GetString(), body.GetProperty("bodySite").GetString(),
             body.GetProperty("route").GetString(), body.GetProperty("consent").GetString(), body.GetProperty("reference").GetString()));
        Assert.Equal($"/api/v1/vaccinations/{body.GetProperty("vaccinationId").GetString()}", recorded.Headers.Location!.OriginalString);
        Assert.Equal((HttpStatusCode.Conflict, "already-vaccinated"), (twice.StatusCode, await CodeAsync(twice)));
        Assert.Equal("not-vaccinated", (await notVaccinated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        var plan = await walkInCheck.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((walkIn.Value, false, "not-in-open-cohort", true), (plan.GetProperty("nhsNumber").GetString(), plan.GetProperty("eligible").GetBoolean(),
            plan.GetProperty("eligibilityCode").GetString(), plan.GetProperty("needsOverride").GetBoolean()));
        Assert.Equal("FLU001", plan.GetProperty("batches")[0].GetProperty("batchNumber").GetString());
        Assert.Equal((HttpStatusCode.BadRequest, "not-in-open-cohort"), (walkInRefused.StatusCode, await CodeAsync(walkInRefused)));
        Assert.Equal(HttpStatusCode.Created, walkInOverridden.StatusCode);
        Assert.True((await walkInOverridden.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("overridden").GetBoolean());
        Assert.Equal(2, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Race_TwoCliniciansRecordingOneAppointmentOverRealSockets_RecordExactlyOnce(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider, kestrel: true);
        var viaApi = await world.BookAsync(await world.PersonAsync(), time: "13:00");
        var viaPages = await world.BookAsync(await world.PersonAsync(), time: "13:10");
        var address = world.App.Address!;
        using var first = await SocketBrowser.SignedInAsync(address, (await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.Site))).Email);
        using var second = await SocketBrowser.SignedInAsync(address, (await world.App.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, SiteDayWorld.Site))).Email);
        var batch = (await world.Get<Immunise.Stock.SiteStock>().ViewAsync(SiteDayWorld.Site)).Value!.Batches.First(b => b.Batch.BatchNumber == "FLU001").Batch.Id;
        var tokens = new[] { await first.TokenAsync(Day), await second.TokenAsync(Day) };
        var clinicians = new[] { first, second };

        var apiAnswers = await RaceAsync(Enumerable.Range(0, 10).Select(i => (Func<Task<string>>)(async () =>
        {
            var response = await clinicians[i % 2].Client.PostAsJsonAsync($"/api/v1/sites/{SiteDayWorld.Site}/day/vaccinations", new
            {
                reference = viaApi.Reference, productCode = Products.FluCellBased, batchNumber = "FLU001", bodySite = "left-upper-arm", route = "intramuscular", consent = "self",
            });
            return response.StatusCode == HttpStatusCode.Created ? "recorded" : $"{(int)response.StatusCode} {await CodeAsync(response)}";
        })));
        var pageAnswers = await RaceAsync(Enumerable.Range(0, 6).Select(i => (Func<Task<string>>)(async () =>
        {
            var response = await clinicians[i % 2].Client.PostAsync($"{Day}/vaccinate?handler=Record", Form(tokens[i % 2],
                ("reference", viaPages.Reference), ("batch", batch), ("route", "intramuscular"), ("bodySite", "right-upper-arm"), ("consent", "self")));
            return $"{(int)response.StatusCode} {response.Headers.Location?.OriginalString}";
        })));

        Assert.Equal(1, apiAnswers.Count(a => a == "recorded"));
        Assert.All(apiAnswers.Where(a => a != "recorded"), a => Assert.Equal("409 already-vaccinated", a));
        Assert.All(pageAnswers, a => Assert.Equal($"302 {Day}", a));
        foreach (var reference in new[] { viaApi.Reference, viaPages.Reference })
        {
            Assert.Equal("vaccinated", await world.StatusAsync(reference));
            Assert.Equal(1, await world.CountAsync(
                "SELECT COUNT(*) FROM site_outcomes o JOIN bookings b ON b.id = o.booking_id WHERE b.reference = @reference", new { reference }));
            Assert.Equal(1, await world.CountAsync(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'booking.vaccinated' AND resource_id = @reference", new { reference }));
        }

        Assert.Equal(2, await world.CountAsync("SELECT COUNT(*) FROM vaccination_events"));
        Assert.Equal(2, await world.CountAsync("SELECT COUNT(*) FROM audit_events WHERE action = 'vaccination.recorded'"));
        Assert.Equal(2, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
    }

    /// <summary>Starts every racer at once (after all are ready) and collects each outcome.</summary>
    internal static async Task<IReadOnlyList<string>> RaceAsync(IEnumerable<Func<Task<string>>> racers)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = racers.Select(async racer =>
        {
            await gate.Task;
            return await racer();
        }).ToList();
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    private static FormUrlEncodedContent Form(string token, params (string Name, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)).Append(KeyValuePair.Create("__RequestVerificationToken", token)));

    private static async Task<string> TokenAsync(HttpClient browser, string path)
    {
        var html = await (await browser.GetAsync(path)).Content.ReadAsStringAsync();
        return WebUtility.HtmlDecode(TokenPattern().Match(html).Groups[1].Value);
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();

    /// <summary>A page's visible text, tags removed and spaces collapsed.</summary>
    private static async Task<string> Text(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        return WebUtility.HtmlDecode(Spaces().Replace(Tags().Replace(html, " "), " "));
    }

    [GeneratedRegex("name=\"batch\" type=\"radio\" value=\"([0-9a-f]+)\"")]
    private static partial Regex BatchRadio();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
