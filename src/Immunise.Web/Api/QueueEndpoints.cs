using System.Text.Json;
using System.Text.Json.Serialization;
using Immunise.Audit;
using Immunise.Staff;
using Immunise.Web.Staff;
using Immunise.Web.WaitingRoom;
using Immunise.WaitingRoom;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immunise.Web.Api;

/// <summary>
/// A ticket's standing. <c>status</c>: <c>no-queue</c> (no ticket or token needed), <c>not-open-yet</c> (taken before a
/// scheduled opening: numbered at random among those at <c>opensAt</c>), <c>waiting</c> (<c>position</c>: number N in the
/// queue; <c>estimatedWaitMinutes</c>), <c>admitted</c> (<c>admissionToken</c> until <c>admissionExpiresAt</c>) or
/// <c>expired</c> (<c>reason</c>: <c>ticket-expired</c>, <c>ticket-abandoned</c>, <c>admission-lapsed</c>,
/// <c>admission-used</c>, <c>ticket-unknown</c>; take a new ticket). <c>pollSeconds</c>: when to ask again. The ticket and
/// token are in the body only for clients that send the ticket in <c>X-Queue-Ticket</c>; browsers get cookies.
/// </summary>
public sealed record QueueStatusResponse(
    string Status,
    long? Position,
    string? PositionText,
    double? EstimatedWaitMinutes,
    string? EstimatedWait,
    bool Paused,
    DateTimeOffset? OpensAt,
    int PollSeconds,
    string? Ticket,
    string? AdmissionToken,
    DateTimeOffset? AdmissionExpiresAt,
    string? Reason)
{
    public static readonly QueueStatusResponse NoQueue = new("no-queue", null, null, null, null, false, null, 0, null, null, null, null);

    public static QueueStatusResponse From(QueueStatusResult s, QueueSigning? signing) => new(
        StatusCode(s.State),
        s.State == QueueState.Waiting ? s.Position : null,
        s.State == QueueState.Waiting && s.Position is { } p ? QueueRules.Number(p) : null,
        s.WaitMinutes is { } m ? Math.Round(m, 1) : null,
        s.WaitText,
        s.Paused,
        s.OpensAt,
        s.PollSeconds,
        signing is null ? null : signing.Sign(s.Ticket),
        signing is not null && s.Admission is { } a ? signing.Sign(a) : null,
        s.Admission?.ExpiresAt,
        s.Reason);

    public static string StatusCode(QueueState state) => state switch
    {
        QueueState.NoQueue => "no-queue",
        QueueState.NotOpenYet => "not-open-yet",
        QueueState.Waiting => "waiting",
        QueueState.Admitted => "admitted",
        _ => "expired",
    };
}

/// <summary>The waiting room for operators: its settings and live figures.</summary>
public sealed record WaitingRoomResponse(
    string Mode,
    bool Active,
    bool Paused,
    int RatePerMinute,
    int MaxActive,
    DateTimeOffset? OpensAt,
    DateTimeOffset? AutomaticUntil,
    long LastSequence,
    long Serving,
    long Waiting,
    long StillPolling,
    long WaitingForOpening,
    double ServingPerMinute,
    double AdmittedPerMinute,
    double ArrivalsPerMinute,
    long ActiveVisitors,
    long AbandonedLastHour,
    long AbandonedTotal,
    long AdmittedTotal,
    double? EstimatedWaitMinutes,
    double? RecentWaitMinutes,
    DateTimeOffset UpdatedAt,
    string UpdatedBy)
{
    public static WaitingRoomResponse From(WaitingRoomFiguresResult f) => new(
        f.Counters.Mode, f.IsActive, f.Counters.Paused, f.Counters.RatePerMinute, f.Counters.MaxActive, f.Counters.OpensAt, f.Counters.AutoUntil,
        f.Counters.LastSequence, f.Counters.Serving, f.Waiting, f.StillPolling, f.Pending, Math.Round(f.ServingPerMinute, 1),
        Math.Round(f.AdmittedPerMinute, 1), Math.Round(f.ArrivalsPerMinute, 1), f.Active, f.AbandonedLastHour, f.AbandonedTotal, f.AdmittedTotal,
        f.EstimatedWaitMinutes is { } e ? Math.Round(e, 1) : null, f.RecentWaitMinutes is { } r ? Math.Round(r, 1) : null,
        f.Counters.UpdatedAt, f.Counters.UpdatedBy);
}

/// <summary>A change to the waiting room; what is left out stays as it is.</summary>
public sealed record WaitingRoomBody(string? Mode, bool? Paused, int? RatePerMinute, int? MaxActive, DateTimeOffset? OpensAt, bool? CancelOpening)
{
    public WaitingRoomChange ToChange() => new(Mode?.Trim().ToLowerInvariant(), Paused, RatePerMinute, MaxActive, OpensAt, CancelOpening ?? false);
}

/// <summary>
/// The waiting room over HTTP. Anyone: <c>POST /api/v1/queue/tickets</c> (a ticket; rate-limited per client address, and a
/// client that sends a valid ticket gets it back rather than another) and <c>GET /api/v1/queue/status</c> (the ticket in
/// <c>X-Queue-Ticket</c>, or the browser's cookie). National administrators: <c>GET</c> and <c>PUT /api/v1/waiting-room</c>.
/// </summary>
public static class QueueEndpoints
{
    public static IEndpointRouteBuilder MapQueueEndpoints(this IEndpointRouteBuilder app)
    {
        var queue = app.MapGroup("/api/v1/queue").WithTags("Waiting room").AllowAnonymous();
        queue.MapPost("/tickets", TakeTicketAsync).WithName("TakeQueueTicket")
            .WithSummary("Take a place in the booking queue (when it is in use). Send the ticket back in X-Queue-Ticket; 429 too-many-tickets")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        queue.MapGet("/status", StatusAsync).WithName("QueueStatus")
            .WithSummary("A ticket's place, estimated wait, or admission token. 400 ticket-required, ticket-invalid")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        var admin = app.MapGroup("/api/v1/waiting-room").WithTags("Waiting room")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("", GetAsync).RequireStaff(StaffScope.National, StaffRole.NationalAdministrator)
            .WithName("GetWaitingRoom").WithSummary("The waiting room's settings and live figures (national administrators)");
        admin.MapPut("", ChangeAsync).RequireStaff(StaffScope.National, StaffRole.NationalAdministrator)
            .WithName("ChangeWaitingRoom")
            .WithSummary("Switch off/on/automatic, pause, set rate and maximum active visitors, schedule or cancel an opening (national administrators)")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public static async Task<Results<Created<QueueStatusResponse>, Ok<QueueStatusResponse>, ProblemHttpResult>> TakeTicketAsync(
        HttpContext context, WaitingRoomDoor door)
    {
        await door.ReadyAsync();
        if (door.ReadTicket(context, out var held) == TokenCheck.Valid)
        {
            var standing = await door.Status.CheckAsync(held!, context.RequestAborted);
            if (standing.State != QueueState.Expired)
            {
                return TypedResults.Ok(QueueStatusResponse.From(standing, door.Signing));
            }
        }

        var counters = await door.CountersAsync(context.RequestAborted);
        if (!counters.InUse(door.Now))
        {
            return TypedResults.Ok(QueueStatusResponse.NoQueue);
        }

        var issued = await door.IssueAsync(context);
        if (issued is null)
        {
            context.Response.Headers.RetryAfter = "60";
            return TypedResults.Problem(Problems.Create(StatusCodes.Status429TooManyRequests, "too-many-tickets",
                "Too many queue tickets have been taken from this address. Wait a minute and try again, or keep using the ticket you have."));
        }

        var status = await door.Status.CheckAsync(issued.Ticket, context.RequestAborted);
        return TypedResults.Created("/api/v1/queue/status", QueueStatusResponse.From(status, door.Signing));
    }

    public static async ValueTask<Results<Ok<QueueStatusResponse>, ProblemHttpResult>> StatusAsync(HttpContext context, WaitingRoomDoor door)
    {
        await door.ReadyAsync();
        var fromHeader = context.Request.Headers.ContainsKey(WaitingRoomDoor.TicketHeader);
        switch (door.ReadTicket(context, out var ticket))
        {
            case TokenCheck.Missing:
                return TypedResults.Problem(Problems.Create(StatusCodes.Status400BadRequest, "ticket-required",
                    $"Send the queue ticket in the {WaitingRoomDoor.TicketHeader} header (take one at POST /api/v1/queue/tickets)."));
            case not TokenCheck.Valid:
                return TypedResults.Problem(Problems.Create(StatusCodes.Status400BadRequest, "ticket-invalid", "The queue ticket is not valid. Take a new one."));
        }

        var status = await door.Status.CheckAsync(ticket!, context.RequestAborted);
        if (!fromHeader)
        {
            if (status.TicketChanged)
            {
                door.KeepTicket(context, status.Ticket);
            }

            if (status.Admission is { } admission)
            {
                door.KeepAdmission(context, admission);
            }
        }

        return TypedResults.Ok(QueueStatusResponse.From(status, fromHeader ? door.Signing : null));
    }

    public static async Task<Ok<WaitingRoomResponse>> GetAsync(WaitingRoomFigures figures, CancellationToken cancellationToken) =>
        TypedResults.Ok(WaitingRoomResponse.From(await figures.GetAsync(cancellationToken)));

    public static async Task<Results<Ok<WaitingRoomResponse>, ProblemHttpResult>> ChangeAsync(
        WaitingRoomBody body, HttpContext context, ChangeWaitingRoom change, WaitingRoomFigures figures, ILogger<ChangeWaitingRoom> logger, CancellationToken cancellationToken)
    {
        var request = body.ToChange();
        if (!request.IsEmpty)
        {
            var changed = await change.HandleAsync(request, Actor.Staff(context.User.StaffId()), cancellationToken);
            if (!changed.Succeeded)
            {
                return Problems.From(changed.Failure!);
            }

            WaitingRoomLog.Changed(logger, context.User.StaffId(), ChangeWaitingRoom.Describe(changed.Value!));
        }

        return TypedResults.Ok(WaitingRoomResponse.From(await figures.GetAsync(cancellationToken)));
    }
}

/// <summary>The waiting room's answers written by generated code: a status poll is the service's most frequent request.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(QueueStatusResponse))]
[JsonSerializable(typeof(WaitingRoomResponse))]
public sealed partial class QueueJsonContext : JsonSerializerContext;
