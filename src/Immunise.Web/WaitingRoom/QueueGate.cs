using Immunise.WaitingRoom;

namespace Immunise.Web.WaitingRoom;

/// <summary>
/// Stands in front of the booking journey's pages (<c>/book…</c>). While the waiting room is off it only reads this node's
/// cached counters. While it is on, a visitor without a valid admission token for their ticket is sent (303) to the waiting
/// page <c>/queue</c>, which gives them a ticket and brings them back when their turn comes. On automatic, while the room
/// is not active, a visitor without a ticket is given one and admitted at once, without seeing the queue (so the arrivals
/// are counted, and those already booking keep going if the room switches itself on).
/// <para>
/// Exempt: the confirmation page (it only shows what was just booked) and the page that says a journey has expired.
/// Managing an existing booking (<c>/manage</c>) is not behind the queue: it frees capacity more often than it takes it.
/// </para>
/// </summary>
public sealed class QueueGate(RequestDelegate next, WaitingRoomDoor door)
{
    public const string GuardedPath = "/book";
    public const string WaitingPage = "/queue";

    private static readonly PathString[] s_exempt = [new("/book/confirmation"), new("/book/expired")];

    /// <remarks>Not an async method: a request outside the journey is handed on as it is, without this frame in its chain.</remarks>
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        return !path.StartsWithSegments(GuardedPath) || Array.Exists(s_exempt, p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
            ? next(context)
            : GuardAsync(context, path);
    }

    private async Task GuardAsync(HttpContext context, PathString path)
    {
        var counters = await door.CountersAsync(context.RequestAborted);
        var now = door.Now;
        if (!counters.InUse(now))
        {
            await next(context);
            return;
        }

        await door.ReadyAsync();
        var ticketCheck = door.ReadTicket(context, out var ticket);
        if (ticketCheck == TokenCheck.Valid && door.CheckAdmission(context, ticket) == TokenCheck.Valid)
        {
            await next(context);
            return;
        }

        if (!counters.IsActive(now) && await AdmitAtOnceAsync(context, ticketCheck == TokenCheck.Valid ? ticket : null))
        {
            await next(context);
            return;
        }

        var back = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            ? path + context.Request.QueryString
            : path.ToString();
        context.Response.Redirect($"{WaitingPage}?returnUrl={Uri.EscapeDataString(WaitingRoomDoor.SafeReturn(back))}");
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }

    /// <summary>Automatic mode while not active: a ticket (if the visitor has none) and its admission, on this request.</summary>
    private async Task<bool> AdmitAtOnceAsync(HttpContext context, Ticket? ticket)
    {
        if (ticket is null)
        {
            var issued = await door.IssueAsync(context);
            if (issued is null)
            {
                return false; // too many tickets from here: the waiting page says so
            }

            ticket = issued.Ticket;
            door.KeepTicket(context, ticket);
        }

        var status = await door.Status.CheckAsync(ticket, context.RequestAborted);
        if (status.TicketChanged)
        {
            door.KeepTicket(context, status.Ticket);
        }

        switch (status.State)
        {
            case QueueState.NoQueue:
                return true;
            case QueueState.Admitted:
                door.KeepAdmission(context, status.Admission!);
                return true;
            default:
                return false;
        }
    }
}
