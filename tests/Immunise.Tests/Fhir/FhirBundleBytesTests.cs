extern alias web;

using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.People;
using Immunise.Records;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Immunise.Vaccines;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using web::Immunise.Web.Fhir;
using BookingAppointment = Immunise.Booking.Appointment;
using FhirAppointment = web::Immunise.Web.Fhir.Appointment;

namespace Immunise.Tests.Fhir;

/// <summary>
/// Bundles are written by <see cref="FhirBundleResult"/> (the generated serializers, straight to the response body) rather than
/// by <c>TypedResults.Json</c>: the bytes must be exactly those the serializer wrote before, escaping included.
/// </summary>
public sealed class FhirBundleBytesTests
{
    private const string BaseUrl = "https://immunise.example/fhir";
    private static readonly NhsNumber s_nhs = ImmuniseApp.Sarah;

    /// <summary>The options bundles were serialized with before, resolved by reflection alone (no generated code).</summary>
    private static readonly JsonSerializerOptions s_reflection = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    [Fact]
    public async Task SearchBundle_SeveralEventsAndIncludedPatient_AreTheBytesTheSerializerWrote()
    {
        var catalogue = VaccineCatalogue.Default;
        var events = new[]
        {
            Event("01", "COVID19", Products.Comirnaty, 1, new DateTimeOffset(2025, 10, 1, 10, 15, 0, TimeSpan.FromHours(1))) with
            {
                Performer = "Zoë O'Brien <RN> & \"team\"",
                RecordedAt = new DateTimeOffset(2025, 10, 1, 10, 20, 1, TimeSpan.FromHours(1)).AddTicks(1234567),
                SourceSystem = "https://supplier.example/ids?system=a&kind=b",
                SourceIdentifier = "imm/0001",
            },
            Event("02", "COVID19", Products.Vaxzevria, 2, new DateTimeOffset(2026, 4, 2, 9, 0, 0, TimeSpan.Zero)) with
            {
                BatchNumber = null, BatchExpiry = null, RouteCode = null, BodySiteCode = null, Performer = null, PrimarySource = false,
            },
            Event("03", "FLU", Products.FluCellBased, 1, new DateTimeOffset(2026, 10, 5, 14, 30, 0, TimeSpan.FromHours(1))) with
            {
                RouteCode = "not-a-route", Performer = "",
                Status = VaccinationStatus.EnteredInError,
                EnteredInErrorAt = new DateTimeOffset(2026, 10, 6, 8, 0, 0, TimeSpan.Zero),
                EnteredInErrorReason = "Wrong person",
            },
            Event("04", "NOPE", "999999", 3, new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)),
        };
        var search = new ImmunizationSearch(s_nhs, ["COVID19", "FLU"], new DateOnly(2025, 9, 1), null, IncludePatient: true);
        var entries = events
            .Select(e => new BundleEntry($"{BaseUrl}/Immunization/{e.Id}", FhirMapping.ToImmunization(e, catalogue), new BundleSearch("match")))
            .Append(new BundleEntry($"{BaseUrl}/Patient/{s_nhs.Value}", FhirMapping.ToIncludedPatient(s_nhs), new BundleSearch("include")))
            .ToList();
        var bundle = new Bundle("Bundle", "searchset", events.Length, [new BundleLink("self", $"{BaseUrl}/Immunization?{search.ToQueryString()}")], entries);

        var (contentType, body) = await ExecuteAsync(bundle);

        Assert.Equal("application/fhir+json", contentType);
        AssertSameBytes(bundle, body);
        var json = Encoding.UTF8.GetString(body);
        Assert.Contains(@"nhs-number%7C9434765919\u0026-immunization.target=COVID19%2CFLU\u0026-date.from=2025-09-01", json, StringComparison.Ordinal);
        Assert.Contains(@"Zo\u00EB O\u0027Brien \u003CRN\u003E \u0026 \u0022team\u0022", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BookingBundles_SlotsWithScheduleAndAppointments_AreTheBytesTheSerializerWrote()
    {
        var starts = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var slots = new[]
        {
            new SlotView(41, "LEEDS1", "Leeds & District Centre", new DateOnly(2026, 11, 23), "09:00", starts, starts.AddMinutes(10), 2, 1, ["covid-19", "flu"]),
            new SlotView(42, "LEEDS1", "Leeds & District Centre", new DateOnly(2026, 11, 23), "09:10", starts.AddMinutes(10), starts.AddMinutes(20), 1, 1, ["covid-19"]),
        };
        var slotEntries = slots.Select(s => new BundleEntry($"{BaseUrl}/Slot/{s.Id}", BookingFhir.ToSlot(s), new BundleSearch("match")))
            .Append(new BundleEntry($"{BaseUrl}/Schedule/LEEDS1",
                new Schedule("Schedule", "LEEDS1", true, null, [new FhirReference(Reference: "HealthcareService/LEEDS1", Display: "Leeds & District Centre")]),
                new BundleSearch("include")))
            .ToList();
        var slotBundle = new Bundle("Bundle", "searchset", slots.Length, [new BundleLink("self", $"{BaseUrl}/Slot?schedule=LEEDS1&_include=Slot:schedule")], slotEntries);
        var appointment = new BookingAppointment(
            "hold-1", "ABCD-EFGH", s_nhs, "COVID19", "covid-19", 2, Products.Comirnaty, BookingStatus.Cancelled, 42, "LEEDS1",
            "Leeds & District Centre", "1 Park Row", "LS1 5AB", new DateOnly(2026, 11, 23), "09:10", starts.AddMinutes(10), starts.AddMinutes(20),
            null, "WXYZ-1234", null, null, starts.AddDays(-3).AddTicks(5), starts.AddDays(-3), starts.AddDays(-1), "Can't make it");
        FhirAppointment resource = BookingFhir.ToAppointment(appointment);
        var appointmentBundle = new Bundle("Bundle", "searchset", 1, [new BundleLink("self", $"{BaseUrl}/Appointment?patient:identifier=x")],
            [new BundleEntry($"{BaseUrl}/Appointment/ABCD-EFGH", resource, new BundleSearch("match"))]);
        var empty = new Bundle("Bundle", "searchset", 0, [new BundleLink("self", $"{BaseUrl}/Slot?schedule=NOSUCH")], []);

        foreach (var bundle in new[] { slotBundle, appointmentBundle, empty })
        {
            var (contentType, body) = await ExecuteAsync(bundle);
            Assert.Equal("application/fhir+json", contentType);
            AssertSameBytes(bundle, body);
        }
    }

    [Fact]
    public void BundleResources_AllHaveAGeneratedSerializer()
    {
        // An element typed object (or a type the context does not list) would take a resource off the generated fast path.
        foreach (var type in new[] { typeof(Immunization), typeof(Patient), typeof(Slot), typeof(Schedule), typeof(FhirAppointment), typeof(BundleSearch), typeof(IReadOnlyList<BundleLink>) })
        {
            var info = FhirJsonContext.Default.GetTypeInfo(type);
            Assert.NotNull(info);
            Assert.True(info.GetType().GetProperty("SerializeHandler")!.GetValue(info) is not null, $"{type.Name} has no generated serialize handler");
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Search_OverHttp_IsByteForByteWhatTheSerializerWroteForTheSameBundle(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var performers = new[] { "Zoë O'Brien <RN>", "Nurse Jones", "A & B" };
        for (var i = 0; i < performers.Length; i++)
        {
            var body = new
            {
                nhsNumber = nhs.Value,
                productCode = i == 2 ? Products.FluCellBased : Products.Comirnaty,
                occurredAt = ImmuniseApp.Now.AddDays(-90 + (30 * i)),
                siteOdsCode = "B87008",
                batchNumber = "FK1234",
                batchExpiry = new DateOnly(2027, 1, 31),
                route = "intramuscular",
                bodySite = "left-upper-arm",
                performer = performers[i],
                sourceSystem = "https://supplier.example/ids?a=1&b=2",
                sourceIdentifier = $"imm-{i}",
            };
            (await client.PostAsJsonAsync("/api/v1/vaccinations", body)).EnsureSuccessStatusCode();
        }

        var patient = Uri.EscapeDataString($"https://fhir.nhs.uk/Id/nhs-number|{nhs}");
        var response = await client.GetAsync($"/fhir/Immunization?patient.identifier={patient}&-immunization.target=COVID19,FLU&_include=Immunization:patient");
        var actual = await response.Content.ReadAsByteArrayAsync();

        // The bundle the search handler builds, from the same events.
        var catalogue = app.Services.GetRequiredService<VaccineCatalogue>();
        var events = await app.Services.GetRequiredService<GetVaccinationHistory>().HandleAsync(new VaccinationHistoryQuery(nhs, ["COVID19", "FLU"], null, null));
        var baseUrl = "http://localhost/fhir";
        var entries = events
            .Select(e => new BundleEntry($"{baseUrl}/Immunization/{e.Id}", FhirMapping.ToImmunization(e, catalogue), new BundleSearch("match")))
            .Append(new BundleEntry($"{baseUrl}/Patient/{nhs.Value}", FhirMapping.ToIncludedPatient(nhs), new BundleSearch("include")))
            .ToList();
        var search = new ImmunizationSearch(nhs, ["COVID19", "FLU"], null, null, IncludePatient: true);
        var bundle = new Bundle("Bundle", "searchset", events.Count, [new BundleLink("self", $"{baseUrl}/Immunization?{search.ToQueryString()}")], entries);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(3, events.Count);
        AssertSameBytes(bundle, actual);
    }

    /// <summary>The same bundle serialized the way it was before (both with the service's options and by reflection alone).</summary>
    private static void AssertSameBytes(Bundle bundle, byte[] actual)
    {
        var before = JsonSerializer.SerializeToUtf8Bytes(bundle, FhirJson.Options);
        var reflection = JsonSerializer.SerializeToUtf8Bytes(bundle, s_reflection);
        Assert.Equal(Encoding.UTF8.GetString(reflection), Encoding.UTF8.GetString(before));
        Assert.Equal(Encoding.UTF8.GetString(before), Encoding.UTF8.GetString(actual));
        Assert.True(before.AsSpan().SequenceEqual(actual));
    }

    private static async Task<(string? ContentType, byte[] Body)> ExecuteAsync(Bundle bundle)
    {
        using var body = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Response.Body = body;
        await new FhirBundleResult(bundle).ExecuteAsync(context);
        return (context.Response.ContentType, body.ToArray());
    }

    private static VaccinationEvent Event(string id, string target, string product, int dose, DateTimeOffset occurredAt) => new(
        Id: $"0198f2a4-0000-7000-8000-0000000000{id}",
        NhsNumber: s_nhs,
        TargetDisease: target,
        ProductCode: product,
        DoseNumber: dose,
        OccurredAt: occurredAt,
        SiteOdsCode: "B87008",
        BatchNumber: "FK1234",
        BatchExpiry: new DateOnly(2027, 1, 31),
        RouteCode: "78421000",
        BodySiteCode: "368208006",
        Performer: "Nurse Jones",
        PrimarySource: true,
        Status: VaccinationStatus.Completed,
        RecordedAt: occurredAt.AddMinutes(5),
        RecordedBy: "test-key");
}
