using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Booking;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Staff;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.SiteDay;

/// <summary>
/// Did-not-attend: after a site's day ends (30 minutes after its last session, or at midnight), appointments still booked or
/// checked in are marked, once each, audited; on SQLite and PostgreSQL, run directly, by two service instances racing, and
/// by the background worker.
/// </summary>
public sealed class DidNotAttendTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task MarkDidNotAttend_AfterEachSitesDayEnds_MarksOpenAppointmentsOnceAndLeavesTheRest(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        await world.Booking.SessionAsync(SiteDayWorld.OtherSite, SiteDayWorld.Today, "15:00", "16:00", services: ["FLU:65+"]);
        var booked = await world.BookAsync(await world.PersonAsync(), time: "13:00");
        var checkedIn = await world.BookAsync(await world.PersonAsync(), time: "13:00");
        var vaccinated = await world.BookAsync(await world.PersonAsync(), time: "13:10");
        var notVaccinated = await world.BookAsync(await world.PersonAsync(), time: "13:10");
        var cancelled = await world.BookAsync(await world.PersonAsync(), time: "13:20");
        var monday = await world.BookAsync(await world.PersonAsync(), day: BookingWorld.Monday, time: "09:00");
        var york = await world.BookAsync(await world.PersonAsync(), site: SiteDayWorld.OtherSite, time: "13:00");
        var clinician = await world.StaffAsync(StaffRole.Clinician);
        Assert.True((await world.Get<CheckIn>().HandleAsync(SiteDayWorld.Site, checkedIn.Reference, clinician)).Succeeded);
        Assert.True((await world.Get<RecordSiteVaccination>().ForAppointmentAsync(SiteDayWorld.Site, vaccinated.Reference, SiteDayWorld.Flu(), clinician)).Succeeded);
        Assert.True((await world.Get<RecordNotVaccinated>().HandleAsync(SiteDayWorld.Site, notVaccinated.Reference, "unwell", clinician)).Succeeded);
        Assert.True((await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(cancelled.Reference, BookingWorld.Born1940))).Succeeded);
        var mark = world.Get<MarkDidNotAttend>();
        var clock = world.App.Clock;

        var atNoon = await mark.HandleAsync();
        clock.Now = new DateTimeOffset(2026, 11, 20, 14, 20, 0, TimeSpan.Zero); // Leeds' session ended at 14:00: not yet 30 minutes
        var atTwenty = await mark.HandleAsync();
        clock.Now = new DateTimeOffset(2026, 11, 20, 14, 31, 0, TimeSpan.Zero);
        var afterLeedsDay = await mark.HandleAsync();
        var again = await mark.HandleAsync();
        var statusesThen = (await world.StatusAsync(booked.Reference), await world.StatusAsync(checkedIn.Reference), await world.StatusAsync(york.Reference));
        clock.Now = new DateTimeOffset(2026, 11, 21, 0, 1, 0, TimeSpan.Zero); // midnight: York's day is over too
        var afterMidnight = await mark.HandleAsync();

        Assert.Equal((0, 0, 2, 0, 1), (atNoon, atTwenty, afterLeedsDay, again, afterMidnight));
        Assert.Equal(("did-not-attend", "did-not-attend", "booked"), statusesThen);
        Assert.Equal(
            ["did-not-attend", "did-not-attend", "vaccinated", "not-vaccinated", "cancelled", "booked", "did-not-attend"],
            [
                await world.StatusAsync(booked.Reference), await world.StatusAsync(checkedIn.Reference), await world.StatusAsync(vaccinated.Reference),
                await world.StatusAsync(notVaccinated.Reference), await world.StatusAsync(cancelled.Reference), await world.StatusAsync(monday.Reference),
                await world.StatusAsync(york.Reference),
            ]);
        Assert.Single(await world.App.AuditFor(booked.NhsNumber), e => e.Action == "booking.did-not-attend" && e.ActorType == "system");
        Assert.Equal(3, await world.CountAsync("SELECT COUNT(*) FROM audit_events WHERE action = 'booking.did-not-attend'"));
        var day = (await world.Get<GetSiteDay>().HandleAsync(new SiteDayQuery(SiteDayWorld.Site, SiteDayWorld.Today), Actor.System("test"))).Value!;
        Assert.Equal(2, day.Counts["did-not-attend"]);
        var week = (await world.Get<Immunise.Availability.SiteSchedule>().WeekAsync(SiteDayWorld.Site, SiteDayWorld.Today)).Value!;
        var friday = Assert.Single(week.Days, d => d.Date == SiteDayWorld.Today);
        Assert.Equal((4, 1), (friday.Booked, friday.Cancelled)); // did not attend, vaccinated, not vaccinated: places still taken
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task MarkDidNotAttend_TwoServiceInstancesRacing_EachAppointmentMarkedAndAuditedOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var off = new Dictionary<string, string> { ["SiteDay:MarkDidNotAttend"] = "false" };
        await using var first = ImmuniseApp.StartOver(database, off);
        await using var second = ImmuniseApp.StartOver(database, off);
        var world = await BookingWorld.PrepareAsync(first);
        await world.SiteAsync(SiteDayWorld.Site);
        await world.SiteAsync(SiteDayWorld.OtherSite, "YO1 7HH");
        var slots = new List<long>();
        foreach (var site in new[] { SiteDayWorld.Site, SiteDayWorld.OtherSite })
        {
            slots.AddRange(await world.SlotIdsAsync((await world.SessionAsync(site, SiteDayWorld.Today, "13:00", "14:00", capacity: 4)).Id));
        }

        var people = await world.PeopleAsync(slots.Count * 4);
        for (var i = 0; i < people.Count; i++)
        {
            var held = await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(people[i], BookingWorld.Born1940, slots[i / 4], "COVID:18+"), "t");
            Assert.True((await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.Value!.HoldId))).Succeeded);
        }

        foreach (var app in new[] { first, second })
        {
            app.Clock.Now = new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
        }

        var marks = new[] { first.Services.GetRequiredService<MarkDidNotAttend>(), second.Services.GetRequiredService<MarkDidNotAttend>() };
        var counts = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => marks[i % 2].HandleAsync())));

        Assert.Equal(people.Count, counts.Sum());
        await using var connection = await database.Database.OpenAsync();
        Assert.Equal(people.Count, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bookings WHERE status = 'did-not-attend'"));
        Assert.Equal(people.Count, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'booking.did-not-attend'"));
        Assert.Equal(people.Count, await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT resource_id) FROM audit_events WHERE action = 'booking.did-not-attend'"));
        Assert.Equal((long)people.Count, await connection.ExecuteScalarAsync<long>("SELECT SUM(booked) FROM slots")); // the places stay taken
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Worker_WhenTheServiceStarts_MarksAppointmentsOfDaysThatHaveEnded(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        string reference;
        await using (var before = ImmuniseApp.StartOver(database, new Dictionary<string, string> { ["SiteDay:MarkDidNotAttend"] = "false" }))
        {
            before.Clock.Now = new DateTimeOffset(2026, 11, 18, 12, 0, 0, TimeSpan.Zero); // Wednesday
            var world = await BookingWorld.PrepareAsync(before);
            await world.SiteAsync(SiteDayWorld.Site);
            var slot = (await world.SlotIdsAsync((await world.SessionAsync(SiteDayWorld.Site, new DateOnly(2026, 11, 18), "13:00", "14:00")).Id))[0];
            var held = await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(await world.PersonAsync(), BookingWorld.Born1940, slot, "COVID:18+"), "t");
            reference = (await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.Value!.HoldId))).Value!.Reference;
        }

        await using var after = ImmuniseApp.StartOver(database, new Dictionary<string, string> { ["SiteDay:MarkDidNotAttend"] = "true" }); // Friday

        var status = "";
        for (var attempt = 0; attempt < 300 && status != "did-not-attend"; attempt++)
        {
            await Task.Delay(100);
            await using var connection = await database.Database.OpenAsync();
            status = await connection.ExecuteScalarAsync<string>("SELECT status FROM bookings WHERE reference = @reference", new { reference }) ?? "";
        }

        Assert.Equal("did-not-attend", status);
        Assert.Contains(after.Logs.Lines, l => l.Contains("[7101] Marked 1 appointments did-not-attend", StringComparison.Ordinal));
    }
}
