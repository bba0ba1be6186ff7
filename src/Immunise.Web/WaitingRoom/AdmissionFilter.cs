using Immunise.Web.Api;
using Immunise.WaitingRoom;

namespace Immunise.Web.WaitingRoom;

/// <summary>
/// On the booking API's writes that take capacity (holds and confirmations): while the waiting room is active a request
/// needs its ticket (<c>X-Queue-Ticket</c>) and that ticket's admission token (<c>X-Admission-Token</c>). Without a token:
/// 429 <c>waiting-room-active</c> (take a ticket at <c>POST /api/v1/queue/tickets</c> and poll
/// <c>GET /api/v1/queue/status</c>); a token that is not ours, altered, or for another ticket: 403
/// <c>admission-token-invalid</c>; one past its time: 403 <c>admission-token-expired</c>. While the room is off, or on
/// automatic and not active, requests pass.
/// </summary>
public sealed class AdmissionFilter(WaitingRoomDoor door) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var counters = await door.CountersAsync(http.RequestAborted);
        if (!counters.IsActive(door.Now))
        {
            return await next(context);
        }

        await door.ReadyAsync();
        door.ReadTicket(http, out var ticket);
        switch (door.CheckAdmission(http, ticket))
        {
            case TokenCheck.Valid:
                return await next(context);
            case TokenCheck.Missing:
                http.Response.Headers.RetryAfter = "30";
                return TypedResults.Problem(Problems.Create(StatusCodes.Status429TooManyRequests, "waiting-room-active",
                    "The booking service has a queue at the moment. Take a ticket (POST /api/v1/queue/tickets), poll its status "
                    + "(GET /api/v1/queue/status) until it is admitted, then send the ticket and the admission token with "
                    + $"{WaitingRoomDoor.TicketHeader} and {WaitingRoomDoor.AdmissionHeader}."));
            case TokenCheck.Expired:
                return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "admission-token-expired",
                    "The admission token has expired. Take a new ticket to book again."));
            default:
                return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "admission-token-invalid",
                    "The admission token is not valid for the ticket sent with it."));
        }
    }
}

/// <summary>Puts <see cref="AdmissionFilter"/> on an endpoint.</summary>
public static class AdmissionFilterEndpoints
{
    public static RouteHandlerBuilder RequireAdmission(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<AdmissionFilter>().ProducesProblem(StatusCodes.Status429TooManyRequests);
}
