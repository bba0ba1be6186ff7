using System.Security.Cryptography;
using System.Text;
using Immunise.Access;
using Immunise.Common;
using Immunise.Notifications;
using Immunise.Storage;

namespace Immunise.Web.Api;

/// <summary>
/// Notifications: Notify's delivery receipts (<c>POST /api/v1/notifications/receipts</c>, with the bearer token set in
/// Notify's API integration page), and for operations (scope <c>notifications:read</c>) the latest messages with their text
/// and the statistics per day, template, channel and status, as JSON or CSV.
/// </summary>
public static class NotificationEndpoints
{
    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/notifications/receipts", ReceiptAsync)
            .AllowAnonymous() // Notify calls with the callback bearer token, checked here
            .WithTags("Notifications").WithName("NotifyDeliveryReceipt")
            .WithSummary("GOV.UK Notify delivery receipt callback")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        var group = app.MapGroup("/api/v1/notifications").WithTags("Notifications").RequireAuthorization(Scopes.NotificationsRead)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("", LatestAsync).WithName("ListNotifications")
            .WithSummary("The latest messages (recipients masked) with their rendered text, optionally of one status")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/report", ReportAsync).WithName("NotificationReport")
            .WithSummary("Messages per day, template, channel and status, and failure reasons; format=csv for CSV")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public sealed record Receipt(string? Id, string? Reference, string? Status);

    private static async Task<IResult> ReceiptAsync(HttpContext context, NotificationOptions options, Database database, TimeProvider clock)
    {
        if (string.IsNullOrEmpty(options.CallbackToken))
        {
            return Problems.From(Failure.NotFound("receipts-not-configured", "Delivery receipts are not configured (Notifications:CallbackToken)."));
        }

        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(options.CallbackToken)))
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status401Unauthorized, "invalid-callback-token", "The callback bearer token is missing or wrong."));
        }

        Receipt? receipt;
        try
        {
            receipt = await context.Request.ReadFromJsonAsync<Receipt>(context.RequestAborted);
        }
        catch (System.Text.Json.JsonException)
        {
            receipt = null;
        }

        if (receipt is not { Id: { Length: > 0 } id, Status: { Length: > 0 } status } || !NotificationReport.Statuses.Contains(status) && status is not "created" and not "pending")
        {
            return Problems.From(Failure.Invalid("invalid-receipt", "A receipt needs the notification id and a Notify status."));
        }

        return await NotificationDispatcher.RecordReceiptAsync(database, id, status, clock.GetUtcNow(), context.RequestAborted)
            ? TypedResults.NoContent()
            : Problems.From(Failure.NotFound("notification-not-found", "No message was sent with this notification id."));
    }

    private static async Task<IResult> LatestAsync(NotificationReport report, string? status, int? limit, CancellationToken cancellationToken)
    {
        if (status is not null && !NotificationReport.Statuses.Contains(status))
        {
            return Problems.From(Failure.Invalid("invalid-status", $"status must be one of {string.Join(", ", NotificationReport.Statuses)}.", "status"));
        }

        return TypedResults.Ok(await report.LatestAsync(status, limit ?? 100, cancellationToken));
    }

    private static async Task<IResult> ReportAsync(NotificationReport report, TimeProvider clock, DateOnly? from, DateOnly? to, string? format, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var first = from ?? today.AddDays(-6);
        var last = to ?? today;
        if (last < first || last.DayNumber - first.DayNumber > 366)
        {
            return Problems.From(Failure.Invalid("invalid-range", "from must not be after to, and the range at most a year.", "from"));
        }

        var result = await report.CountsAsync(
            new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), new DateTimeOffset(last.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), cancellationToken);
        if (format is "csv")
        {
            var csv = new StringWriter();
            CsvOut.WriteRow(csv, ["day", "template", "channel", "status", "messages"]);
            foreach (var c in result.Counts)
            {
                CsvOut.WriteRow(csv, [c.Day, c.Template, c.Channel, c.Status, c.Messages.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
        }

        return format is null or "json"
            ? TypedResults.Ok(result)
            : Problems.From(Failure.Invalid("invalid-format", "format must be json or csv.", "format"));
    }
}
