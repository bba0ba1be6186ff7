using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Records;
using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Booking;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;

namespace Immunise.Tests.SiteDay;

/// <summary>The site's day through its use cases, on SQLite and PostgreSQL: list, check-in, recording, not vaccinated, walk-ins.</summary>
public sealed class SiteDayUseCaseTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task List_TodaysBookingsAtTheSite_FilteredSearchedAndEachPersonShownAudited(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var ada = await world.PersonAsync();
        var bob = await world.PersonAsync();
        var cy = await world.PersonAsync();
        var elsewhere = await world.PersonAsync();
        var monday = await world.PersonAsync();
        await world.RenameAsync(ada, "Ada", "O'Neill");
        await world.RenameAsync(bob, "Bob", "Smith");
        await world.RenameAsync(cy, "Cy", "Smithson");
        var adaBooking = await world.BookAsync(ada, time: "13:10");
        var bobBooking = await world.BookAsync(bob, time: "13:00");
        var cyBooking = await world.BookAsync(cy, time: "13:20");
        await world.BookAsync(elsewhere, site: SiteDayWorld.OtherSite);
        await world.BookAsync(monday, day: BookingWorld.Monday, time: "09:00");
        var receptionist = await world.StaffAsync(StaffRole.Receptionist);
        Assert.True((await world.Get<CheckIn>().HandleAsync(SiteDayWorld.Site, adaBooking.Reference, receptionist)).Succeeded);
        Assert.True((await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(cyBooking.Reference, BookingWorld.Born1940))).Succeeded);
        var day = world.Get<GetSiteDay>();

        var all = Ok(await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site), receptionist.Actor));
        var checkedIn = Ok(await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, Status: "checked-in"), receptionist.Actor));
        var byName = Ok(await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, Search: "smith"), receptionist.Actor));
        var byApostrophe = Ok(await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, Search: "oneill"), receptionist.Actor));
        var byNhs = Ok(await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, Search: bob.Display), receptionist.Actor));
        var byReference = Ok(await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, Search: adaBooking.Reference.ToLowerInvariant()), receptionist.Actor));
        var onMonday = Ok(await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, BookingWorld.Monday), receptionist.Actor));

        Assert.Equal([bobBooking.Reference, adaBooking.Reference, cyBooking.Reference], all.Appointments.Select(a => a.Reference));
        Assert.Equal(["booked", "checked-in", "cancelled"], all.Appointments.Select(a => a.Status));
        Assert.Equal(1, all.Counts["booked"]);
        Assert.Equal(1, all.Counts["cancelled"]);
        Assert.Equal(3, all.Total);
        Assert.Equal("Site LEEDS1", all.SiteName);
        Assert.Equal(["13:00", "13:10", "13:20"], all.Appointments.Select(a => a.StartTime));
        Assert.Equal([adaBooking.Reference], checkedIn.Appointments.Select(a => a.Reference));
        Assert.Equal(3, checkedIn.Total);
        Assert.Equal([bobBooking.Reference, cyBooking.Reference], byName.Appointments.Select(a => a.Reference));
        Assert.Equal([adaBooking.Reference], byApostrophe.Appointments.Select(a => a.Reference));
        Assert.Equal([bobBooking.Reference], byNhs.Appointments.Select(a => a.Reference));
        Assert.Equal([adaBooking.Reference], byReference.Appointments.Select(a => a.Reference));
        Assert.Single(onMonday.Appointments);
        Assert.DoesNotContain(all.Appointments, a => a.NhsNumber == elsewhere);
        Assert.Contains("site-day.viewed", await world.AuditActionsAsync(bob));
        Assert.Equal(3, (await world.App.AuditFor(bob)).Count(e => e.Action == "site-day.viewed" && e.ActorId == receptionist.Id));
        Assert.DoesNotContain(await world.AuditActionsAsync(elsewhere), a => a == "site-day.viewed");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task List_BadInput_RefusedWithCodes(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var actor = Actor.System("test");
        var day = world.Get<GetSiteDay>();

        var codes = new[]
        {
            (await day.HandleAsync(new SiteDayQuery("NOSUCH"), actor)).Failure?.Code,
            (await day.HandleAsync(new SiteDayQuery("not a site!"), actor)).Failure?.Code,
            (await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, Status: "lost"), actor)).Failure?.Code,
            (await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, Search: "x"), actor)).Failure?.Code,
            (await day.HandleAsync(new SiteDayQuery(SiteDayWorld.Site, SiteDayWorld.Today.AddYears(2)), actor)).Failure?.Code,
        };

        Assert.Equal<IEnumerable<string?>>(["site-not-found", "site-not-found", "invalid-status", "invalid-search", "invalid-date"], codes);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task CheckIn_TodaysBooking_CheckedInWithTimeAndWhoAuditedOnceAndIdempotent(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        var booking = await world.BookAsync(nhs);
        var first = await world.StaffAsync(StaffRole.Receptionist);
        var second = await world.StaffAsync(StaffRole.SiteManager);

        var checkedIn = Ok(await world.Get<CheckIn>().HandleAsync(SiteDayWorld.Site, booking.Reference, first));
        world.App.Clock.Advance(TimeSpan.FromMinutes(3));
        var again = Ok(await world.Get<CheckIn>().HandleAsync(SiteDayWorld.Site, booking.Reference.ToLowerInvariant(), second));

        Assert.Equal(("checked-in", ImmuniseApp.Now, first.Id), (checkedIn.Status, checkedIn.CheckedInAt, checkedIn.CheckedInBy));
        Assert.Equal(("checked-in", ImmuniseApp.Now, first.Id), (again.Status, again.CheckedInAt, again.CheckedInBy));
        Assert.Equal("checked-in", await world.StatusAsync(booking.Reference));
        Assert.Single(await world.App.AuditFor(nhs), e => e.Action == "booking.checked-in" && e.ActorId == first.Id && e.ResourceId == booking.Reference);
        Assert.Equal("already-booked", (await world.Get<HoldSlot>().HandleAsync(
            new HoldSlotRequest(nhs, BookingWorld.Born1940, (await world.Booking.SlotIdsAsync(await SessionOnMondayAsync(world)))[1], "FLU:65+"), "t")).Failure?.Code);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task CheckIn_AnotherSitesDaysOrCancelledBooking_RefusedWithStableCodesAndNothingChanges(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var atOtherSite = await world.BookAsync(await world.PersonAsync(), site: SiteDayWorld.OtherSite);
        var onMonday = await world.BookAsync(await world.PersonAsync(), day: BookingWorld.Monday, time: "09:00");
        var cancelled = await world.BookAsync(await world.PersonAsync());
        Assert.True((await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(cancelled.Reference, BookingWorld.Born1940))).Succeeded);
        var receptionist = await world.StaffAsync(StaffRole.Receptionist);
        var checkIn = world.Get<CheckIn>();

        var failures = new[]
        {
            (await checkIn.HandleAsync(SiteDayWorld.Site, atOtherSite.Reference, receptionist)).Failure,
            (await checkIn.HandleAsync(SiteDayWorld.Site, onMonday.Reference, receptionist)).Failure,
            (await checkIn.HandleAsync(SiteDayWorld.Site, cancelled.Reference, receptionist)).Failure,
            (await checkIn.HandleAsync(SiteDayWorld.Site, "ACDEFGHJ", receptionist)).Failure,
            (await checkIn.HandleAsync(SiteDayWorld.Site, "nonsense", receptionist)).Failure,
        };

        Assert.Equal(["booking-at-another-site", "booking-not-today", "booking-cancelled", "booking-not-found", "invalid-reference"], failures.Select(f => f?.Code));
        Assert.Equal([FailureKind.Conflict, FailureKind.Conflict, FailureKind.Conflict, FailureKind.NotFound, FailureKind.Invalid], failures.Select(f => f!.Kind));
        Assert.Equal(("booked", "booked", "cancelled"),
            (await world.StatusAsync(atOtherSite.Reference), await world.StatusAsync(onMonday.Reference), await world.StatusAsync(cancelled.Reference)));
        Assert.Equal(0, await world.CountAsync("SELECT COUNT(*) FROM audit_events WHERE action = 'booking.checked-in'"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordForAppointment_WritesTheEventTakesTheDoseClosesTheBookingAndAuditsTogether(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        var booking = await world.BookAsync(nhs);
        var clinician = await world.StaffAsync(StaffRole.Clinician);

        var recorded = Ok(await world.Get<RecordSiteVaccination>().ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu(consent: "lasting-power-of-attorney"), clinician));

        var history = await world.Get<GetVaccinationHistory>().HandleAsync(new VaccinationHistoryQuery(nhs));
        var e = Assert.Single(history);
        Assert.Equal(recorded.Event.Id, e.Id);
        Assert.Equal((Products.FluCellBased, 1, "FLU", SiteDayWorld.Site, SiteDayWorld.FluBatch, new DateOnly(2027, 3, 31)),
            (e.ProductCode, e.DoseNumber, e.TargetDisease, e.SiteOdsCode, e.BatchNumber, e.BatchExpiry));
        Assert.Equal(("78421000", "368208006", "Test Person", $"staff:{clinician.Id}", ImmuniseApp.Now), (e.RouteCode, e.BodySiteCode, e.Performer, e.RecordedBy, e.OccurredAt));
        Assert.Equal("vaccinated", await world.StatusAsync(booking.Reference));
        Assert.Equal(1, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
        Assert.Equal(1, await world.CountAsync(
            "SELECT COUNT(*) FROM site_outcomes WHERE booking_id IS NOT NULL AND vaccination_event_id = @id AND consent = 'lasting-power-of-attorney' AND recorded_by = @by",
            new { id = e.Id, by = clinician.Id }));
        var audit = await world.App.AuditFor(nhs);
        Assert.Single(audit, a => a.Action == "vaccination.recorded" && a.ActorId == clinician.Id && a.ResourceId == e.Id);
        Assert.Single(audit, a => a.Action == "booking.vaccinated" && a.ResourceId == booking.Reference);
        Assert.Equal("vaccinated", recorded.Appointment!.Status);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordForAppointment_ExpiredUnknownEmptyOrWrongBatch_RefusedAndNothingChanges(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        var booking = await world.BookAsync(nhs);
        var clinician = await world.StaffAsync(StaffRole.Clinician);
        await world.AddExpiredBatchAsync(SiteDayWorld.Site, Products.FluCellBased, "OLD001");
        var empty = await world.ReceiveAsync(SiteDayWorld.Site, Products.FluCellBased, "EMPTY1", new DateOnly(2027, 1, 1), 1);
        Assert.True((await world.Get<Immunise.Stock.SiteStock>().RecordWastageAsync(SiteDayWorld.Site, empty.Id, 1, "damaged", Actor.System("test"))).Succeeded);
        await world.ReceiveAsync(SiteDayWorld.OtherSite, Products.FluCellBased, "YORK01", new DateOnly(2027, 1, 1), 5);
        var record = world.Get<RecordSiteVaccination>();

        var failures = new[]
        {
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu("OLD001"), clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu("NOSUCH"), clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu("EMPTY1"), clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu("YORK01"), clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu(SiteDayWorld.CovidBatch), clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Covid(), clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu() with { Consent = "a neighbour" }, clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu() with { Route = "nasal", BodySite = "nose" }, clinician)).Failure,
            (await record.ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu() with { BodySite = null }, clinician)).Failure,
        };

        Assert.Equal(
            ["batch-expired", "batch-unknown", "batch-empty", "batch-unknown", "batch-unknown", "product-not-suitable", "invalid-consent", "route-not-for-product",
             "missing-body-site"],
            failures.Select(f => f?.Code));
        Assert.Equal("booked", await world.StatusAsync(booking.Reference));
        Assert.Empty(await world.Get<GetVaccinationHistory>().HandleAsync(new VaccinationHistoryQuery(nhs)));
        Assert.Equal(0, await world.CountAsync("SELECT COALESCE(SUM(doses_used), 0) FROM stock_batches"));
        Assert.Equal(0, await world.CountAsync("SELECT COUNT(*) FROM site_outcomes"));
        Assert.DoesNotContain(await world.AuditActionsAsync(nhs), a => a is "vaccination.recorded" or "booking.vaccinated");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordForAppointment_DoseNumberComesFromTheRegistersHistory(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var secondCovid = await world.PersonAsync();
        await world.GivenAsync(secondCovid, Products.Comirnaty, new DateOnly(2026, 9, 1));
        var fluAgain = await world.PersonAsync();
        await world.GivenAsync(fluAgain, Products.FluCellBased, new DateOnly(2025, 10, 10)); // last season's
        var covidBooking = await world.BookAsync(secondCovid, "COVID:18+", product: Products.Comirnaty);
        var fluBooking = await world.BookAsync(fluAgain, time: "13:10");
        var clinician = await world.StaffAsync(StaffRole.Clinician);
        var record = world.Get<RecordSiteVaccination>();
        var planner = world.Get<VaccinationPlanner>();

        var covidPlan = Ok(await planner.ForAppointmentAsync(SiteDayWorld.Site, covidBooking.Reference, clinician.Actor));
        var covid = Ok(await record.ForAppointmentAsync(SiteDayWorld.Site, covidBooking.Reference, SiteDayWorld.Covid(), clinician));
        var flu = Ok(await record.ForAppointmentAsync(SiteDayWorld.Site, fluBooking.Reference, SiteDayWorld.Flu(), clinician));

        Assert.Equal(2, covidBooking.DoseNumber);
        Assert.Equal(2, covidPlan.DoseNumber);
        Assert.Equal([Products.Comirnaty], covidPlan.Products.Select(p => p.Code));
        Assert.Equal([SiteDayWorld.CovidBatch], covidPlan.Batches.Select(b => b.BatchNumber));
        Assert.Equal(2, covid.Event.DoseNumber);
        Assert.Equal(1, flu.Event.DoseNumber);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordForAppointment_TooSoonAfterADoseGivenElsewhere_RefusedThenNotVaccinatedRecorded(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        var booking = await world.BookAsync(nhs);
        await world.GivenAsync(nhs, Products.FluCellBased, new DateOnly(2026, 11, 18)); // after booking, at another site
        var clinician = await world.StaffAsync(StaffRole.Clinician);

        var planned = await world.Get<VaccinationPlanner>().ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, clinician.Actor);
        var refused = await world.Get<RecordSiteVaccination>().ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu(), clinician);
        var notVaccinated = Ok(await world.Get<RecordNotVaccinated>().HandleAsync(SiteDayWorld.Site, booking.Reference, "already-vaccinated", clinician));

        Assert.Equal("too-soon-after-last-dose", planned.Failure?.Code);
        Assert.Equal("too-soon-after-last-dose", refused.Failure?.Code);
        Assert.Equal(("not-vaccinated", "already-vaccinated"), (notVaccinated.Status, notVaccinated.NotVaccinatedReason));
        Assert.Equal(0, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task NotVaccinated_WithAReason_ClosesTheAppointmentAuditedAndThenNothingElseIsRecorded(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        var booking = await world.BookAsync(nhs);
        var clinician = await world.StaffAsync(StaffRole.Clinician);
        var receptionist = await world.StaffAsync(StaffRole.Receptionist);
        var notVaccinated = world.Get<RecordNotVaccinated>();

        var invalid = await notVaccinated.HandleAsync(SiteDayWorld.Site, booking.Reference, "bored", clinician);
        var recorded = Ok(await notVaccinated.HandleAsync(SiteDayWorld.Site, booking.Reference, "unwell", clinician));
        var again = Ok(await notVaccinated.HandleAsync(SiteDayWorld.Site, booking.Reference, "unwell", clinician));
        var otherReason = await notVaccinated.HandleAsync(SiteDayWorld.Site, booking.Reference, "refused", clinician);
        var vaccinate = await world.Get<RecordSiteVaccination>().ForAppointmentAsync(SiteDayWorld.Site, booking.Reference, SiteDayWorld.Flu(), clinician);
        var checkIn = await world.Get<CheckIn>().HandleAsync(SiteDayWorld.Site, booking.Reference, receptionist);

        Assert.Equal("invalid-reason", invalid.Failure?.Code);
        Assert.Equal(("not-vaccinated", "unwell", clinician.Id), (recorded.Status, recorded.NotVaccinatedReason, recorded.ClosedBy));
        Assert.Equal("unwell", again.NotVaccinatedReason);
        Assert.Equal(("appointment-closed", "appointment-closed", "appointment-closed"), (otherReason.Failure?.Code, vaccinate.Failure?.Code, checkIn.Failure?.Code));
        Assert.Single(await world.App.AuditFor(nhs), e => e.Action == "booking.not-vaccinated" && e.Purpose!.Contains("unwell", StringComparison.Ordinal));
        Assert.Equal(0, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
        Assert.Equal(1, await world.CountAsync("SELECT COUNT(*) FROM site_outcomes WHERE outcome = 'not-vaccinated' AND reason = 'unwell'"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WalkIn_FoundByNameAndDateOfBirth_EligibleAndRecordedWithoutABooking(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.PersonAsync();
        await world.RenameAsync(nhs, "Winifred", "Walker-Smith");
        var clinician = await world.StaffAsync(StaffRole.Clinician);
        var planner = world.Get<VaccinationPlanner>();
        var register = new Immunise.People.RegisterOptions();

        var found = await planner.FindAsync(new WalkInSearch(null, "win", "walker smith", BookingWorld.Born1940), register);
        var notFound = await planner.FindAsync(new WalkInSearch(null, "Winifred", "Walker-Smith", new DateOnly(1941, 1, 1)), register);
        var plan = Ok(await planner.ForWalkInAsync(SiteDayWorld.Site, found.Value, "FLU", clinician.Actor));
        var recorded = Ok(await world.Get<RecordSiteVaccination>().ForWalkInAsync(SiteDayWorld.Site,
            new WalkInVaccinationRequest(nhs, "FLU", SiteDayWorld.Flu()), clinician));

        Assert.Equal(nhs, found.Value);
        Assert.Equal("person-not-found", notFound.Failure?.Code);
        Assert.Equal((true, false, 1, "FLU:65+"), (plan.Eligibility!.Allowed, plan.NeedsOverride, plan.DoseNumber, plan.Service));
        Assert.Equal((1, false, "allowed"), (recorded.Event.DoseNumber, recorded.Overridden, recorded.EligibilityCode));
        Assert.Null(recorded.Appointment);
        Assert.Equal(1, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
        Assert.Equal(1, await world.CountAsync("SELECT COUNT(*) FROM site_outcomes WHERE booking_id IS NULL AND outcome = 'vaccinated' AND eligibility_code = 'allowed'"));
        var actions = await world.AuditActionsAsync(nhs);
        Assert.Contains("person.read", actions);
        Assert.Contains("vaccination.recorded", actions);
        Assert.DoesNotContain("eligibility.overridden", actions);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WalkIn_NotInTheCohort_RefusedUnlessTheClinicianRecordsWhy_ThenTheOverrideIsKeptAndAudited(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var nhs = await world.OutsideTheCohortAsync();
        var clinician = await world.StaffAsync(StaffRole.Clinician);
        var record = world.Get<RecordSiteVaccination>();

        var plan = Ok(await world.Get<VaccinationPlanner>().ForWalkInAsync(SiteDayWorld.Site, nhs, "FLU", clinician.Actor));
        var withoutReason = await record.ForWalkInAsync(SiteDayWorld.Site, new WalkInVaccinationRequest(nhs, "FLU", SiteDayWorld.Flu()), clinician);
        var shortReason = await record.ForWalkInAsync(SiteDayWorld.Site, new WalkInVaccinationRequest(nhs, "FLU", SiteDayWorld.Flu(), "ok"), clinician);
        var overridden = Ok(await record.ForWalkInAsync(SiteDayWorld.Site,
            new WalkInVaccinationRequest(nhs, "FLU", SiteDayWorld.Flu(), "Carer for a care home resident: GP letter seen"), clinician));

        Assert.Equal((false, true, "not-in-open-cohort"), (plan.Eligibility!.Allowed, plan.NeedsOverride, plan.Eligibility.Code));
        Assert.Equal(("not-in-open-cohort", "overrideReason"), (withoutReason.Failure?.Code, withoutReason.Failure?.Field));
        Assert.Equal("invalid-override-reason", shortReason.Failure?.Code);
        Assert.Equal((true, "not-in-open-cohort", 1), (overridden.Overridden, overridden.EligibilityCode, overridden.Event.DoseNumber));
        Assert.Equal(1, await world.CountAsync(
            "SELECT COUNT(*) FROM site_outcomes WHERE nhs_number = @nhs AND override_reason = 'Carer for a care home resident: GP letter seen'", new { nhs = nhs.Value }));
        Assert.Single(await world.App.AuditFor(nhs), e => e.Action == "eligibility.overridden" && e.ResourceId == overridden.OutcomeId);
        Assert.Equal(1, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WalkIn_RefusalsThatCannotBeOverriddenOrAnAppointmentHereToday_AreRefusedEvenWithAReason(DatabaseProvider provider)
    {
        await using var world = await SiteDayWorld.StartAsync(provider);
        var tooSoon = await world.PersonAsync();
        await world.GivenAsync(tooSoon, Products.FluCellBased, new DateOnly(2026, 11, 1));
        var booked = await world.PersonAsync();
        await world.BookAsync(booked);
        var young = await world.PersonAsync(new DateOnly(1990, 1, 1));
        var clinician = await world.StaffAsync(StaffRole.Clinician);
        var record = world.Get<RecordSiteVaccination>();
        const string reason = "I am sure this is right for them";

        var codes = new[]
        {
            (await record.ForWalkInAsync(SiteDayWorld.Site, new WalkInVaccinationRequest(tooSoon, "FLU", SiteDayWorld.Flu(), reason), clinician)).Failure?.Code,
            (await record.ForWalkInAsync(SiteDayWorld.Site, new WalkInVaccinationRequest(booked, "FLU", SiteDayWorld.Flu(), reason), clinician)).Failure?.Code,
            (await record.ForWalkInAsync(SiteDayWorld.Site, new WalkInVaccinationRequest(young, "RSV", SiteDayWorld.Flu(), reason), clinician)).Failure?.Code,
            (await record.ForWalkInAsync(SiteDayWorld.Site, new WalkInVaccinationRequest(young, "measles", SiteDayWorld.Flu(), reason), clinician)).Failure?.Code,
            (await record.ForWalkInAsync("NOSUCH", new WalkInVaccinationRequest(young, "FLU", SiteDayWorld.Flu(), reason), clinician)).Failure?.Code,
        };

        Assert.Equal<IEnumerable<string?>>(["too-soon-after-last-dose", "has-appointment-today", "service-not-offered", "invalid-programme", "site-not-found"], codes);
        Assert.Equal(0, await world.DosesUsedAsync(SiteDayWorld.FluBatch));
        Assert.Equal(0, await world.CountAsync("SELECT COUNT(*) FROM site_outcomes"));
    }

    private static async Task<string> SessionOnMondayAsync(SiteDayWorld world)
    {
        await using var connection = await world.Database.OpenAsync();
        return await connection.ExecuteScalarAsync<string>(
            "SELECT id FROM sessions WHERE site_ods_code = @site AND session_date = @day", new { site = SiteDayWorld.Site, day = BookingWorld.Monday }) ?? "";
    }

    internal static T Ok<T>(Result<T> result)
    {
        Assert.True(result.Succeeded, $"{result.Failure?.Code}: {result.Failure?.Message}");
        return result.Value!;
    }
}
