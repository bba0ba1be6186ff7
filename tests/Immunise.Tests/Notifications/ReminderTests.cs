using Dapper;
using Immunise.Booking;
using Immunise.Notifications;
using Immunise.Storage;
using Immunise.Tests.Booking;
using Immunise.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Notifications;

/// <summary>
/// Reminders 3 days and 1 day before: only for appointments still booked, of people not vaccinated since they booked, made
/// before the reminder was due; each once. Booking messages themselves (confirmation, cancellation) go through the outbox.
/// </summary>
public sealed class ReminderTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RemindersGoOnce_ToWhoIsStillBooked_AndNotVaccinated(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var monday = await world.SlotIdsAsync((await world.SessionAsync()).Id);
        var thursday = await world.SlotIdsAsync((await world.SessionAsync(date: BookingWorld.Monday.AddDays(3))).Id);
        var people = await world.PeopleAsync(4);
        var kept = await BookAsync(world, people[0], monday[0], "+447700900001", "kept@example.test");
        var cancelled = await BookAsync(world, people[1], monday[1], "+447700900002", null);
        var vaccinated = await BookAsync(world, people[2], monday[2], "+447700900003", null);
        var later = await BookAsync(world, people[3], thursday[0], "+447700900004", null);
        BookingUseCaseTests.Ok(await world.Get<CancelBooking>().HandleAsync(new CancelBookingRequest(cancelled.Reference, BookingWorld.Born1940)));
        await VaccinateAsync(world, people[2]);
        var reminders = new AppointmentReminders(world.App.Database.Database, new NotificationOptions(), world.App.Clock);

        // Friday noon: Monday 09:00 is 69 hours away, but these were booked after its 3-day reminder was due.
        Assert.Equal(0, await reminders.RunOnceAsync());
        world.App.Clock.Now = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero); // Sunday 10:00: Monday is a day away
        Assert.Equal(2, await reminders.RunOnceAsync()); // the kept appointment, by text and email
        Assert.Equal(0, await reminders.RunOnceAsync());
        world.App.Clock.Now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero); // Monday 10:00: Thursday is 3 days away
        Assert.Equal(1, await reminders.RunOnceAsync());
        world.App.Clock.Now = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero); // Wednesday 10:00: Thursday is a day away
        Assert.Equal(1, await reminders.RunOnceAsync());

        var messages = await MessagesAsync(world.App.Database.Database);
        Assert.Equal(
            new[]
            {
                $"{cancelled.Reference} sms {MessageTemplates.BookingConfirmation}", $"{cancelled.Reference} sms {MessageTemplates.CancelledByYou}",
                $"{kept.Reference} email {MessageTemplates.BookingConfirmation}", $"{kept.Reference} email {MessageTemplates.Reminder}",
                $"{kept.Reference} sms {MessageTemplates.BookingConfirmation}", $"{kept.Reference} sms {MessageTemplates.Reminder}",
                $"{later.Reference} sms {MessageTemplates.BookingConfirmation}", $"{later.Reference} sms {MessageTemplates.Reminder}",
                $"{later.Reference} sms {MessageTemplates.Reminder}",
                $"{vaccinated.Reference} sms {MessageTemplates.BookingConfirmation}",
            }.Order(StringComparer.Ordinal),
            messages.Select(m => $"{m.Reference} {m.Channel} {m.Template}").Order(StringComparer.Ordinal));
        var reminder = messages.First(m => m.Reference == kept.Reference && m.Template == MessageTemplates.Reminder && m.Channel == "sms");
        Assert.Equal("Monday 23 November 2026 at 9am", reminder.Values["appointment_time"]);
        Assert.Equal("COVID-19", reminder.Values["vaccine"]);
    }

    private static async Task<Appointment> BookAsync(BookingWorld world, Immunise.People.NhsNumber nhs, long slot, string? mobile, string? email)
    {
        var held = BookingUseCaseTests.Ok(await world.Get<HoldSlot>().HandleAsync(new HoldSlotRequest(nhs, BookingWorld.Born1940, slot, "COVID:18+", null, null), "t"));
        return BookingUseCaseTests.Ok(await world.Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.HoldId, mobile, email)));
    }

    private static async Task VaccinateAsync(BookingWorld world, Immunise.People.NhsNumber nhs)
    {
        await using var connection = await world.App.Database.Database.OpenAsync();
        var product = await connection.QueryFirstAsync<string>("SELECT code FROM vaccine_products WHERE target_disease = 'COVID19' ORDER BY code");
        var at = world.App.Clock.GetUtcNow();
        await connection.ExecuteAsync(
            """
            INSERT INTO vaccination_events (id, nhs_number, target_disease, product_code, dose_number, occurred_at, occurred_on, site_ods_code, status, recorded_at, recorded_by)
            VALUES (@id, @nhs, 'COVID19', @product, 1, @at, @on, 'RXX01', 'completed', @at, 'test')
            """,
            new { id = Guid.NewGuid().ToString(), nhs = nhs.Value, product, at, on = DateOnly.FromDateTime(at.UtcDateTime) });
    }

    private static async Task<List<(string Reference, string Channel, string Template, Dictionary<string, string> Values)>> MessagesAsync(Database database)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<(string Channel, string Template, string Personalisation)>("SELECT channel, template, personalisation FROM notification_messages");
        return [.. rows.Select(r =>
        {
            var values = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(r.Personalisation)!;
            return (values["booking_reference"], r.Channel, r.Template, values);
        })];
    }
}
