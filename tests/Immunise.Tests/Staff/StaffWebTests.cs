using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Immunise.Audit;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Staff;

public sealed class StaffWebTests
{
    private const string Site = "B87008";

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SignIn_ThroughTheForm_IssuesASecureHttpOnlyStrictCookieAndOpensStaffPages(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var user = await app.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, Site));
        var browser = app.Browser();

        var before = await browser.GetAsync("/staff");
        var signIn = await browser.PostFormAsync("/staff/sign-in?returnUrl=%2Fstaff%2Fpeople", new() { ["email"] = user.Email, ["password"] = StaffKit.Password });
        var home = await browser.GetAsync("/staff");

        Assert.Equal(HttpStatusCode.Redirect, before.StatusCode);
        Assert.Equal("/staff/sign-in?returnUrl=%2Fstaff", before.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/staff/people", signIn.Headers.Location?.OriginalString);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-Immunise-Staff=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("Clinician (vaccinator) at B87008", await home.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("no-store", home.Headers.CacheControl?.ToString());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SignIn_WithAWrongPassword_ShowsTheErrorSummaryWith400AndNoCookie(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var user = await app.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, Site));
        var browser = app.Browser();

        var response = await browser.PostFormAsync("/staff/sign-in", new() { ["email"] = user.Email, ["password"] = "not-my-password" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("nhsuk-error-summary", html, StringComparison.Ordinal);
        Assert.Contains("<title>Error: Sign in", html, StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("__Host-Immunise-Staff=", StringComparison.Ordinal)));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(user.Email, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SignIn_FormPostedWithoutItsAntiforgeryToken_IsRefused()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);
        var user = await app.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, Site));
        var browser = app.Browser();

        var forged = await browser.PostAsync("/staff/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = user.Email, ["password"] = StaffKit.Password }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/staff")).StatusCode);
    }

    [Fact]
    public async Task SignIn_MoreAttemptsThanTheLimitFromOneAddress_AreAnswered429()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string>
        {
            ["Staff:SignInAttemptsPerWindow"] = "3",
            ["Staff:SignInWindowSeconds"] = "3600",
        });
        var browser = app.Browser();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await browser.PostFormAsync("/staff/sign-in", new() { ["email"] = "someone@example.nhs.uk", ["password"] = "guess-number-" + i })).StatusCode);
        }

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests], statuses);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SignOut_EndsTheSignIn(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var browser = await app.SignedInAsync(await app.AddStaffAsync(Grant.Organisation(StaffRole.Receptionist, Site)));

        var signedOut = await browser.PostFormAsync("/staff/sign-out", []);

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/staff")).StatusCode);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RevokedRole_TakesEffectOnTheNextRequestOfAnExistingSignIn(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var user = await app.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, Site));
        var browser = await app.SignedInAsync(user);
        var before = await browser.GetAsync($"/staff/sites/{Site}/stock");

        await app.Services.GetRequiredService<ManageStaff>().RevokeAsync(null, Actor.System("test"), user.Id, Grant.Organisation(StaffRole.SiteManager, Site));
        var after = await browser.GetAsync($"/staff/sites/{Site}/stock");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.Contains("You do not have access", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TemporaryPassword_AdmitsOnlyThePasswordChangeUntilChanged(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var admin = await app.SignedInAsync(await app.AddStaffAsync(Grant.National(StaffRole.NationalAdministrator)));
        var created = await admin.PostFormAsync("/staff/users/new", new()
        {
            ["displayName"] = "New Nurse",
            ["email"] = "new.nurse@example.nhs.uk",
            ["role"] = "clinician",
            ["scopeCode"] = "b87008",
        });
        var page = await created.Content.ReadAsStringAsync();
        var temporary = System.Text.RegularExpressions.Regex.Match(page, "<code>([A-Za-z0-9]{16})</code>").Groups[1].Value;
        var nurse = app.Browser();

        var signIn = await nurse.PostFormAsync("/staff/sign-in", new() { ["email"] = "new.nurse@example.nhs.uk", ["password"] = temporary });
        var stockBefore = await nurse.GetAsync($"/staff/sites/{Site}/stock");
        var changed = await nurse.PostFormAsync("/staff/password", new() { ["currentPassword"] = temporary, ["newPassword"] = "my-own-long-password" });
        var stockAfter = await nurse.GetAsync($"/staff/sites/{Site}/stock");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal(16, temporary.Length);
        Assert.Equal("/staff/password", signIn.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, stockBefore.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stockAfter.StatusCode);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SiteManager_CreatesStaffForTheirSiteButNotForAnother(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var manager = await app.SignedInAsync(await app.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, Site)));

        var here = await manager.PostFormAsync("/staff/users/new", new() { ["displayName"] = "A", ["email"] = "a@example.nhs.uk", ["role"] = "receptionist", ["scopeCode"] = Site });
        var there = await manager.PostFormAsync("/staff/users/new", new() { ["displayName"] = "B", ["email"] = "b@example.nhs.uk", ["role"] = "receptionist", ["scopeCode"] = "C11111" });
        var admin = await manager.PostFormAsync("/staff/users/new", new() { ["displayName"] = "C", ["email"] = "c@example.nhs.uk", ["role"] = "national-administrator", ["scopeCode"] = "" });
        var list = await (await manager.GetAsync("/staff/users")).Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, here.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, there.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        Assert.Contains("a@example.nhs.uk", list, StringComparison.Ordinal);
        Assert.DoesNotContain("b@example.nhs.uk", list, StringComparison.Ordinal);
        Assert.Null(await app.Services.GetRequiredService<StaffDirectory>().FindByEmailAsync("c@example.nhs.uk"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task PersonPage_ShowsTheRecordAndAuditsTheViewWithoutTheNhsNumberInTheAddressOrLogs(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft"] = "Trace" });
        var nhs = await app.AddPersonAsync();
        var clinician = await app.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, Site));
        var browser = await app.SignedInAsync(clinician);

        var response = await browser.PostFormAsync("/staff/people", new() { ["nhsNumber"] = nhs.Display });
        var missing = await browser.PostFormAsync("/staff/people", new() { ["nhsNumber"] = "999 000 0018" });
        var invalid = await browser.PostFormAsync("/staff/people", new() { ["nhsNumber"] = "123" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Sarah Taylor", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var audited = Assert.Single(await app.AuditFor(nhs));
        Assert.Equal(("staff", clinician.Id, "person.read", "staff-page"), (audited.ActorType, audited.ActorId, audited.Action, audited.Purpose));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(nhs.Value, StringComparison.Ordinal) || l.Contains(nhs.Display, StringComparison.Ordinal));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task StockApi_ReceivesWastesAndShowsStock_WithStableCodesForBadInput(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var browser = await app.SignedInAsync(await app.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, Site)));
        var receptionist = await app.SignedInAsync(await app.AddStaffAsync(Grant.Organisation(StaffRole.Receptionist, Site)));
        object Batch(string number, string expires) => new { productCode = Products.Comirnaty, batchNumber = number, expiresOn = expires, dosesReceived = 300 };

        var received = await browser.PostAsJsonAsync($"/api/v1/sites/{Site}/stock/batches", Batch("FK1234", "2027-01-31"));
        var duplicate = await browser.PostAsJsonAsync($"/api/v1/sites/{Site}/stock/batches", Batch("FK1234", "2027-01-31"));
        var expired = await browser.PostAsJsonAsync($"/api/v1/sites/{Site}/stock/batches", Batch("OLD1", "2026-11-19"));
        var byReceptionist = await receptionist.PostAsJsonAsync($"/api/v1/sites/{Site}/stock/batches", Batch("R1", "2027-01-31"));
        var malformed = await browser.PostAsync($"/api/v1/sites/{Site}/stock/batches", new StringContent("{\"dosesReceived\": \"lots\"}", System.Text.Encoding.UTF8, "application/json"));
        var batchId = (await received.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var wasted = await browser.PostAsJsonAsync($"/api/v1/sites/{Site}/stock/batches/{batchId}/wastage", new { doses = 5, reason = "damaged" });
        var badReason = await browser.PostAsJsonAsync($"/api/v1/sites/{Site}/stock/batches/{batchId}/wastage", new { doses = 5, reason = "dropped-it" });
        var stock = await receptionist.GetFromJsonAsync<JsonElement>($"/api/v1/sites/{Site}/stock");

        Assert.Equal(HttpStatusCode.Created, received.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, "duplicate-batch"), (duplicate.StatusCode, await CodeAsync(duplicate)));
        Assert.Equal((HttpStatusCode.BadRequest, "batch-expired"), (expired.StatusCode, await CodeAsync(expired)));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), (byReceptionist.StatusCode, await CodeAsync(byReceptionist)));
        Assert.Equal((HttpStatusCode.BadRequest, "malformed-json"), (malformed.StatusCode, await CodeAsync(malformed)));
        Assert.Equal(HttpStatusCode.OK, wasted.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, "invalid-reason"), (badReason.StatusCode, await CodeAsync(badReason)));
        var batch = Assert.Single(stock.GetProperty("batches").EnumerateArray());
        Assert.Equal((295, "in-date"), (batch.GetProperty("dosesLeft").GetInt32(), batch.GetProperty("status").GetString()));
        Assert.Equal(295, stock.GetProperty("inDateDosesByProduct").GetProperty(Products.Comirnaty).GetInt32());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task StockPages_ReceiveABatchThroughTheForm_AndShowItRunningOut(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var browser = await app.SignedInAsync(await app.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, Site)));

        var bad = await browser.PostFormAsync($"/staff/sites/{Site}/stock/receive", new()
        {
            ["productCode"] = Products.Comirnaty, ["batchNumber"] = "FK1234", ["expiresDay"] = "31", ["expiresMonth"] = "2", ["expiresYear"] = "2027", ["dosesReceived"] = "300",
        });
        var good = await browser.PostFormAsync($"/staff/sites/{Site}/stock/receive", new()
        {
            ["productCode"] = Products.Comirnaty, ["batchNumber"] = "FK1234", ["expiresDay"] = "25", ["expiresMonth"] = "11", ["expiresYear"] = "2026", ["dosesReceived"] = "300",
        });
        var page = await (await browser.GetAsync($"/staff/sites/{Site}/stock")).Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Expiry date must be a real date", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Contains("FK1234", page, StringComparison.Ordinal);
        Assert.Contains("Running out", page, StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task AuditApi_AdministratorsSearchAndExport_OthersAreRefused(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, StaffKit.ManySignIns);
        var admin = await app.AddStaffAsync(Grant.National(StaffRole.NationalAdministrator));
        var adminBrowser = await app.SignedInAsync(admin);
        var manager = await app.SignedInAsync(await app.AddStaffAsync(Grant.Organisation(StaffRole.SiteManager, Site)));
        await app.Browser().PostFormAsync("/staff/sign-in", new() { ["email"] = admin.Email, ["password"] = "a-wrong-password" });

        var search = await adminBrowser.PostAsJsonAsync("/api/v1/audit/search", new { action = "staff.sign-in-failed" });
        var export = await adminBrowser.PostAsJsonAsync("/api/v1/audit/export", new { actorId = admin.Id });
        var badQuery = await adminBrowser.PostAsJsonAsync("/api/v1/audit/search", new { nhsNumber = "12" });
        var refused = await manager.PostAsJsonAsync("/api/v1/audit/search", new { });
        var page = await adminBrowser.PostFormAsync("/staff/audit?handler=Search", new() { ["action"] = "staff.*" }, "/staff/audit");

        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        var found = Assert.Single((await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("events").EnumerateArray());
        Assert.Equal((admin.Id, "wrong-password"), (found.GetProperty("actorId").GetString(), found.GetProperty("purpose").GetString()));
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        var csv = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(SearchAudit.CsvHeader, csv[0]);
        Assert.Contains(csv, l => l.Contains($",staff,{admin.Id},staff.signed-in,", StringComparison.Ordinal));
        Assert.Contains(csv, l => l.Contains($",staff,{admin.Id},staff.sign-in-failed,", StringComparison.Ordinal));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid-nhs-number"), (badQuery.StatusCode, await CodeAsync(badQuery)));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("staff.signed-in", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInCookie_IssuedByOneNode_IsAcceptedByAnotherOverTheSameDatabase()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var first = ImmuniseApp.StartOver(database);
        await using var second = ImmuniseApp.StartOver(database);
        var user = await first.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, Site));
        var signIn = await first.Browser().PostFormAsync("/staff/sign-in", new() { ["email"] = user.Email, ["password"] = StaffKit.Password });
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-Immunise-Staff=", StringComparison.Ordinal)).Split(';')[0];

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/staff/me");
        request.Headers.Add("Cookie", cookie);
        var onSecond = await second.Anonymous().SendAsync(request);
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/v1/staff/me");
        forged.Headers.Add("Cookie", cookie[..^8] + "AAAAAAAA");
        var forgedOnSecond = await second.Anonymous().SendAsync(forged);

        Assert.Equal(HttpStatusCode.OK, onSecond.StatusCode);
        Assert.Equal(user.Id, (await onSecond.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, forgedOnSecond.StatusCode);
    }

    [Fact]
    public async Task StaffPages_CarryTheSecurityHeaders()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);

        var response = await app.Browser().GetAsync("/staff/sign-in");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Cross-Origin-Opener-Policy").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Contains("__RequestVerificationToken", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("code", out var code) ? code.GetString() : null;
}
