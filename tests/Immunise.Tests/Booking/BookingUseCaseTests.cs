using Dapper;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Sites;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Immunise.Vaccines;

namespace Immunise.Tests.Booking;

/// <summary>The booking use cases (hold, confirm, cancel, move, look up, release lapsed holds) on SQLite and PostgreSQL.</summary>
public sealed class BookingUseCaseTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task HoldThenConfirm_EligiblePerson_BookedWithReferenceFoundByReferenceAndDateOfBirth(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync()).Id))[0];
        var nhs = await world.PersonAsync();

        var held = Ok(await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "covid:18+", Products.Comirnaty), "test"));
        var booked = Ok(await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.HoldId, "07700 900123", "sarah@example.com")));
        var found = Ok(await world.Get<GetBooking>().ByReferenceAsync(booked.Reference.ToLowerInvariant(), BookingWorld.Born1940));
        var wrongBirthday = await world.Get<GetBooking>().ByReferenceAsync(booked.Reference, new DateOnly(1940, 1, 2));

        Assert.Equal((BookingStatus.Held, 1, "COVID19", "COVID:18+"), (held.Status, held.DoseNumber, held.Programme, held.Service));
        Assert.Equal(ImmuniseApp.Now + HoldSlot.HoldFor, held.HoldExpiresAt);
        Assert.Matches($"^[{BookingReference.Alphabet}]{{8}}$", booked.Reference);
        Assert.Equal((BookingStatus.Booked, "07700900123", "sarah@example.com", Products.Comirnaty), (booked.Status, booked.Mobile, booked.Email, booked.ProductCode));
        Assert.Equal((booked.Reference, BookingWorld.Monday, "09:00", "LEEDS1"), (found.Reference, found.Date, found.StartTime, found.SiteOdsCode));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero), found.StartsAt); // GMT in November
        Assert.Equal("booking-not-found", wrongBirthday.Failure?.Code);
        Assert.Equal((2, 1, 1L), await world.SlotCountsAsync(slot));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task HoldSlot_SlotFull_SlotFullAndCapacityNeverPassed(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync(capacity: 2)).Id))[0];
        var people = await world.PeopleAsync(3);
        var hold = world.Get<HoldSlot>();

        var results = new List<Result<Appointment>>();
        foreach (var nhs in people)
        {
            results.Add(await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+"), "test"));
        }

        Assert.Equal<IEnumerable<string?>>([null, null, "slot-full"], results.Select(r => r.Failure?.Code));
        Assert.Equal((2, 2, 2L), await world.SlotCountsAsync(slot));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task HoldSlot_PersonHoldsAnotherTime_FirstHoldReleasedButASecondBookingOfTheDoseIsRefused(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slots = await world.SlotIdsAsync((await world.SessionAsync()).Id);
        var nhs = await world.PersonAsync();
        var hold = world.Get<HoldSlot>();

        var first = Ok(await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slots[0], "COVID:18+"), "test"));
        var second = Ok(await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slots[1], "COVID:18+"), "test"));
        Ok(await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(second.HoldId)));
        var third = await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slots[2], "COVID:18+"), "test");
        var firstAgain = await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(first.HoldId));

        Assert.Equal("already-booked", third.Failure?.Code);
        Assert.Equal("hold-expired", firstAgain.Failure?.Code);
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(slots[0]));
        Assert.Equal((2, 1, 1L), await world.SlotCountsAsync(slots[1]));
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(slots[2]));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task HoldSlot_BadRequests_StableCodesAndNothingHeld(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync(services: ["COVID:18+"])).Id))[0];
        var nhs = await world.PersonAsync();
        var young = await world.PersonAsync(new DateOnly(1990, 5, 5));
        var hold = world.Get<HoldSlot>();

        var codes = new[]
        {
            (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "MMR:1+"), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, 999_999, "COVID:18+"), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(nhs, new DateOnly(1941, 1, 1), slot, "COVID:18+"), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(NhsNumber.Parse("9434765919"), BookingWorld.Born1940, slot, "COVID:18+"), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "FLU:65+"), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+", "12345"), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+", Products.FluCellBased), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+", null, "ACDEFGHJ"), "t")).Failure?.Code,
            (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+", null, "0000"), "t")).Failure?.Code,
        };
        world.App.Clock.Now = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var started = (await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+"), "t")).Failure?.Code;

        Assert.Equal<IEnumerable<string?>>(
            ["invalid-service", "slot-not-found", "person-not-found", "person-not-found", "service-not-offered", "unknown-product",
             "product-not-available", "first-dose-not-found", "invalid-reference"],
            codes);
        Assert.Equal("slot-in-past", started);
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(slot));
        _ = young;
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task HoldSlot_ServiceForAnotherAgeBand_ServiceNotSuitable(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync(services: ["FLU:65+"])).Id))[0];
        var fifty = await world.PersonAsync(new DateOnly(1976, 5, 5));

        var result = await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(fifty, new DateOnly(1976, 5, 5), slot, "FLU:65+"), "t");

        Assert.Equal("service-not-suitable", result.Failure?.Code);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Hold_LapsesAfterFiveMinutes_ConfirmRefusedAndReleaserGivesThePlaceBack(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider, new Dictionary<string, string> { ["Booking:ReleaseExpiredHolds"] = "false" });
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync(capacity: 1)).Id))[0];
        var (alice, bob, carol) = ((await world.PeopleAsync(3))[0], (await world.PeopleAsync(1))[0], (await world.PeopleAsync(1))[0]);
        var hold = world.Get<HoldSlot>();
        var aliceHold = Ok(await hold.HandleAsync(new HoldSlotRequest(alice, BookingWorld.Born1940, slot, "COVID:18+"), "t"));
        var bobHold = Ok(await hold.HandleAsync(new HoldSlotRequest(bob, BookingWorld.Born1940, (await world.SlotIdsAsync((await world.SessionAsync(from: "11:00", until: "11:10", capacity: 1)).Id))[0], "COVID:18+"), "t"));

        world.App.Clock.Advance(TimeSpan.FromMinutes(5));
        var late = await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(aliceHold.HoldId));
        var carolTakesIt = await hold.HandleAsync(new HoldSlotRequest(carol, BookingWorld.Born1940, slot, "COVID:18+"), "t"); // sweeps Alice's lapsed hold
        var released = await world.Get<ReleaseExpiredHolds>().HandleAsync();

        Assert.Equal("hold-expired", late.Failure?.Code);
        Assert.True(carolTakesIt.Succeeded, carolTakesIt.Failure?.Code);
        Assert.Equal(1, released); // Bob's
        Assert.Equal((1, 1, 1L), await world.SlotCountsAsync(slot));
        Assert.Equal((1, 0, 0L), await world.SlotCountsAsync(bobHold.SlotId));
        Assert.Equal(0, await world.Get<ReleaseExpiredHolds>().HandleAsync());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ConfirmBooking_PersonDiedSinceTheHold_RefusedAndHoldReleased(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync()).Id))[0];
        var nhs = await world.PersonAsync();
        var held = Ok(await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+"), "t"));
        await using (var connection = await world.App.Database.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE people SET date_of_death = @died WHERE nhs_number = @nhs", new { died = new DateOnly(2026, 11, 20), nhs = nhs.Value });
        }

        var confirmed = await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.HoldId));

        Assert.Equal(BookingCheckCodes.Deceased, confirmed.Failure?.Code);
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(slot));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ConfirmBooking_BadInputOrTwice_StableCodesAndTheSameBookingAgain(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync()).Id))[0];
        var held = Ok(await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(await world.PersonAsync(), BookingWorld.Born1940, slot, "COVID:18+"), "t"));
        var confirm = world.Get<ConfirmBooking>();

        var codes = new[]
        {
            (await confirm.HandleAsync(new ConfirmBookingRequest("not-a-hold"))).Failure?.Code,
            (await confirm.HandleAsync(new ConfirmBookingRequest(new string('a', 32)))).Failure?.Code,
            (await confirm.HandleAsync(new ConfirmBookingRequest(held.HoldId, Mobile: "01632 960000"))).Failure?.Code,
            (await confirm.HandleAsync(new ConfirmBookingRequest(held.HoldId, Email: "not an email"))).Failure?.Code,
        };
        var once = Ok(await confirm.HandleAsync(new ConfirmBookingRequest(held.HoldId, "+44 7700 900123")));
        var twice = Ok(await confirm.HandleAsync(new ConfirmBookingRequest(held.HoldId, "+44 7700 900123")));

        Assert.Equal<IEnumerable<string?>>(["invalid-hold-id", "hold-not-found", "invalid-mobile", "invalid-email"], codes);
        Assert.Equal(once.Reference, twice.Reference);
        Assert.Equal((2, 1, 1L), await world.SlotCountsAsync(slot));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TwoDoseCourse_SecondDoseWithFirstDoseReference_SameProductInsideTheWindowAfterTheFirstIsConfirmed(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var monday = (await world.SlotIdsAsync((await world.SessionAsync()).Id))[0];
        var tooSoon = (await world.SlotIdsAsync((await world.SessionAsync(date: BookingWorld.Monday.AddDays(20))).Id))[0];
        var inWindow = (await world.SlotIdsAsync((await world.SessionAsync(date: BookingWorld.Monday.AddDays(56))).Id))[0];
        var nhs = await world.PersonAsync();
        var hold = world.Get<HoldSlot>();
        var confirm = world.Get<ConfirmBooking>();
        var first = Ok(await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, monday, "COVID:18+", Products.Vaxzevria), "t"));

        var early = await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, tooSoon, "COVID:18+", null, first.Reference), "t");
        var second = Ok(await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, inWindow, "COVID:18+", null, first.Reference), "t"));
        var secondBeforeFirst = await confirm.HandleAsync(new ConfirmBookingRequest(second.HoldId));
        var second2 = Ok(await hold.HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, inWindow, "COVID:18+", null, first.Reference), "t"));
        Ok(await confirm.HandleAsync(new ConfirmBookingRequest(first.HoldId)));
        var secondBooked = Ok(await confirm.HandleAsync(new ConfirmBookingRequest(second2.HoldId)));

        Assert.Equal(BookingCheckCodes.TooSoonAfterLastDose, early.Failure?.Code); // Vaxzevria: 28 days at least
        Assert.Equal((2, Products.Vaxzevria, first.Reference), (second.DoseNumber, second.ProductCode, second.FirstDoseReference));
        Assert.Equal("first-dose-not-booked", secondBeforeFirst.Failure?.Code);
        Assert.Equal((BookingStatus.Booked, 2, Products.Vaxzevria), (secondBooked.Status, secondBooked.DoseNumber, secondBooked.ProductCode));
        Assert.Equal(2, (await world.Get<GetBooking>().ActiveForPersonAsync(nhs, BookingWorld.Born1940)).Count);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task CancelBooking_FirstDose_PlaceGivenBackAndSecondDoseCancelledToo(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var monday = (await world.SlotIdsAsync((await world.SessionAsync()).Id))[0];
        var later = (await world.SlotIdsAsync((await world.SessionAsync(date: BookingWorld.Monday.AddDays(56))).Id))[0];
        var nhs = await world.PersonAsync();
        var first = await BookAsync(world, nhs, monday, Products.Comirnaty);
        var second = await BookAsync(world, nhs, later, null, first.Reference);

        var cancelled = Ok(await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(first.Reference, BookingWorld.Born1940)));
        var again = await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(first.Reference, BookingWorld.Born1940));
        var wrongBirthday = await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(second.Reference, new DateOnly(1950, 1, 1)));

        Assert.Equal((BookingStatus.Cancelled, "cancelled-by-citizen"), (cancelled.Status, cancelled.CancelReason));
        Assert.Equal("booking-not-active", again.Failure?.Code);
        Assert.Equal("booking-not-found", wrongBirthday.Failure?.Code);
        Assert.Equal(BookingStatus.Cancelled, Ok(await world.Get<GetBooking>().ByReferenceAsync(second.Reference, BookingWorld.Born1940)).Status);
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(monday));
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(later));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RescheduleBooking_ToAnotherSlot_MovesKeepingTheReference_FullSlotOrBrokenWindowChangeNothing(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        await world.SiteAsync("YORK1", "YO1 7HH");
        var slots = await world.SlotIdsAsync((await world.SessionAsync(capacity: 1)).Id);
        var york = (await world.SlotIdsAsync((await world.SessionAsync("YORK1", BookingWorld.Monday.AddDays(2))).Id))[0];
        var farLater = (await world.SlotIdsAsync((await world.SessionAsync(date: BookingWorld.Monday.AddDays(40))).Id))[0];
        var second = (await world.SlotIdsAsync((await world.SessionAsync(date: BookingWorld.Monday.AddDays(56))).Id))[0];
        var (nhs, other) = (await world.PersonAsync(), await world.PersonAsync());
        var booking = await BookAsync(world, nhs, slots[0], Products.Comirnaty);
        await BookAsync(world, other, slots[1], Products.Comirnaty);
        await BookAsync(world, nhs, second, null, booking.Reference);
        var move = world.Get<RescheduleBooking>();

        var toFull = await move.HandleAsync(new RescheduleBookingRequest(booking.Reference, BookingWorld.Born1940, slots[1]));
        var breaksWindow = await move.HandleAsync(new RescheduleBookingRequest(booking.Reference, BookingWorld.Born1940, farLater)); // 16 days before dose 2
        var moved = Ok(await move.HandleAsync(new RescheduleBookingRequest(booking.Reference, BookingWorld.Born1940, york)));

        Assert.Equal("slot-full", toFull.Failure?.Code);
        Assert.Equal("breaks-next-dose-window", breaksWindow.Failure?.Code);
        Assert.Equal((booking.Reference, "YORK1", BookingWorld.Monday.AddDays(2), BookingStatus.Booked), (moved.Reference, moved.SiteOdsCode, moved.Date, moved.Status));
        Assert.Equal((1, 0, 0L), await world.SlotCountsAsync(slots[0]));
        Assert.Equal((1, 1, 1L), await world.SlotCountsAsync(slots[1]));
        Assert.Equal((2, 1, 1L), await world.SlotCountsAsync(york));
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(farLater));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task HoldSlot_ReferenceAlreadyTaken_DrawsAnotherReference(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync()).Id))[0];
        var (first, second) = (await world.PersonAsync(), await world.PersonAsync());
        var drawn = new Queue<string>(["AAAAAAAA", "AAAAAAAA", "CCCCCCCC"]);
        var hold = new HoldSlot(world.App.Database.Database, world.Get<BookingCheck>(), VaccineCatalogue.Default, world.App.Clock) { NewReference = drawn.Dequeue };

        var a = Ok(await hold.HandleAsync(new HoldSlotRequest(first, BookingWorld.Born1940, slot, "COVID:18+"), "t"));
        var b = Ok(await hold.HandleAsync(new HoldSlotRequest(second, BookingWorld.Born1940, slot, "COVID:18+"), "t"));

        Assert.Equal(("AAAAAAAA", "CCCCCCCC"), (a.Reference, b.Reference));
        Assert.Equal((2, 2, 2L), await world.SlotCountsAsync(slot));
    }

    internal static async Task<Appointment> BookAsync(BookingWorld world, NhsNumber nhs, long slot, string? product, string? firstDose = null, string service = "COVID:18+")
    {
        var held = Ok(await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, service, product, firstDose), "t"));
        return Ok(await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.HoldId)));
    }

    internal static T Ok<T>(Result<T> result)
    {
        Assert.True(result.Succeeded, result.Failure?.Code + ": " + result.Failure?.Message);
        return result.Value!;
    }
}
