using System.Globalization;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Common;
using Immunise.People;
using Immunise.Web.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;

namespace Immunise.Web.Fhir;

// FHIR R4 Slot, Schedule and Appointment as the NHS Booking and Referral Standard reads them. A site's availability is one
// Schedule (id: the site's ODS code, actor: the site as a HealthcareService); each slot is a Slot (id: the slot's id),
// free while a place is left and busy when full. An appointment is an Appointment (id: the booking reference).

public sealed record Slot(
    string ResourceType, string Id, Meta? Meta, IReadOnlyList<CodeableConcept>? ServiceType, FhirReference Schedule, string Status,
    DateTimeOffset Start, DateTimeOffset End, string? Comment = null);

public sealed record Schedule(string ResourceType, string Id, bool Active, IReadOnlyList<CodeableConcept>? ServiceType, IReadOnlyList<FhirReference> Actor);

public sealed record AppointmentParticipant(FhirReference Actor, string Required, string Status);

public sealed record Appointment(
    string ResourceType, string Id, Meta? Meta, IReadOnlyList<Identifier> Identifier, string Status, CodeableConcept? CancelationReason,
    IReadOnlyList<CodeableConcept>? ServiceType, string? Description, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<FhirReference> Slot,
    DateTimeOffset Created, IReadOnlyList<AppointmentParticipant> Participant);

/// <summary>
/// <c>/fhir/Slot</c> (by <c>schedule</c> or <c>Schedule.actor:HealthcareService</c> = the site's ODS code, <c>status</c>
/// free/busy, <c>start</c> ge/gt/le/lt, <c>_include=Slot:schedule</c>) and <c>/fhir/Appointment</c> (by
/// <c>patient:identifier</c>, audited). Scope <c>booking:read</c>.
/// </summary>
public static class BookingFhir
{
    public const string BookingReferenceSystem = "https://immunise.example/Id/booking-reference";
    private const string SlotProfile = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Slot";
    private const string AppointmentProfile = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Appointment";

    public static IEndpointRouteBuilder MapBookingFhirEndpoints(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/fhir").ExcludeFromDescription().RequireAuthorization(Scopes.BookingRead);
        read.MapGet("/Slot", SearchSlotsAsync);
        read.MapGet("/Appointment", SearchAppointmentsAsync);
        return app;
    }

    public static async Task<Results<FhirBundleResult, JsonHttpResult<OperationOutcome>>> SearchSlotsAsync(
        HttpContext context, SearchSlots slots, TimeProvider clock, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var schedule = First(query, "schedule") ?? First(query, "Schedule.actor:HealthcareService") ?? First(query, "schedule.actor:HealthcareService");
        if (string.IsNullOrWhiteSpace(schedule))
        {
            return OperationOutcomes.From(Failure.Invalid("missing-schedule", "Give the site: schedule=Schedule/{ODS code} or Schedule.actor:HealthcareService={ODS code}."));
        }

        var site = schedule.Trim();
        foreach (var prefix in new[] { "Schedule/", "HealthcareService/" })
        {
            if (site.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                site = site[prefix.Length..];
            }
        }

        bool free = false, busy = false;
        foreach (var status in (First(query, "status") ?? "free").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            switch (status)
            {
                case "free": free = true; break;
                case "busy": busy = true; break;
                default: return OperationOutcomes.From(Failure.Invalid("invalid-status", "status must be free, busy or both (free,busy)."));
            }
        }

        var now = clock.GetUtcNow();
        var (from, to) = (now, now.AddDays(14));
        foreach (var value in query["start"])
        {
            if (!TryParseStart(value, out var prefix, out var instant, out var wholeDay))
            {
                return OperationOutcomes.From(Failure.Invalid("invalid-start", "start must be a FHIR dateTime with an offset, prefixed ge, gt, le or lt (start=ge2026-11-23T09:00:00+00:00)."));
            }

            switch (prefix)
            {
                case "ge": from = instant; break;
                case "gt": from = instant.AddTicks(1); break;
                case "le": to = wholeDay ? instant.AddDays(1).AddTicks(-1) : instant; break;
                case "lt": to = instant.AddTicks(-1); break;
                default: (from, to) = wholeDay ? (instant, instant.AddDays(1).AddTicks(-1)) : (instant, instant); break;
            }
        }

        var result = await slots.HandleAsync(new SlotSearch(site, from, to, free, busy), cancellationToken);
        if (!result.Succeeded)
        {
            return OperationOutcomes.From(result.Failure!);
        }

        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/fhir";
        var entries = result.Value!.Select(s => new BundleEntry($"{baseUrl}/Slot/{s.Id.ToString(CultureInfo.InvariantCulture)}", ToSlot(s), new BundleSearch("match"))).ToList();
        var include = query["_include"].Any(i => i is "Slot:schedule" or "Slot:*");
        if (include && result.Value!.Count > 0)
        {
            var first = result.Value![0];
            entries.Add(new BundleEntry($"{baseUrl}/Schedule/{first.SiteOdsCode}", new Schedule("Schedule", first.SiteOdsCode, true,
                Services(result.Value.SelectMany(s => s.Services).Distinct()),
                [new FhirReference(Reference: $"HealthcareService/{first.SiteOdsCode}", Display: first.SiteName)]), new BundleSearch("include")));
        }

        var self = new BundleLink("self", $"{baseUrl}/Slot{context.Request.QueryString}");
        return new FhirBundleResult(new Bundle("Bundle", "searchset", result.Value!.Count, [self], entries));
    }

    public static async Task<Results<FhirBundleResult, JsonHttpResult<OperationOutcome>>> SearchAppointmentsAsync(
        HttpContext context, GetBooking bookings, AuditLog audit, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var identifier = First(query, "patient:identifier") ?? First(query, "patient.identifier");
        var prefix = FhirJson.NhsNumberSystem + "|";
        if (identifier is null || !identifier.StartsWith(prefix, StringComparison.Ordinal))
        {
            return OperationOutcomes.From(Failure.Invalid("invalid-patient-identifier", $"Give the patient as patient:identifier={prefix}{{NHS number}}."));
        }

        if (!NhsNumber.TryParse(identifier[prefix.Length..], out var nhs, out var reason))
        {
            return OperationOutcomes.From(Failure.Invalid("invalid-nhs-number", reason));
        }

        var found = await bookings.ForPersonAsync(nhs, cancellationToken);
        await audit.WriteAsync(context, "fhir.appointment.search", nhs, "Appointment");
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/fhir";
        var entries = found
            .Where(a => a.Status != BookingStatus.Expired)
            .Select(a => new BundleEntry($"{baseUrl}/Appointment/{a.Reference}", ToAppointment(a), new BundleSearch("match")))
            .ToList();
        var self = new BundleLink("self", $"{baseUrl}/Appointment?patient:identifier={Uri.EscapeDataString(prefix + nhs.Value)}");
        return new FhirBundleResult(new Bundle("Bundle", "searchset", entries.Count, [self], entries));
    }

    public static Slot ToSlot(SlotView s) => new(
        "Slot", s.Id.ToString(CultureInfo.InvariantCulture), new Meta(Profile: [SlotProfile]), Services(s.Services),
        new FhirReference(Reference: $"Schedule/{s.SiteOdsCode}", Display: s.SiteName), s.IsFree ? "free" : "busy", s.StartsAt, s.EndsAt,
        $"{Math.Max(0, s.Capacity - s.Booked).ToString(CultureInfo.InvariantCulture)} of {s.Capacity.ToString(CultureInfo.InvariantCulture)} places free");

    public static Appointment ToAppointment(Immunise.Booking.Appointment a) => new(
        "Appointment", a.Reference, new Meta(Profile: [AppointmentProfile]), [new Identifier(BookingReferenceSystem, a.Reference)],
        a.Status switch
        {
            BookingStatus.Held => "pending",
            BookingStatus.Booked => "booked",
            BookingStatus.CheckedIn => "checked-in",
            BookingStatus.Vaccinated or BookingStatus.NotVaccinated => "fulfilled",
            BookingStatus.DidNotAttend => "noshow",
            _ => "cancelled",
        },
        a.CancelReason is null ? null : new CodeableConcept(null, a.CancelReason),
        Services([a.Service]), $"{a.Programme} dose {a.DoseNumber.ToString(CultureInfo.InvariantCulture)}", a.StartsAt, a.EndsAt,
        [new FhirReference(Reference: $"Slot/{a.SlotId.ToString(CultureInfo.InvariantCulture)}")], a.CreatedAt,
        [
            new AppointmentParticipant(new FhirReference(Type: "Patient", Identifier: new Identifier(FhirJson.NhsNumberSystem, a.NhsNumber.Value)), "required", "accepted"),
            new AppointmentParticipant(new FhirReference(Reference: $"HealthcareService/{a.SiteOdsCode}", Type: "HealthcareService", Display: a.SiteName), "required", "accepted"),
        ]);

    private static List<CodeableConcept> Services(IEnumerable<string> services) =>
        services.Select(s => new CodeableConcept([new Coding("https://immunise.example/CodeSystem/nbs-service", s, s)], s)).ToList();

    private static string? First(IQueryCollection query, string name) => query.TryGetValue(name, out var values) ? values.FirstOrDefault() : null;

    private static bool TryParseStart(string? raw, out string prefix, out DateTimeOffset instant, out bool wholeDay)
    {
        var value = (raw ?? "").Trim().Replace(' ', '+'); // an unencoded '+' in the offset arrives as a space
        prefix = value.Length > 2 && char.IsAsciiLetter(value[0]) ? value[..2] : "eq";
        value = char.IsAsciiLetter(value.FirstOrDefault()) ? value[2..] : value;
        wholeDay = false;
        instant = default;
        if (prefix is not ("ge" or "gt" or "le" or "lt" or "eq"))
        {
            return false;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            wholeDay = true;
            instant = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return value.Contains('T', StringComparison.Ordinal) && (value.EndsWith('Z') || value.LastIndexOfAny(['+', '-']) > value.IndexOf('T', StringComparison.Ordinal))
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }
}
