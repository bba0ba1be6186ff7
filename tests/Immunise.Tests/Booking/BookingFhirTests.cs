using System.Net;
using System.Text.Json.Nodes;
using Immunise.Access;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;

namespace Immunise.Tests.Booking;

/// <summary><c>/fhir/Slot</c> and <c>/fhir/Appointment</c>: the right slots and appointments, valid FHIR R4.</summary>
public sealed class BookingFhirTests
{
    private static readonly AsyncLocal<CapturedLogs?> s_logs = new();

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task FhirSlotAndAppointment_SearchBySiteStatusStartAndPatient_ValidR4AndAudited(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var slots = await world.SlotIdsAsync((await world.SessionAsync(capacity: 1)).Id); // 09:00 … 09:50
        await world.SessionAsync(date: BookingWorld.Monday.AddDays(1));
        var nhs = await world.PersonAsync();
        var booking = await BookingUseCaseTests.BookAsync(world, nhs, slots[1], null);
        var client = await world.App.ClientAsync(Scopes.BookingRead);
        var patient = Uri.EscapeDataString($"https://fhir.nhs.uk/Id/nhs-number|{nhs.Value}");

        s_logs.Value = world.App.Logs;
        var free = await GetAsync(client, "/fhir/Slot?schedule=Schedule/LEEDS1&status=free&start=ge2026-11-23T09:00:00%2B00:00&start=le2026-11-23T09:30:00%2B00:00&_include=Slot:schedule");
        var busy = await GetAsync(client, "/fhir/Slot?Schedule.actor:HealthcareService=LEEDS1&status=busy&start=ge2026-11-23&start=le2026-11-24");
        var both = await GetAsync(client, "/fhir/Slot?schedule=LEEDS1&status=free,busy&start=2026-11-24");
        var appointments = await GetAsync(client, $"/fhir/Appointment?patient:identifier={patient}");
        var unknownSite = await GetAsync(client, "/fhir/Slot?schedule=NOSUCH"); // a search that matches nothing: an empty bundle
        var errors = new[]
        {
            await GetAsync(client, "/fhir/Slot?status=free", HttpStatusCode.BadRequest),
            await GetAsync(client, "/fhir/Slot?schedule=LEEDS1&status=maybe", HttpStatusCode.BadRequest),
            await GetAsync(client, "/fhir/Slot?schedule=LEEDS1&start=ge23/11/2026", HttpStatusCode.BadRequest),
            await GetAsync(client, "/fhir/Appointment?patient:identifier=9434765919", HttpStatusCode.BadRequest),
            await GetAsync(await world.App.ClientAsync(Scopes.RecordsRead), $"/fhir/Appointment?patient:identifier={patient}", HttpStatusCode.Forbidden),
        };

        Assert.Equal(["09:00", "09:20", "09:30"], Entries(free, "Slot").Select(s => DateTimeOffset.Parse((string)s["start"]!, System.Globalization.CultureInfo.InvariantCulture).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(Entries(free, "Slot"), s => Assert.Equal(("free", "Schedule/LEEDS1"), ((string?)s["status"], (string?)s["schedule"]!["reference"])));
        Assert.Single(Entries(free, "Schedule"));
        Assert.Equal([slots[1].ToString(System.Globalization.CultureInfo.InvariantCulture)], Entries(busy, "Slot").Select(s => (string)s["id"]!));
        Assert.Equal(6, Entries(both, "Slot").Count);
        var appointment = Assert.Single(Entries(appointments, "Appointment"));
        Assert.Equal((booking.Reference, "booked", $"Slot/{slots[1]}"), ((string?)appointment["id"], (string?)appointment["status"], (string?)appointment["slot"]![0]!["reference"]));
        Assert.Equal(nhs.Value, (string?)appointment["participant"]![0]!["actor"]!["identifier"]!["value"]);
        Assert.Equal(0, (int)unknownSite["total"]!);
        Assert.All(errors, e => Assert.Equal("OperationOutcome", (string?)e["resourceType"]));
        Assert.Contains(await world.App.AuditFor(nhs), a => a.Action == "fhir.appointment.search");
        await FhirSchema.AssertValidAsync([free, busy, both, appointments, .. errors]);
    }

    private static List<JsonNode> Entries(JsonNode bundle, string type) =>
        bundle["entry"]!.AsArray().Select(e => e!["resource"]!).Where(r => (string?)r["resourceType"] == type).ToList();

    private static async Task<JsonNode> GetAsync(HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{path}: {(int)response.StatusCode} {body} {string.Join("\n", s_logs.Value?.Lines.Where(l => l.Contains("Exception", StringComparison.Ordinal)).Take(1) ?? [])}");
        return JsonNode.Parse(body)!;
    }
}
