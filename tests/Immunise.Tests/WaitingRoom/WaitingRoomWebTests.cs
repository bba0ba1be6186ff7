extern alias web;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Staff;
using Immunise.Tests.Web;
using Immunise.WaitingRoom;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.WaitingRoom;

/// <summary>
/// The waiting room through the web app over real sockets: the gate in front of /book, the waiting page, the queue API and
/// the booking API's admission check, tampered and borrowed cookies, the per-client limit on tickets, the administrators'
/// API and page, and two service instances over one database.
/// </summary>
public sealed class WaitingRoomWebTests
{
    private static readonly IReadOnlyDictionary<string, string> Settings = QueueApps.Settings;

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Off_BookingPagesAreServedAsBefore_AndNoTicketIsGiven(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Settings, kestrel: true);
        using var visitor = new Visitor(app);
        using var api = app.Anonymous();

        var page = await visitor.GetAsync("/book/flu");
        var ticket = await QueueApi.TakeTicketAsync(api, expected: HttpStatusCode.OK);
        var queue = await visitor.GetAsync("/queue?returnUrl=%2Fbook%2Fflu");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain(visitor.Cookies.Keys, k => k.StartsWith("Immunise-Queue", StringComparison.Ordinal));
        Assert.Equal("no-queue", ticket.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, ticket.GetProperty("ticket").ValueKind);
        Assert.Equal("/book/flu", queue.Headers.Location?.OriginalString);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task On_VisitorsWaitTheirTurnOnTheWaitingPage_ThenGoOnToBook(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Settings, kestrel: true);
        await QueueApps.SwitchOnAsync(app, ratePerMinute: 60);
        using var first = new Visitor(app);
        using var second = new Visitor(app);

        var sent = await first.GetAsync("/book/flu");
        var waitingPage = await first.GetAsync(sent.Headers.Location!.OriginalString);
        var waiting = await waitingPage.Content.ReadAsStringAsync();
        var behind = await (await second.FollowAsync("/book/flu")).Content.ReadAsStringAsync();
        var stillWaiting = await first.GetAsync("/book/flu");
        await QueueApps.TickAsync(app);
        var turn = await first.GetAsync("/queue?returnUrl=%2Fbook%2Fflu");
        var booking = await first.GetAsync("/book/flu");
        var moved = await (await second.FollowAsync("/book/flu")).Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
        Assert.Equal("/queue?returnUrl=%2Fbook%2Fflu", sent.Headers.Location!.OriginalString);
        Assert.Contains("You are number <strong>1</strong> in the queue.", waiting, StringComparison.Ordinal);
        Assert.Contains("Estimated wait: less than a minute.", waiting, StringComparison.Ordinal);
        var cookie = Assert.Single(waitingPage.Headers.GetValues("Set-Cookie"), c => c.StartsWith("Immunise-Queue=", StringComparison.Ordinal));
        Assert.Contains("max-age=86400", cookie, StringComparison.Ordinal); // kept for the ticket's 24 hours, by the browser's own count
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("no-store", waitingPage.Headers.CacheControl?.ToString());
        Assert.Contains("aria-live=\"polite\"", waiting, StringComparison.Ordinal);
        Assert.Contains("Do not open the booking service in more than one tab", waiting, StringComparison.Ordinal);
        Assert.Contains("<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript>", waiting, StringComparison.Ordinal);
        Assert.Contains("<script src=\"/js/queue.js\" defer></script>", waiting, StringComparison.Ordinal);
        Assert.Contains("You are number <strong>2</strong> in the queue.", behind, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.SeeOther, stillWaiting.StatusCode);
        Assert.Equal("/book/flu", turn.Headers.Location!.OriginalString);
        Assert.NotNull(first.Admission);
        Assert.Equal(HttpStatusCode.OK, booking.StatusCode);
        Assert.Contains("You are number <strong>1</strong> in the queue.", moved, StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task On_TamperedForgedBorrowedOrExpiredCookies_AreSentToTheQueue(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Settings, kestrel: true);
        await QueueApps.SwitchOnAsync(app, ratePerMinute: 60);
        using var admitted = new Visitor(app);
        using var other = new Visitor(app);
        await admitted.FollowAsync("/book/flu");
        await other.FollowAsync("/book/flu");
        await QueueApps.TickAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await admitted.FollowAsync("/book/flu")).StatusCode);

        using var altered = admitted.Copy();
        altered.Ticket = Alter(admitted.Ticket!);
        using var forged = admitted.Copy();
        forged.Admission = Convert.ToBase64String(new byte[59]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using var borrowed = other.Copy();
        borrowed.Admission = admitted.Admission;
        using var tokenOnly = new Visitor(app) { Admission = admitted.Admission };
        using var changedNumber = admitted.Copy();
        changedNumber.Admission = Alter(admitted.Admission!);

        var refused = new Dictionary<string, HttpStatusCode>();
        foreach (var (name, visitor) in new[] { ("altered ticket", altered), ("forged admission", forged), ("borrowed admission", borrowed), ("admission alone", tokenOnly), ("altered admission", changedNumber) })
        {
            refused[name] = (await visitor.GetAsync("/book/flu")).StatusCode;
        }

        app.Clock.Advance(TimeSpan.FromMinutes(31)); // past the admission's 30 minutes
        var expired = await admitted.GetAsync("/book/flu");

        Assert.All(refused, r => Assert.Equal(HttpStatusCode.SeeOther, r.Value));
        Assert.Equal(HttpStatusCode.SeeOther, expired.StatusCode);
        var again = await (await admitted.FollowAsync("/book/flu")).Content.ReadAsStringAsync();
        Assert.Contains("It was your turn, but the time to start booking has run out.", again, StringComparison.Ordinal);
        var rejoined = await admitted.PostFormAsync("/queue?returnUrl=%2Fbook%2Fflu", []);
        Assert.Equal(HttpStatusCode.Redirect, rejoined.StatusCode);
        Assert.Equal(3, admitted.Sequence(app)); // a new ticket, at the back
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BeforeAScheduledOpening_TheWaitingPageSaysWhen_ThenGivesAPlace(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Settings, kestrel: true);
        await QueueApps.SwitchOnAsync(app, ratePerMinute: 60);
        var opensAt = new DateTimeOffset(2026, 11, 20, 14, 30, 0, TimeSpan.Zero); // 2:30pm in London in November
        Assert.True((await app.Services.GetRequiredService<ChangeWaitingRoom>().HandleAsync(new WaitingRoomChange(OpensAt: opensAt), Actor.System("test"))).Succeeded);
        using var early = new Visitor(app);
        using var later = new Visitor(app);

        var before = await (await early.FollowAsync("/book/flu")).Content.ReadAsStringAsync();
        var unnumbered = early.Sequence(app);
        var stillBefore = await early.GetAsync("/book/flu");
        app.Clock.Now = opensAt;
        var afterOpening = await (await later.FollowAsync("/book/flu")).Content.ReadAsStringAsync();
        var numbered = await (await early.FollowAsync("/book/flu")).Content.ReadAsStringAsync();

        Assert.Contains("Booking opens at 2:30pm on Friday 20 November.", before, StringComparison.Ordinal);
        Assert.Contains("given a place in a random order when booking opens", before, StringComparison.Ordinal);
        Assert.Equal(0, unnumbered); // no number until the opening
        Assert.Equal(HttpStatusCode.SeeOther, stillBefore.StatusCode);
        Assert.Contains("You are number <strong>2</strong> in the queue.", afterOpening, StringComparison.Ordinal); // behind everyone who came before
        Assert.Contains("You are number <strong>1</strong> in the queue.", numbered, StringComparison.Ordinal);
        Assert.Equal(1, early.Sequence(app)); // the page gave the browser its numbered ticket
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Automatic_VisitorsGoStraightIn_UntilArrivalsReachTheRate_ThenQueue_AndThoseAlreadyInCarryOn(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Settings, kestrel: true);
        await QueueApps.SwitchOnAsync(app, ratePerMinute: 10, mode: WaitingRoomModes.Automatic);
        await QueueApps.TickAsync(app); // a first sample
        using var early = new Visitor(app);

        var straightIn = await early.GetAsync("/book/flu");
        var rush = new List<Visitor>();
        for (var i = 0; i < 9; i++)
        {
            var visitor = new Visitor(app);
            rush.Add(visitor);
            Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync("/book/flu")).StatusCode);
        }

        app.Clock.Advance(TimeSpan.FromSeconds(2));
        var tick = await app.Services.GetRequiredService<AdmitVisitors>().TickAsync(); // 10 in 2 seconds: 60 a minute, over 10
        using var late = new Visitor(app);
        var queued = await late.GetAsync("/book/flu");
        var carriesOn = await early.GetAsync("/book/flu");

        Assert.Equal(HttpStatusCode.OK, straightIn.StatusCode);
        Assert.NotNull(early.Ticket);
        Assert.NotNull(early.Admission);
        Assert.True(tick.SwitchedOn);
        Assert.Equal(HttpStatusCode.SeeOther, queued.StatusCode);
        Assert.Equal(HttpStatusCode.OK, carriesOn.StatusCode);
        foreach (var visitor in rush)
        {
            visitor.Dispose();
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_TicketStatusAndAdmission_GuardTheBookingApi(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Settings, kestrel: true);
        await QueueApps.SwitchOnAsync(app, ratePerMinute: 60);
        var client = await app.ClientAsync(Scopes.BookingWrite, Scopes.BookingRead);

        var taken = await QueueApi.TakeTicketAsync(client);
        var ticket = taken.GetProperty("ticket").GetString()!;
        var same = await QueueApi.TakeTicketAsync(client, ticket, HttpStatusCode.OK);
        var waiting = await QueueApi.StatusAsync(client, ticket);
        using var noToken = await QueueApi.HoldAsync(client, ticket, null);
        await QueueApps.TickAsync(app);
        var admitted = await QueueApi.StatusAsync(client, ticket);
        var token = admitted.GetProperty("admissionToken").GetString()!;
        using var withToken = await QueueApi.HoldAsync(client, ticket, token);
        var another = (await QueueApi.TakeTicketAsync(client)).GetProperty("ticket").GetString()!;
        using var otherTicket = await QueueApi.HoldAsync(client, another, token);
        using var garbage = await QueueApi.HoldAsync(client, ticket, "bm90LWEtdG9rZW4");
        using var badStatus = await StatusWithAsync(client, ticket[..^2] + (ticket[^2] == 'A' ? "B" : "A") + ticket[^1]);
        using var noStatus = await StatusWithAsync(client, null);
        app.Clock.Advance(TimeSpan.FromMinutes(31));
        using var expired = await QueueApi.HoldAsync(client, ticket, token);

        Assert.Equal(("waiting", 1), (taken.GetProperty("status").GetString(), taken.GetProperty("position").GetInt32()));
        Assert.Equal(JsonValueKind.Null, taken.GetProperty("admissionToken").ValueKind);
        Assert.Equal(ticket, same.GetProperty("ticket").GetString());
        Assert.Equal(1, waiting.GetProperty("position").GetInt32());
        Assert.Equal("less than a minute", waiting.GetProperty("estimatedWait").GetString());
        Assert.Equal(HttpStatusCode.TooManyRequests, noToken.StatusCode);
        Assert.Equal("waiting-room-active", QueueApi.Code(await noToken.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.True(noToken.Headers.RetryAfter is not null);
        Assert.Equal("admitted", admitted.GetProperty("status").GetString());
        Assert.Equal(ImmuniseApp.Now.AddSeconds(1).AddMinutes(30), admitted.GetProperty("admissionExpiresAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.BadRequest, withToken.StatusCode); // through the gate, to the hold's own validation
        Assert.Equal("invalid-nhs-number", QueueApi.Code(await withToken.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal((HttpStatusCode.Forbidden, "admission-token-invalid"), (otherTicket.StatusCode, QueueApi.Code(await otherTicket.Content.ReadFromJsonAsync<JsonElement>())));
        Assert.Equal((HttpStatusCode.Forbidden, "admission-token-invalid"), (garbage.StatusCode, QueueApi.Code(await garbage.Content.ReadFromJsonAsync<JsonElement>())));
        Assert.Equal((HttpStatusCode.BadRequest, "ticket-invalid"), (badStatus.StatusCode, QueueApi.Code(await badStatus.Content.ReadFromJsonAsync<JsonElement>())));
        Assert.Equal((HttpStatusCode.BadRequest, "ticket-required"), (noStatus.StatusCode, QueueApi.Code(await noStatus.Content.ReadFromJsonAsync<JsonElement>())));
        Assert.Equal((HttpStatusCode.Forbidden, "admission-token-expired"), (expired.StatusCode, QueueApi.Code(await expired.Content.ReadFromJsonAsync<JsonElement>())));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Tickets_FromOneClientAddress_AreLimitedPerMinute(DatabaseProvider provider)
    {
        var settings = new Dictionary<string, string>(Settings) { ["WaitingRoom:TicketsPerClientPerMinute"] = "3" };
        await using var app = await ImmuniseApp.StartAsync(provider, settings, kestrel: true);
        await QueueApps.SwitchOnAsync(app, ratePerMinute: 60);
        using var api = app.Anonymous();
        using var visitor = new Visitor(app);

        for (var i = 0; i < 3; i++)
        {
            await QueueApi.TakeTicketAsync(api);
        }

        var refused = await QueueApi.TakeTicketAsync(api, expected: HttpStatusCode.TooManyRequests);
        var page = await visitor.FollowAsync("/book/flu");

        Assert.Equal("too-many-tickets", QueueApi.Code(refused));
        Assert.Equal(HttpStatusCode.TooManyRequests, page.StatusCode);
        Assert.Contains("too many requests to join the queue", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(visitor.Ticket);
        await using var connection = await app.Database.Database.OpenAsync();
        Assert.Equal(3L, await connection.ExecuteScalarAsync<long>("SELECT last_sequence FROM waiting_room"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Admin_ApiAndPage_ChangeTheSettingsAndShowTheFigures(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Settings);
        var admin = await app.SignedInAsync(await app.AddStaffAsync(Grant.National(StaffRole.NationalAdministrator)));

        using var on = await admin.PutAsJsonAsync("/api/v1/waiting-room", new { mode = "on", ratePerMinute = 250, maxActive = 1000 });
        using var invalid = await admin.PutAsJsonAsync("/api/v1/waiting-room", new { mode = "sometimes" });
        using var nothing = await admin.PutAsJsonAsync("/api/v1/waiting-room", new { });
        var figures = await admin.GetFromJsonAsync<JsonElement>("/api/v1/waiting-room");
        var page = await admin.GetStringAsync("/staff/waiting-room");
        using var saved = await admin.PostFormAsync("/staff/waiting-room?handler=settings",
            new() { ["mode"] = "automatic", ["ratePerMinute"] = "1,500", ["maxActive"] = "0" }, "/staff/waiting-room");
        using var wrong = await admin.PostFormAsync("/staff/waiting-room?handler=settings",
            new() { ["mode"] = "on", ["ratePerMinute"] = "lots", ["maxActive"] = "0" }, "/staff/waiting-room");
        using var scheduled = await admin.PostFormAsync("/staff/waiting-room?handler=opening",
            new() { ["opensDay"] = "23", ["opensMonth"] = "11", ["opensYear"] = "2026", ["opensTime"] = "09:00" }, "/staff/waiting-room");
        using var paused = await admin.PostFormAsync("/staff/waiting-room?handler=pause", [], "/staff/waiting-room");
        var after = await admin.GetStringAsync("/staff/waiting-room");

        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        var changed = await on.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("on", 250, 1000), (changed.GetProperty("mode").GetString(), changed.GetProperty("ratePerMinute").GetInt32(), changed.GetProperty("maxActive").GetInt32()));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid-mode"), (invalid.StatusCode, QueueApi.Code(await invalid.Content.ReadFromJsonAsync<JsonElement>())));
        Assert.Equal(HttpStatusCode.OK, nothing.StatusCode);
        Assert.True(figures.GetProperty("active").GetBoolean());
        Assert.Equal(0, figures.GetProperty("waiting").GetInt64());
        Assert.Contains("Waiting room", page, StringComparison.Ordinal);
        Assert.Contains("250 people per minute", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("Enter the rate as a whole number of people per minute", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, scheduled.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, paused.StatusCode);
        Assert.Contains("Booking opens at 9am on Monday 23 November (UK time).", after, StringComparison.Ordinal);
        Assert.Contains("Resume admissions", after, StringComparison.Ordinal);
        var counters = await app.Services.GetRequiredService<QueueCounters>().RefreshAsync();
        Assert.Equal((WaitingRoomModes.On, 1500, true), (counters.Mode, counters.RatePerMinute, counters.Paused)); // scheduling switched it on
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero), counters.OpensAt); // 09:00 in London in November is GMT
        await using var connection = await app.Database.Database.OpenAsync();
        Assert.Equal(4L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'waiting-room.changed'"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TwoInstances_AgreeOnPositions_AndHonourEachOthersTicketsAndTokens(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var first = ImmuniseApp.StartOver(database, Settings, kestrel: true);
        await using var second = ImmuniseApp.StartOver(database, Settings, kestrel: true);
        ImmuniseApp[] nodes = [first, second];
        await QueueApps.SwitchOnAsync(first, ratePerMinute: 60);
        using var api0 = await first.ClientAsync(Scopes.BookingWrite);
        using var api1 = second.Anonymous();
        api1.DefaultRequestHeaders.Add("X-Api-Key", api0.DefaultRequestHeaders.GetValues("X-Api-Key").Single());
        HttpClient[] apis = [api0, api1];

        var tickets = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            tickets.Add((await QueueApi.TakeTicketAsync(apis[i % 2])).GetProperty("ticket").GetString()!);
        }

        using var browser = new Visitor(first, second);
        await browser.FollowAsync("/book/flu", node: 0); // 13th, through the waiting page of the first instance
        var seen = new List<(int, int)>();
        foreach (var ticket in tickets)
        {
            seen.Add(((await QueueApi.StatusAsync(api0, ticket)).GetProperty("position").GetInt32(), (await QueueApi.StatusAsync(api1, ticket)).GetProperty("position").GetInt32()));
        }

        foreach (var node in nodes)
        {
            node.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True((await second.Services.GetRequiredService<AdmitVisitors>().TickAsync()).Claimed); // 60 a minute: one
        var fromSecond = await QueueApi.StatusAsync(api1, tickets[0]);
        var token = fromSecond.GetProperty("admissionToken").GetString()!;
        using var holdOnFirst = await QueueApi.HoldAsync(api0, tickets[0], token);
        var sixth = (await QueueApi.StatusAsync(api0, tickets[5]), await QueueApi.StatusAsync(api1, tickets[5]));
        foreach (var node in nodes)
        {
            node.Clock.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.True((await first.Services.GetRequiredService<AdmitVisitors>().TickAsync()).Claimed); // ten more: up to 11
        foreach (var node in nodes)
        {
            node.Clock.Advance(TimeSpan.FromSeconds(2));
        }

        Assert.True((await second.Services.GetRequiredService<AdmitVisitors>().TickAsync()).Claimed); // two more: the browser's 13
        var admittedOnSecond = await browser.GetAsync("/queue?returnUrl=%2Fbook%2Fflu", node: 1);
        var bookOnFirst = await browser.GetAsync("/book/flu", node: 0);

        Assert.Equal(Enumerable.Range(1, 12).Select(i => (i, i)), seen);
        Assert.Equal("admitted", fromSecond.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, holdOnFirst.StatusCode); // admitted by the second instance, let through by the first
        Assert.Equal((5, 5), (sixth.Item1.GetProperty("position").GetInt32(), sixth.Item2.GetProperty("position").GetInt32()));
        Assert.Equal("/book/flu", admittedOnSecond.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, bookOnFirst.StatusCode);
    }

    private static async Task<HttpResponseMessage> StatusWithAsync(HttpClient client, string? ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queue/status");
        if (ticket is not null)
        {
            request.Headers.Add("X-Queue-Ticket", ticket);
        }

        return await client.SendAsync(request);
    }

    /// <summary>The same text with one character in the middle changed.</summary>
    private static string Alter(string text)
    {
        var middle = text.Length / 2;
        return text[..middle] + (text[middle] == 'A' ? 'B' : 'A') + text[(middle + 1)..];
    }
}
