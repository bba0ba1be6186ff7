using System.Globalization;
using Immunise.Records;
using Immunise.Web.Pages.Shared;
using Immunise.Web.WaitingRoom;
using Immunise.WaitingRoom;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Queue;

/// <summary>
/// The waiting page (<c>/queue</c>): gives the visitor a ticket if they have none, shows their number and the estimated
/// wait, and sends them back to where they were going (<c>returnUrl</c>, always a page of the booking journey) with an
/// admission when their turn comes. It reloads itself without JavaScript (a meta refresh that can be stopped) and with
/// JavaScript asks for its status instead (<c>/js/queue.js</c>), announcing changes politely to screen readers.
/// </summary>
public sealed class IndexModel(WaitingRoomDoor door, WaitingRoomOptions options) : FormPage
{
    [FromQuery]
    public string? ReturnUrl { get; set; }

    [FromQuery]
    public string? Refresh { get; set; }

    public QueueStatusResult? Status { get; private set; }

    public bool TooMany { get; private set; }

    public string Return => WaitingRoomDoor.SafeReturn(ReturnUrl);

    /// <summary>Whether the page reloads itself without JavaScript (the visitor can stop it).</summary>
    public bool AutoRefresh => Refresh != "off";

    public int RefreshSeconds => options.RefreshSeconds;

    public string StatusUrl => "/api/v1/queue/status";

    public override string Title => TooMany ? "Too many requests from your connection" : Status?.State switch
    {
        QueueState.Expired => "Your place in the queue has ended",
        QueueState.NotOpenYet => "Booking has not opened yet",
        _ => "You are in a queue to book a vaccination",
    };

    public string? PositionText => Status?.Position is { } p ? QueueRules.Number(p) : null;

    /// <summary>When booking opens, in the UK's time: "9:00am on Monday 23 November".</summary>
    public string? OpensText => Status?.OpensAt is { } at ? DescribeLondon(at) : null;

    public string WaitSentence => Status switch
    {
        { Paused: true } => "Admissions are paused at the moment. You will keep your place.",
        { OpensAt: not null } => "Admissions start when booking opens.",
        { WaitText: { } wait } => $"Estimated wait: {wait}.",
        _ => "We cannot estimate your wait yet.",
    };

    public string ExpiredReason => Status?.Reason switch
    {
        "admission-used" => "You have already booked with this place in the queue. To book another appointment, join the queue again.",
        "admission-lapsed" => "It was your turn, but the time to start booking has run out.",
        "ticket-abandoned" => "Your turn came while this page was closed, so your place was given up.",
        _ => "Your place in the queue is no longer valid.",
    };

    public async Task<IActionResult> OnGetAsync()
    {
        Response.Headers.CacheControl = "no-store";
        await door.ReadyAsync();
        var counters = await door.CountersAsync(HttpContext.RequestAborted);
        if (!counters.InUse(door.Now))
        {
            return LocalRedirect(Return);
        }

        if (door.ReadTicket(HttpContext, out var ticket) != TokenCheck.Valid)
        {
            var issued = await door.IssueAsync(HttpContext);
            if (issued is null)
            {
                TooMany = true;
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                Response.Headers.RetryAfter = "60";
                return Page();
            }

            ticket = issued.Ticket;
            door.KeepTicket(HttpContext, ticket);
        }

        Status = await door.Status.CheckAsync(ticket!, HttpContext.RequestAborted);
        if (Status.TicketChanged)
        {
            door.KeepTicket(HttpContext, Status.Ticket);
        }

        switch (Status.State)
        {
            case QueueState.NoQueue:
                return LocalRedirect(Return);
            case QueueState.Admitted:
                door.KeepAdmission(HttpContext, Status.Admission!);
                return new LocalRedirectResult(Return) { PreserveMethod = false };
            default:
                return Page();
        }
    }

    /// <summary>"Join the queue again", after a place has ended: a new ticket at the back of the queue.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        await door.ReadyAsync();
        if (door.ReadTicket(HttpContext, out var ticket) == TokenCheck.Valid
            && (await door.Status.CheckAsync(ticket!, HttpContext.RequestAborted)).State != QueueState.Expired)
        {
            return RedirectToPage(new { returnUrl = Return });
        }

        var issued = await door.IssueAsync(HttpContext);
        if (issued is null)
        {
            TooMany = true;
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = "60";
            return Page();
        }

        door.KeepTicket(HttpContext, issued.Ticket);
        return RedirectToPage(new { returnUrl = Return });
    }

    public static string DescribeLondon(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, London.Zone).DateTime;
        var time = local.Minute == 0
            ? local.ToString("%h", CultureInfo.InvariantCulture) + local.ToString("tt", CultureInfo.InvariantCulture).ToLowerInvariant()
            : local.ToString("h:mm", CultureInfo.InvariantCulture) + local.ToString("tt", CultureInfo.InvariantCulture).ToLowerInvariant();
        return $"{time} on {local.ToString("dddd d MMMM", CultureInfo.InvariantCulture)}";
    }
}
