using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Immunise.Access;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Common;
using Immunise.People;
using Immunise.Vaccines;
using Immunise.Web.Access;
using Immunise.Web.WaitingRoom;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Immunise.Web.Api;

/// <summary>
/// <c>/api/v1/bookings</c>: hold a place, confirm, cancel, move, and look up appointments. Citizens are identified by NHS
/// number and date of birth (to hold) or booking reference and date of birth (to manage), always in the body, never in
/// the address. Writes need <c>booking:write</c>, look-ups <c>booking:read</c>; every read or change of a person's
/// appointments is audited. Writes take an <c>Idempotency-Key</c> header: a retry with the same key and body gets the
/// first answer again (header <c>Idempotent-Replayed: true</c>), the same key with another body 422
/// <c>idempotency-key-reused</c>, a retry while the first is still running 409 <c>idempotency-request-in-progress</c>.
/// While the waiting room is active, holds and confirmations need an admission (<see cref="AdmissionFilter"/>).
/// </summary>
public static class BookingEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapBookingEndpoints(this IEndpointRouteBuilder app)
    {
        var write = app.MapGroup("/api/v1/bookings").WithTags("Bookings").RequireAuthorization(Scopes.BookingWrite)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        write.MapPost("/holds", HoldAsync).WithName("HoldSlot").RequireAdmission()
            .WithSummary("Hold a place in a slot for 5 minutes (NHS number + date of birth, slot, service; for dose 2 of a course, firstDoseReference)")
            .Produces<AppointmentResponse>(StatusCodes.Status201Created);
        write.MapPost("/confirm", ConfirmAsync).WithName("ConfirmBooking").RequireAdmission()
            .WithSummary("Confirm a hold (eligibility and the hold are checked again); contact details for the appointment's messages")
            .Produces<AppointmentResponse>();
        write.MapPost("/cancel", CancelAsync).WithName("CancelBooking")
            .WithSummary("Cancel an appointment (reference + date of birth); a dose 2 booked after it is cancelled too")
            .Produces<AppointmentResponse>();
        write.MapPost("/reschedule", RescheduleAsync).WithName("RescheduleBooking")
            .WithSummary("Move an appointment (reference + date of birth) to another slot under the same rules; the reference stays")
            .Produces<AppointmentResponse>();

        var read = app.MapGroup("/api/v1/bookings").WithTags("Bookings").RequireAuthorization(Scopes.BookingRead)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        read.MapPost("/lookup", LookupAsync).WithName("LookUpBooking")
            .WithSummary("An appointment by reference and date of birth (a wrong date of birth is answered as not found)")
            .Produces<AppointmentResponse>();
        read.MapPost("/search", ForPersonAsync).WithName("PersonBookings")
            .WithSummary("A person's appointments by NHS number (authorised systems; audited)")
            .Produces<PersonAppointmentsResponse>();
        return app;
    }

    public static Task<IResult> HoldAsync(
        HoldBody body, [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, HttpContext context, HoldSlot hold,
        RegisterOptions register, VaccineCatalogue catalogue, AuditLog audit, IdempotencyKeys keys, CancellationToken cancellationToken) =>
        Idempotent.RunAsync(context, keys, idempotencyKey, "hold", body, async () =>
        {
            if (!register.TryParseNhsNumber(body.NhsNumber, out var nhs, out var reason))
            {
                return Idempotent.Problem(Failure.Invalid("invalid-nhs-number", reason, "nhsNumber"));
            }

            if (!BookingInput.TryDate(body.DateOfBirth, "invalid-date-of-birth", "dateOfBirth", out var born, out var invalid))
            {
                return Idempotent.Problem(invalid!);
            }

            if (body.SlotId is not { } slotId)
            {
                return Idempotent.Problem(Failure.Invalid("invalid-slot-id", "'slotId' (a slot's id from the availability) is required.", "slotId"));
            }

            var result = await hold.HandleAsync(new HoldSlotRequest(nhs, born, slotId, body.Service, body.ProductCode, body.FirstDoseReference), context.User.KeyName(), cancellationToken);
            if (!result.Succeeded)
            {
                return Idempotent.Problem(result.Failure!);
            }

            await audit.WriteAsync(context, "booking.held", nhs, "Booking", result.Value!.Reference);
            return (StatusCodes.Status201Created, AppointmentResponse.From(result.Value, catalogue));
        });

    public static Task<IResult> ConfirmAsync(
        ConfirmBody body, [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, HttpContext context, ConfirmBooking confirm,
        VaccineCatalogue catalogue, AuditLog audit, IdempotencyKeys keys, CancellationToken cancellationToken) =>
        Idempotent.RunAsync(context, keys, idempotencyKey, "confirm", body, async () =>
        {
            var result = await confirm.HandleAsync(new ConfirmBookingRequest(body.HoldId, body.Mobile, body.Email), cancellationToken);
            if (!result.Succeeded)
            {
                return Idempotent.Problem(result.Failure!);
            }

            await audit.WriteAsync(context, "booking.confirmed", result.Value!.NhsNumber, "Booking", result.Value.Reference);
            return (StatusCodes.Status200OK, AppointmentResponse.From(result.Value, catalogue));
        });

    public static Task<IResult> CancelAsync(
        ReferenceBody body, [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, HttpContext context, CancelBooking cancel,
        VaccineCatalogue catalogue, AuditLog audit, IdempotencyKeys keys, CancellationToken cancellationToken) =>
        Idempotent.RunAsync(context, keys, idempotencyKey, "cancel", body, async () =>
        {
            if (!BookingInput.TryDate(body.DateOfBirth, "invalid-date-of-birth", "dateOfBirth", out var born, out var invalid))
            {
                return Idempotent.Problem(invalid!);
            }

            var result = await cancel.HandleAsync(new CancelBookingRequest(body.Reference, born), cancellationToken);
            if (!result.Succeeded)
            {
                return Idempotent.Problem(result.Failure!);
            }

            await audit.WriteAsync(context, "booking.cancelled", result.Value!.NhsNumber, "Booking", result.Value.Reference);
            return (StatusCodes.Status200OK, AppointmentResponse.From(result.Value, catalogue));
        });

    public static Task<IResult> RescheduleAsync(
        RescheduleBody body, [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, HttpContext context, RescheduleBooking move,
        VaccineCatalogue catalogue, AuditLog audit, IdempotencyKeys keys, CancellationToken cancellationToken) =>
        Idempotent.RunAsync(context, keys, idempotencyKey, "reschedule", body, async () =>
        {
            if (!BookingInput.TryDate(body.DateOfBirth, "invalid-date-of-birth", "dateOfBirth", out var born, out var invalid))
            {
                return Idempotent.Problem(invalid!);
            }

            if (body.SlotId is not { } slotId)
            {
                return Idempotent.Problem(Failure.Invalid("invalid-slot-id", "'slotId' (the new slot's id) is required.", "slotId"));
            }

            var result = await move.HandleAsync(new RescheduleBookingRequest(body.Reference, born, slotId), cancellationToken);
            if (!result.Succeeded)
            {
                return Idempotent.Problem(result.Failure!);
            }

            await audit.WriteAsync(context, "booking.moved", result.Value!.NhsNumber, "Booking", result.Value.Reference);
            return (StatusCodes.Status200OK, AppointmentResponse.From(result.Value, catalogue));
        });

    public static async Task<IResult> LookupAsync(
        ReferenceBody body, HttpContext context, GetBooking bookings, VaccineCatalogue catalogue, AuditLog audit, CancellationToken cancellationToken)
    {
        if (!BookingInput.TryDate(body.DateOfBirth, "invalid-date-of-birth", "dateOfBirth", out var born, out var invalid))
        {
            return Problems.From(invalid!);
        }

        var result = await bookings.ByReferenceAsync(body.Reference, born, cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Failure!);
        }

        await audit.WriteAsync(context, "booking.read", result.Value!.NhsNumber, "Booking", result.Value.Reference);
        return TypedResults.Ok(AppointmentResponse.From(result.Value, catalogue));
    }

    public static async Task<IResult> ForPersonAsync(
        PersonBookingsBody body, HttpContext context, GetBooking bookings, RegisterOptions register, VaccineCatalogue catalogue, AuditLog audit,
        CancellationToken cancellationToken)
    {
        if (!register.TryParseNhsNumber(body.NhsNumber, out var nhs, out var reason))
        {
            return Problems.From(Failure.Invalid("invalid-nhs-number", reason, "nhsNumber"));
        }

        var found = await bookings.ForPersonAsync(nhs, cancellationToken);
        await audit.WriteAsync(context, "bookings.read", nhs, "Booking");
        return TypedResults.Ok(new PersonAppointmentsResponse(nhs.Value, found.Count, found.Select(a => AppointmentResponse.From(a, catalogue)).ToList()));
    }
}

/// <summary>Runs a booking write under its <c>Idempotency-Key</c> (when given) and answers with the JSON it stores.</summary>
internal static class Idempotent
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static (int Status, object Body) Problem(Failure failure) =>
        (Problems.StatusFor(failure.Kind), Problems.Create(Problems.StatusFor(failure.Kind), failure.Code, failure.Message, failure.Field));

    public static async Task<IResult> RunAsync<TBody>(
        HttpContext context, IdempotencyKeys keys, string? key, string operation, TBody body, Func<Task<(int Status, object Body)>> handle)
    {
        var json = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        if (key is null)
        {
            return Send(Serialise(await handle(), json));
        }

        if (!IdempotencyKeys.IsValidKey(key))
        {
            return Problems.From(Failure.Invalid("invalid-idempotency-key", $"The {BookingEndpoints.IdempotencyHeader} header must be 1 to {IdempotencyKeys.MaxKeyLength} visible ASCII characters.", BookingEndpoints.IdempotencyHeader));
        }

        var client = context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous";
        var claim = await keys.BeginAsync(client, key, operation, IdempotencyKeys.Hash(operation, JsonSerializer.Serialize(body, json)), context.RequestAborted);
        switch (claim.Outcome)
        {
            case IdempotencyOutcome.Replay:
                context.Response.Headers[ReplayedHeader] = "true";
                return Send(claim.Response!);
            case IdempotencyOutcome.Mismatch:
                return TypedResults.Problem(Problems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused",
                    $"This {BookingEndpoints.IdempotencyHeader} was used for a different request; use a new key for a new request.", BookingEndpoints.IdempotencyHeader));
            case IdempotencyOutcome.InProgress:
                context.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem(Problems.Create(StatusCodes.Status409Conflict, "idempotency-request-in-progress",
                    $"The first request with this {BookingEndpoints.IdempotencyHeader} is still being served; retry shortly.", BookingEndpoints.IdempotencyHeader));
        }

        StoredResponse response;
        try
        {
            response = Serialise(await handle(), json);
        }
        catch
        {
            await keys.AbandonAsync(client, key, CancellationToken.None);
            throw;
        }

        // The answer is stored even if the caller has gone: its retry must get this answer, not a second booking.
        await keys.CompleteAsync(client, key, response, CancellationToken.None);
        return Send(response);
    }

    private static StoredResponse Serialise((int Status, object Body) answer, JsonSerializerOptions json) => new(
        answer.Status,
        answer.Body is ProblemDetails ? "application/problem+json" : "application/json",
        JsonSerializer.Serialize(answer.Body, answer.Body.GetType(), json));

    private static IResult Send(StoredResponse response) => Results.Content(response.Body, response.ContentType, Encoding.UTF8, response.Status);
}
