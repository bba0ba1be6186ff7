using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Immunise.Access;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;

namespace Immunise.Tests.Booking;

/// <summary><c>/api/v1/sites</c> and <c>/api/v1/bookings</c> over HTTP, on SQLite and PostgreSQL.</summary>
public sealed class BookingApiTests
{
    internal static readonly string Monday = BookingWorld.Monday.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_SiteSessionSearchHoldConfirmLookUpMoveCancel_TheWholeRoundAudited(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        var staff = await world.App.ClientAsync(Scopes.SitesWrite, Scopes.BookingRead);
        var system = await world.App.ClientAsync(Scopes.BookingRead, Scopes.BookingWrite);
        var nhs = await world.PersonAsync();

        var created = await staff.PostAsJsonAsync("/api/v1/sites", new
        {
            odsCode = "rr8ab", name = "Leeds Vaccination Centre", type = "vaccination-centre", address = "Thackray Museum, Leeds",
            postcode = "ls14ap", accessibility = new[] { "step-free-access", "bsl-interpreter" }, services = new[] { "COVID:18+" },
        });
        var updated = await staff.PutAsJsonAsync("/api/v1/sites/RR8AB", new
        {
            name = "Leeds Vaccination Centre", type = "vaccination-centre", address = "Thackray Museum, Beckett Street, Leeds",
            postcode = "LS1 4AP", accessibility = new[] { "step-free-access" }, services = new[] { "COVID:18+", "FLU:65+" }, status = "online",
        });
        var session = await staff.PostAsJsonAsync("/api/v1/sites/RR8AB/sessions", new { date = Monday, from = "09:00", until = "12:00", slotMinutes = 15, capacity = 3, services = new[] { "COVID:18+" } });
        var search = await Json(await system.PostAsJsonAsync("/api/v1/sites/search", new { postcode = "LS6 2QE", service = "COVID:18+" }));
        var availability = await Json(await system.GetAsync($"/api/v1/sites/RR8AB/availability?from={Monday}&to={Monday}&service=COVID:18%2B"));
        var slots = availability.GetProperty("days")[0].GetProperty("slots");
        var hold = await system.PostAsJsonAsync("/api/v1/bookings/holds", new { nhsNumber = nhs.Value, dateOfBirth = "1940-01-01", slotId = slots[0].GetProperty("slotId").GetInt64(), service = "COVID:18+" });
        var held = await Json(hold);
        var confirmed = await Json(await system.PostAsJsonAsync("/api/v1/bookings/confirm", new { holdId = held.GetProperty("holdId").GetString(), mobile = "07700900123" }));
        var reference = confirmed.GetProperty("reference").GetString();
        var lookedUp = await Json(await system.PostAsJsonAsync("/api/v1/bookings/lookup", new { reference, dateOfBirth = "1940-01-01" }));
        var moved = await Json(await system.PostAsJsonAsync("/api/v1/bookings/reschedule", new { reference, dateOfBirth = "1940-01-01", slotId = slots[2].GetProperty("slotId").GetInt64() }));
        var listed = await Json(await system.PostAsJsonAsync("/api/v1/bookings/search", new { nhsNumber = nhs.Value }));
        var cancelled = await Json(await system.PostAsJsonAsync("/api/v1/bookings/cancel", new { reference, dateOfBirth = "1940-01-01" }));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Created, session.StatusCode);
        var site = await Json(updated);
        Assert.Equal(("Thackray Museum, Beckett Street, Leeds", "Y63", 2), (site.GetProperty("address").GetString(), site.GetProperty("regionOdsCode").GetString(), site.GetProperty("services").GetArrayLength()));
        Assert.Equal(("RR8AB", Monday), (search.GetProperty("sites")[0].GetProperty("site").GetProperty("odsCode").GetString(), search.GetProperty("sites")[0].GetProperty("nextFreeDate").GetString()));
        Assert.Equal(12, slots.GetArrayLength());
        Assert.Equal((3, "09:15"), (slots[0].GetProperty("free").GetInt32(), slots[0].GetProperty("until").GetString()));
        Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        Assert.Equal(("held", 1), (held.GetProperty("status").GetString(), held.GetProperty("doseNumber").GetInt32()));
        Assert.Equal(("booked", JsonValueKind.Null), (confirmed.GetProperty("status").GetString(), confirmed.GetProperty("holdId").ValueKind));
        Assert.Equal(("booked", "09:00", "Leeds Vaccination Centre"), (lookedUp.GetProperty("status").GetString(), lookedUp.GetProperty("time").GetString(), lookedUp.GetProperty("site").GetProperty("name").GetString()));
        Assert.Equal((reference, "09:30"), (moved.GetProperty("reference").GetString(), moved.GetProperty("time").GetString()));
        Assert.Equal(1, listed.GetProperty("count").GetInt32());
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(
            ["booking.held", "booking.confirmed", "booking.read", "booking.moved", "bookings.read", "booking.cancelled"],
            (await world.App.AuditFor(nhs)).OrderBy(a => a.Id).Select(a => a.Action));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_BadInputOfEveryKind_4xxWithStableCodeAndNothingChanged(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync()).Id))[0];
        var nhs = (await world.PersonAsync()).Value;
        var client = await world.App.ClientAsync(Scopes.BookingRead, Scopes.BookingWrite);
        var readOnly = await world.App.ClientAsync(Scopes.BookingRead);
        var staff = await world.App.ClientAsync(Scopes.SitesWrite);

        var cases = new (HttpClient Client, string Path, string Body, HttpStatusCode Status, string Code)[]
        {
            (client, "/api/v1/bookings/holds", "{not json", HttpStatusCode.BadRequest, "malformed-json"),
            (client, "/api/v1/bookings/holds", "", HttpStatusCode.BadRequest, "bad-request"),
            (client, "/api/v1/bookings/holds", """{"nhsNumber":"9434765918","dateOfBirth":"1940-01-01","slotId":1,"service":"COVID:18+"}""", HttpStatusCode.BadRequest, "invalid-nhs-number"),
            (client, "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"01/01/1940","slotId":{{slot}},"service":"COVID:18+"}""", HttpStatusCode.BadRequest, "invalid-date-of-birth"),
            (client, "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"1940-01-01","service":"COVID:18+"}""", HttpStatusCode.BadRequest, "invalid-slot-id"),
            (client, "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"1940-01-01","slotId":"x","service":"COVID:18+"}""", HttpStatusCode.BadRequest, "malformed-json"),
            (client, "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"1940-01-01","slotId":{{slot}},"service":"COVID:99+"}""", HttpStatusCode.BadRequest, "invalid-service"),
            (client, "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"1940-01-01","slotId":-5,"service":"COVID:18+"}""", HttpStatusCode.NotFound, "slot-not-found"),
            (client, "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"1941-01-01","slotId":{{slot}},"service":"COVID:18+"}""", HttpStatusCode.NotFound, "person-not-found"),
            (client, "/api/v1/bookings/confirm", """{"holdId":"'; DROP TABLE bookings; --"}""", HttpStatusCode.BadRequest, "invalid-hold-id"),
            (client, "/api/v1/bookings/confirm", $$"""{"holdId":"{{new string('f', 32)}}"}""", HttpStatusCode.NotFound, "hold-not-found"),
            (client, "/api/v1/bookings/cancel", """{"reference":"ABC","dateOfBirth":"1940-01-01"}""", HttpStatusCode.BadRequest, "invalid-reference"),
            (client, "/api/v1/bookings/cancel", """{"reference":"ACDEFGHJ","dateOfBirth":"1940-01-01"}""", HttpStatusCode.NotFound, "booking-not-found"),
            (client, "/api/v1/bookings/cancel", """{"reference":"ACDEFGHJ"}""", HttpStatusCode.BadRequest, "invalid-date-of-birth"),
            (client, "/api/v1/bookings/reschedule", """{"reference":"ACDEFGHJ","dateOfBirth":"1940-01-01"}""", HttpStatusCode.BadRequest, "invalid-slot-id"),
            (client, "/api/v1/bookings/lookup", """{"reference":"ACDEFGHJ","dateOfBirth":"1940-13-01"}""", HttpStatusCode.BadRequest, "invalid-date-of-birth"),
            (client, "/api/v1/bookings/search", """{"nhsNumber":"123"}""", HttpStatusCode.BadRequest, "invalid-nhs-number"),
            (client, "/api/v1/sites/search", """{"postcode":"nowhere","service":"COVID:18+"}""", HttpStatusCode.BadRequest, "invalid-postcode"),
            (client, "/api/v1/sites/search", """{"postcode":"LS1 4AP","service":"COVID:18+","limit":1000}""", HttpStatusCode.BadRequest, "invalid-limit"),
            (readOnly, "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"1940-01-01","slotId":{{slot}},"service":"COVID:18+"}""", HttpStatusCode.Forbidden, "forbidden"),
            (world.App.Anonymous(), "/api/v1/bookings/holds", $$"""{"nhsNumber":"{{nhs}}","dateOfBirth":"1940-01-01","slotId":{{slot}},"service":"COVID:18+"}""", HttpStatusCode.Unauthorized, "unauthenticated"),
            (client, "/api/v1/sites", """{"odsCode":"NEW1","name":"x","type":"vaccination-centre","address":"x","postcode":"LS1 4AP","services":["COVID:18+"]}""", HttpStatusCode.Forbidden, "forbidden"),
            (staff, "/api/v1/sites", """{"odsCode":"NEW1","name":"x","type":"castle","address":"x","postcode":"LS1 4AP","services":["COVID:18+"]}""", HttpStatusCode.BadRequest, "invalid-site-type"),
            (staff, "/api/v1/sites", """{"odsCode":"NEW1","name":"x","type":"gp-led","address":"x","postcode":"ZE1 0AA","services":["COVID:18+"]}""", HttpStatusCode.BadRequest, "unknown-postcode"),
            (staff, "/api/v1/sites", """{"odsCode":"LEEDS1","name":"x","type":"gp-led","address":"x","postcode":"LS1 4AP","services":["COVID:18+"]}""", HttpStatusCode.Conflict, "duplicate-site"),
            (staff, "/api/v1/sites/LEEDS1/sessions", """{"date":"2026-11-19","from":"09:00","until":"10:00","slotMinutes":10,"capacity":1,"services":["COVID:18+"]}""", HttpStatusCode.BadRequest, "date-in-past"),
            (staff, "/api/v1/sites/LEEDS1/sessions", """{"date":"2026-11-23","from":"10:00","until":"09:00","slotMinutes":10,"capacity":1,"services":["COVID:18+"]}""", HttpStatusCode.BadRequest, "invalid-time-range"),
            (staff, "/api/v1/sites/LEEDS1/sessions", """{"date":"2026-11-23","from":"09:00","until":"10:00","slotMinutes":10,"capacity":0,"services":["COVID:18+"]}""", HttpStatusCode.BadRequest, "invalid-capacity"),
            (staff, "/api/v1/sites/LEEDS1/sessions", """{"date":"2026-11-23","from":"09:00","until":"10:00","slotMinutes":10,"capacity":1,"services":["RSV:Adult"]}""", HttpStatusCode.BadRequest, "service-not-offered-by-site"),
            (staff, "/api/v1/sites/NOSUCH/sessions", """{"date":"2026-11-23","from":"09:00","until":"10:00","slotMinutes":10,"capacity":1,"services":["COVID:18+"]}""", HttpStatusCode.NotFound, "site-not-found"),
            (staff, "/api/v1/sessions/nosuch/cancel", "{}", HttpStatusCode.NotFound, "session-not-found"),
            (staff, "/api/v1/sites/LEEDS1/days/2026-13-01/cancel", "{}", HttpStatusCode.BadRequest, "invalid-date"),
        };

        foreach (var (who, path, body, status, code) in cases)
        {
            var response = await who.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

            Assert.True(status == response.StatusCode, $"{path} {body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }

        await using var connection = await world.App.Database.Database.OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bookings"));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(booked), 0) FROM slots"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sessions"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sites"));
        Assert.DoesNotContain(world.App.Logs.Lines, l => l.Contains(nhs, StringComparison.Ordinal));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_IdempotencyKey_RetryGetsTheFirstAnswerAndAnotherBodyIsRefused(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slots = await world.SlotIdsAsync((await world.SessionAsync()).Id);
        var nhs = (await world.PersonAsync()).Value;
        var client = await world.App.ClientAsync(Scopes.BookingWrite);
        var other = await world.App.ClientAsync(Scopes.BookingWrite);
        var body = new { nhsNumber = nhs, dateOfBirth = "1940-01-01", slotId = slots[0], service = "COVID:18+" };

        var first = await SendAsync(client, "/api/v1/bookings/holds", body, "key-1");
        var retry = await SendAsync(client, "/api/v1/bookings/holds", body, "key-1");
        var changed = await SendAsync(client, "/api/v1/bookings/holds", body with { slotId = slots[1] }, "key-1");
        var otherClientSameKey = await SendAsync(other, "/api/v1/bookings/holds", body with { slotId = slots[1] }, "key-1");
        var badKey = await SendAsync(client, "/api/v1/bookings/holds", body, new string('k', 300));
        var holdId = (await Json(first)).GetProperty("holdId").GetString();
        var confirm = await SendAsync(client, "/api/v1/bookings/confirm", new { holdId }, "key-2");
        var confirmAgain = await SendAsync(client, "/api/v1/bookings/confirm", new { holdId }, "key-2");

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, retry.StatusCode));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "idempotency-key-reused"), (changed.StatusCode, (await Json(changed, false)).GetProperty("code").GetString()));
        Assert.Equal(HttpStatusCode.Created, otherClientSameKey.StatusCode); // keys are per client: this one is a second hold, replacing the first
        Assert.Equal("invalid-idempotency-key", (await Json(badKey, false)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode); // the other client's hold replaced this one
        Assert.Equal(await confirm.Content.ReadAsStringAsync(), await confirmAgain.Content.ReadAsStringAsync());
        Assert.Equal((2, 0, 0L), await world.SlotCountsAsync(slots[0]));
        Assert.Equal((2, 1, 1L), await world.SlotCountsAsync(slots[1]));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_StaffShortenAndCancelSessions_BookingsThatNoLongerFitCancelledWithNotificationIntents(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var staff = await world.App.ClientAsync(Scopes.SitesWrite);
        var session = await world.SessionAsync(from: "09:00", until: "10:00", slotMinutes: 10, capacity: 2);
        var slots = await world.SlotIdsAsync(session.Id);
        var people = await world.PeopleAsync(4);
        var first = await BookingUseCaseTests.BookAsync(world, people[0], slots[0], null);        // 09:00, keeps its place
        world.App.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await BookingUseCaseTests.BookAsync(world, people[1], slots[0], null);       // 09:00, over the new capacity of 1: re-fitted? no room at 09:00, cancelled
        var third = await BookingUseCaseTests.BookAsync(world, people[2], slots[4], null);        // 09:40: after the new end, cancelled
        var tuesday = await world.SessionAsync(date: BookingWorld.Monday.AddDays(1));
        var fourth = await BookingUseCaseTests.BookAsync(world, people[3], (await world.SlotIdsAsync(tuesday.Id))[0], null);

        var shortened = await Json(await staff.PutAsJsonAsync($"/api/v1/sessions/{session.Id}", new { from = "09:00", until = "09:30", slotMinutes = 10, capacity = 1, services = new[] { "COVID:18+" } }));
        var dayCancelled = await Json(await staff.PostAsync($"/api/v1/sites/LEEDS1/days/{BookingWorld.Monday.AddDays(1):yyyy-MM-dd}/cancel", null));
        var again = await staff.PostAsync($"/api/v1/sessions/{tuesday.Id}/cancel", null);
        var template = await staff.PostAsJsonAsync("/api/v1/sites/LEEDS1/templates", new
        {
            from = "2026-11-30", to = "2026-12-13",
            sessions = new[] { new { days = new[] { "monday", "wednesday" }, from = "09:00", until = "12:00", slotMinutes = 10, capacity = 3, services = new[] { "COVID:18+" } } },
        });

        Assert.Equal((0, 2, 0), (shortened.GetProperty("bookingsMoved").GetInt32(), shortened.GetProperty("bookingsCancelled").GetInt32(), shortened.GetProperty("holdsReleased").GetInt32()));
        Assert.Equal((3, 1), (shortened.GetProperty("sessions")[0].GetProperty("slots").GetInt32(), shortened.GetProperty("sessions")[0].GetProperty("booked").GetInt32()));
        Assert.Equal(1, dayCancelled.GetProperty("bookingsCancelled").GetInt32());
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Created), (again.StatusCode, template.StatusCode));
        Assert.Equal(4, (await Json(template)).GetProperty("sessions").GetArrayLength());
        var statuses = new List<string>();
        foreach (var b in new[] { first, second, third, fourth })
        {
            statuses.Add(BookingUseCaseTests.Ok(await world.Get<Immunise.Booking.GetBooking>().ByReferenceAsync(b.Reference, BookingWorld.Born1940)).Status);
        }

        Assert.Equal(["booked", "cancelled", "cancelled", "cancelled"], statuses);
        await using var connection = await world.App.Database.Database.OpenAsync();
        var intents = (await connection.QueryAsync<(string Personalisation, string Channel, string Template)>(
            "SELECT personalisation, channel, template FROM notification_messages")).ToList()
            .Select(m => (Reference: System.Text.Json.JsonDocument.Parse(m.Personalisation).RootElement.GetProperty("booking_reference").GetString()!, m.Channel, m.Template))
            .ToList();
        Assert.Equal(
            new[] { second.Reference, third.Reference, fourth.Reference }.Order(StringComparer.Ordinal),
            intents.Select(i => i.Reference).Order(StringComparer.Ordinal));
        Assert.All(intents, i => Assert.Equal(("letter", "cancelled-by-site"), (i.Channel, i.Template)));
        Assert.Equal((1, 1, 1L), await world.SlotCountsAsync(slots[0]));
        Assert.Equal((0, 0, 0L), await world.SlotCountsAsync(slots[4]));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Api_OpenApiDocument_DescribesTheBookingAndSiteEndpoints(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);

        var document = await Json(await world.App.Anonymous().GetAsync("/openapi/v1.json"));

        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/bookings/holds", "/api/v1/bookings/confirm", "/api/v1/bookings/cancel", "/api/v1/bookings/reschedule",
            "/api/v1/bookings/lookup", "/api/v1/bookings/search", "/api/v1/sites/search", "/api/v1/sites/{odsCode}/availability", "/api/v1/sites",
            "/api/v1/sessions/{sessionId}" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        Assert.Contains(paths.GetProperty("/api/v1/bookings/holds").GetProperty("post").GetProperty("parameters").EnumerateArray(),
            p => p.GetProperty("name").GetString() == "Idempotency-Key");
    }

    internal static Task<HttpResponseMessage> SendAsync<T>(HttpClient client, string path, T body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return client.SendAsync(request);
    }

    internal static async Task<JsonElement> Json(HttpResponseMessage response, bool success = true)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(!success || response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<JsonElement>(text);
    }
}
