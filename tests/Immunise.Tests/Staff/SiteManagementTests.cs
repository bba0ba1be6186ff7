using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Booking;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;
using static Immunise.Tests.Booking.BookingUseCaseTests;

namespace Immunise.Tests.Staff;

/// <summary>
/// Site management (docs/staff.md, "Managing a site") through its use cases and the HTTP API: sessions may not overlap, an
/// offline site is hidden from citizens and refuses holds while its bookings stay, and a week's figures add up against the
/// bookings made. Now is Friday 20 November 2026, 12:00 UTC; Monday is the 23rd.
/// </summary>
public sealed class SiteManagementTests
{
    private static readonly DateOnly Monday = BookingWorld.Monday;

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task PublishEditAndTemplate_OverlappingAnActiveSession_RefusedWithSessionOverlapsAndNothingStored(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var publish = world.Get<PublishSessions>();
        var morning = await world.SessionAsync(from: "09:00", until: "12:00");
        var tuesday = await world.SessionAsync(date: Monday.AddDays(1), from: "09:00", until: "12:00");
        Ok(await world.Get<CancelSessions>().SessionAsync(tuesday.Id));
        var before = await CountAsync(world, "SELECT COUNT(*) FROM sessions");

        var overlapping = await publish.CreateAsync("LEEDS1", Details(Monday, "11:00", "13:00"));
        var inside = await publish.CreateAsync("LEEDS1", Details(Monday, "10:00", "10:30"));
        var touching = await publish.CreateAsync("LEEDS1", Details(Monday, "12:00", "13:00"));
        var overCancelled = await publish.CreateAsync("LEEDS1", Details(Monday.AddDays(1), "09:00", "12:00"));
        var otherSite = await world.SiteAsync("YORK1", "YO1 7HH");
        var sameTimesElsewhere = await publish.CreateAsync("YORK1", Details(Monday, "09:00", "12:00"));
        var editedOver = await world.Get<EditSession>().HandleAsync(touching.Value!.Id, Details(null, "11:30", "13:00"));
        var editedLater = await world.Get<EditSession>().HandleAsync(touching.Value.Id, Details(null, "12:00", "13:30"));
        var editedItself = await world.Get<EditSession>().HandleAsync(morning.Id, Details(null, "08:30", "12:00"));
        var template = await publish.ApplyTemplateAsync("LEEDS1", new WeeklyTemplate(Monday, Monday.AddDays(13),
            [new WeeklySession(["monday", "thursday"], "13:00", "14:00", 10, 1, ["COVID:18+"])]), "test");
        var clashingTemplate = await publish.ApplyTemplateAsync("LEEDS1", new WeeklyTemplate(Monday.AddDays(2), Monday.AddDays(9),
            [new WeeklySession(["monday", "wednesday"], "15:00", "16:00", 10, 1, ["COVID:18+"]), new WeeklySession(["wednesday"], "15:30", "17:00", 10, 1, ["COVID:18+"])]), "test");

        Assert.Equal(("session-overlaps", FailureKind.Conflict), (overlapping.Failure?.Code, overlapping.Failure?.Kind));
        Assert.Contains("from 09:00 to 12:00", overlapping.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal("session-overlaps", inside.Failure?.Code);
        Assert.True(touching.Succeeded, touching.Failure?.Code);
        Assert.True(overCancelled.Succeeded, overCancelled.Failure?.Code);
        Assert.True(sameTimesElsewhere.Succeeded, sameTimesElsewhere.Failure?.Code);
        Assert.Equal("session-overlaps", editedOver.Failure?.Code);
        Assert.Equal("13:30", editedLater.Value!.Sessions[0].Until);
        Assert.Equal("08:30", editedItself.Value!.Sessions[0].From);
        Assert.Equal("session-overlaps", template.Failure?.Code); // Monday 30th 13:00 clashes with nothing, but Monday 23rd 12:00-13:30 does
        Assert.Equal("sessions-overlap", clashingTemplate.Failure?.Code);
        Assert.Equal(before + 3, await CountAsync(world, "SELECT COUNT(*) FROM sessions"));
        Assert.Equal(0, await CountAsync(world, "SELECT COUNT(*) FROM session_templates"));
        Assert.Equal(otherSite.OdsCode, (await world.Get<GetSites>().FindAsync("YORK1"))!.OdsCode);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_SessionOrTemplateOverlappingASession_Answers409SessionOverlaps(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        await world.SessionAsync(from: "09:00", until: "12:00");
        var staff = await world.App.ClientAsync(Scopes.SitesWrite);

        var session = await staff.PostAsJsonAsync("/api/v1/sites/LEEDS1/sessions",
            new { date = "2026-11-23", from = "11:50", until = "12:30", slotMinutes = 10, capacity = 1, services = new[] { "COVID:18+" } });
        var template = await staff.PostAsJsonAsync("/api/v1/sites/LEEDS1/templates", new
        {
            from = "2026-11-23", to = "2026-11-29",
            sessions = new[] { new { days = new[] { "monday" }, from = "08:00", until = "09:10", slotMinutes = 10, capacity = 1, services = new[] { "COVID:18+" } } },
        });
        var touching = await staff.PostAsJsonAsync("/api/v1/sites/LEEDS1/sessions",
            new { date = "2026-11-23", from = "12:00", until = "12:30", slotMinutes = 10, capacity = 1, services = new[] { "COVID:18+" } });

        Assert.Equal((HttpStatusCode.Conflict, "session-overlaps", "from"), await ProblemAsync(session));
        Assert.Equal((HttpStatusCode.Conflict, "session-overlaps", "from"), await ProblemAsync(template));
        Assert.Equal(HttpStatusCode.Created, touching.StatusCode);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Race_OverlappingSessionsPublishedAtOnce_ExactlyOneIsStored(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider, kestrel: true);
        await world.SiteAsync();
        var staff = await world.App.ClientAsync(Scopes.SitesWrite);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var racers = Enumerable.Range(0, 12).Select(async i =>
        {
            await gate.Task;
            // Every one overlaps every other: they all cover 10:00 to 10:30.
            var from = $"{9 + (i % 2):00}:{(i % 3) * 10:00}";
            var response = await staff.PostAsJsonAsync("/api/v1/sites/LEEDS1/sessions",
                new { date = "2026-11-23", from, until = "10:30", slotMinutes = 10, capacity = 1, services = new[] { "COVID:18+" } });
            return response.StatusCode == HttpStatusCode.Created ? "created" : (await ProblemAsync(response)).Code;
        }).ToList();
        gate.SetResult();
        var outcomes = await Task.WhenAll(racers);

        Assert.Equal(1, outcomes.Count(o => o == "created"));
        Assert.All(outcomes.Where(o => o != "created"), o => Assert.Equal("session-overlaps", o));
        Assert.Equal(1, await CountAsync(world, "SELECT COUNT(*) FROM sessions WHERE status = 'active'"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task OfflineSite_HiddenFromSearchAvailabilityAndSlots_HoldsAndMovesRefused_ItsBookingsStay(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        await world.SiteAsync("LEEDS2", "LS6 2QE");
        var leeds = await world.SlotIdsAsync((await world.SessionAsync(capacity: 2)).Id);
        await world.SessionAsync("LEEDS2");
        var booked = await BookAsync(world, await world.PersonAsync(), leeds[0], null);
        var someoneElse = await world.PersonAsync();
        var actor = Actor.Staff("manager-1");
        var setStatus = world.Get<SetSiteStatus>();

        var offline = Ok(await setStatus.HandleAsync("leeds1", "offline", actor));
        var again = Ok(await setStatus.HandleAsync("LEEDS1", "Offline", actor));
        var found = Ok(await world.Get<FindSites>().HandleAsync(new FindSitesRequest("LS1 4AP", "COVID:18+")));
        var availability = Ok(await world.Get<GetAvailability>().HandleAsync(new AvailabilityQuery("LEEDS1", Monday, Monday)));
        var slots = Ok(await world.Get<SearchSlots>().HandleAsync(new SlotSearch("LEEDS1", ImmuniseApp.Now, ImmuniseApp.Now.AddDays(7), Free: true, Busy: true)));
        var hold = await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(someoneElse, BookingWorld.Born1940, leeds[1], "COVID:18+"), "t");
        var move = await world.Get<RescheduleBooking>().HandleAsync(new RescheduleBookingRequest(booked.Reference, BookingWorld.Born1940, leeds[2]));
        var stillBooked = Ok(await world.Get<GetBooking>().ByReferenceAsync(booked.Reference, BookingWorld.Born1940));
        var invalid = await setStatus.HandleAsync("LEEDS1", "closed", actor);
        var unknown = await setStatus.HandleAsync("NOSUCH", "offline", actor);

        Assert.True(offline.Changed);
        Assert.Equal(("offline", 1), (offline.Site.Status, offline.BookingsAhead));
        Assert.False(again.Changed);
        Assert.Equal(["LEEDS2"], found.Sites.Select(s => s.Site.OdsCode));
        Assert.Empty(availability.Days);
        Assert.Empty(slots);
        Assert.Equal(("site-offline", FailureKind.Conflict), (hold.Failure?.Code, hold.Failure?.Kind));
        Assert.Equal("site-offline", move.Failure?.Code);
        Assert.Equal("booked", stillBooked.Status);
        Assert.Equal(leeds[0], stillBooked.SlotId);
        Assert.Equal("invalid-status", invalid.Failure?.Code);
        Assert.Equal("site-not-found", unknown.Failure?.Code);
        Assert.Equal((2, 1, 1L), await world.SlotCountsAsync(leeds[0]));
        var audited = await AuditAsync(world, "site.taken-offline");
        Assert.Equal(("manager-1", "LEEDS1", "confirmed appointments from today: 1"), Assert.Single(audited));

        var online = Ok(await setStatus.HandleAsync("LEEDS1", "online", actor));
        var heldNow = await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(someoneElse, BookingWorld.Born1940, leeds[1], "COVID:18+"), "t");

        Assert.True(online.Changed);
        Assert.True(heldNow.Succeeded, heldNow.Failure?.Code);
        Assert.Single(await AuditAsync(world, "site.back-online"));
        Assert.Contains("LEEDS1", Ok(await world.Get<FindSites>().HandleAsync(new FindSitesRequest("LS1 4AP", "COVID:18+"))).Sites.Select(s => s.Site.OdsCode));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WeekFigures_AgainstTheBookingsMade_CapacityBookedHeldCancelledAndRemaining(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var monday = await world.SessionAsync(from: "09:00", until: "10:00", slotMinutes: 10, capacity: 2);      // 6 slots, 12 places
        var tuesday = await world.SessionAsync(date: Monday.AddDays(1), from: "09:00", until: "09:30", capacity: 1); // 3 places
        var wednesday = await world.SessionAsync(date: Monday.AddDays(2), from: "14:00", until: "14:20", capacity: 1);
        await world.SessionAsync(date: Monday.AddDays(7)); // the next week: not counted
        var slots = await world.SlotIdsAsync(monday.Id);
        var hold = world.Get<HoldSlot>();
        await BookAsync(world, await world.PersonAsync(), slots[0], null);
        await BookAsync(world, await world.PersonAsync(), slots[0], null);
        await BookAsync(world, await world.PersonAsync(), slots[1], null);
        var changedMind = await BookAsync(world, await world.PersonAsync(), slots[3], null);
        Ok(await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(changedMind.Reference, BookingWorld.Born1940)));
        Ok(await hold.HandleAsync(new HoldSlotRequest(await world.PersonAsync(), BookingWorld.Born1940, slots[2], "COVID:18+"), "t")); // lapses
        world.App.Clock.Advance(TimeSpan.FromMinutes(6));
        Ok(await hold.HandleAsync(new HoldSlotRequest(await world.PersonAsync(), BookingWorld.Born1940, slots[4], "COVID:18+"), "t")); // live
        await BookAsync(world, await world.PersonAsync(), (await world.SlotIdsAsync(tuesday.Id))[2], null);
        await BookAsync(world, await world.PersonAsync(), (await world.SlotIdsAsync(wednesday.Id))[0], null);
        Ok(await world.Get<CancelSessions>().SessionAsync(wednesday.Id));
        var schedule = world.Get<SiteSchedule>();

        var week = Ok(await schedule.WeekAsync("LEEDS1", Monday.AddDays(3)));

        Assert.Equal(Monday, week.Monday);
        Assert.Equal(7, week.Days.Count);
        Assert.Equal(["09:00", "09:00", "14:00"], week.Sessions.Select(s => s.Session.From));
        Assert.Equal(new DayFigures(Monday, 1, 12, 3, 1, 1, 8), week.Days[0]);
        Assert.Equal(new DayFigures(Monday.AddDays(1), 1, 3, 1, 0, 0, 2), week.Days[1]);
        Assert.Equal(new DayFigures(Monday.AddDays(2), 0, 0, 0, 0, 1, 0), week.Days[2]);
        Assert.All(week.Days.Skip(3), d => Assert.Equal((0, 0), (d.Sessions, d.Capacity)));
        Assert.Equal(new DayFigures(Monday, 2, 15, 4, 1, 2, 10), week.Total);
        Assert.Equal((0, 0, 0, 1, 0), Figures(week.Sessions[2]));
        Assert.Equal(4, await schedule.BookingsAheadAsync("LEEDS1")); // Monday's three and Tuesday's one (Wednesday's was cancelled)

        world.App.Clock.Now = new DateTimeOffset(2026, 11, 23, 9, 25, 0, TimeSpan.Zero); // Monday 09:25: three of its slots have started

        var during = Ok(await schedule.WeekAsync("LEEDS1", Monday));

        Assert.Equal(new DayFigures(Monday, 1, 12, 3, 0, 1, 6), during.Days[0]); // 09:30 (free after the cancellation), 09:40, 09:50: 2 each
    }

    [Theory]
    [InlineData("0113 496 0000", true)]
    [InlineData("01134960000", true)]
    [InlineData("020 7946 0000", true)]
    [InlineData("+44 113 496 0000", true)]
    [InlineData("+44 (0)113 496-0000", true)]
    [InlineData("07700 900123", true)]
    [InlineData("12345", false)]
    [InlineData("0113 496", false)]
    [InlineData("00 44 113 496 0000", false)]
    [InlineData("0113 496 0000 ext 2", false)]
    [InlineData("call us", false)]
    public void SitePhone_UkNumbersAsPeopleWriteThem(string phone, bool valid) => Assert.Equal(valid, SiteRules.TryParsePhone(phone, out _));

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportSites_PhoneAndEmailColumns_StoredOrRejectedWithACode(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        var csv = string.Join("\n",
            "ods_code,name,type,address,postcode,services,phone,email",
            "LEEDS9,Leeds Nine,gp-led,1 Street,LS1 4AP,COVID:18+,0113  496 0000,jabs@example.nhs.uk",
            "LEEDS8,Leeds Eight,gp-led,1 Street,LS1 4AP,COVID:18+,not a phone,",
            "LEEDS7,Leeds Seven,gp-led,1 Street,LS1 4AP,COVID:18+,,not-an-email",
            "");

        var summary = Ok(await new ImportSites(world.App.Database.Database, world.App.Clock, Vaccines.VaccineCatalogue.Default).ImportCsvAsync(new StringReader(csv)));
        var site = (await world.Get<GetSites>().FindAsync("LEEDS9"))!;

        Assert.Equal(1L, summary.Inserted);
        Assert.Equal(("0113 496 0000", "jabs@example.nhs.uk"), (site.Phone, site.Email));
        Assert.Equal(["invalid-phone", "invalid-email"], summary.Rejections.Select(r => r.Code));
    }

    private static (int, int, int, int, int) Figures(SessionFigures f) => (f.Capacity, f.Booked, f.Held, f.Cancelled, f.Remaining);

    private static SessionDetails Details(DateOnly? date, string from, string until) => new(date, from, until, 10, 1, ["COVID:18+"]);

    private static async Task<int> CountAsync(BookingWorld world, string sql)
    {
        await using var connection = await world.App.Database.Database.OpenAsync();
        return (int)await connection.ExecuteScalarAsync<long>(sql);
    }

    internal static async Task<IReadOnlyList<(string ActorId, string? ResourceId, string? Purpose)>> AuditAsync(BookingWorld world, string action)
    {
        await world.App.Services.GetRequiredService<AuditLog>().FlushAsync();
        await using var connection = await world.App.Database.Database.OpenAsync();
        return (await connection.QueryAsync<(string, string?, string?)>(
            "SELECT actor_id, resource_id, purpose FROM audit_events WHERE action = @action ORDER BY id", new { action })).ToList();
    }

    internal static async Task<(HttpStatusCode Status, string Code, string? Field)> ProblemAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, problem.GetProperty("code").GetString()!, problem.TryGetProperty("field", out var field) ? field.GetString() : null);
    }
}
