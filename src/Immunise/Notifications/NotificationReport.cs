using Dapper;
using Immunise.Storage;

namespace Immunise.Notifications;

/// <summary>Messages per day (UTC), template, channel and status: what operations watch.</summary>
public sealed record NotificationCount(string Day, string Template, string Channel, string Status, long Messages);

/// <summary>Why messages failed, with how many.</summary>
public sealed record FailureCount(string Template, string Channel, string Status, string Reason, long Messages);

/// <summary>A message as operations see it: the recipient masked, the text as rendered.</summary>
public sealed record NotificationView(
    string Id, string Template, string Channel, string Recipient, string Status, int Attempts, string? Subject, string? Body,
    string? FailureReason, DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? CompletedAt);

public sealed record NotificationReportResult(IReadOnlyList<NotificationCount> Counts, IReadOnlyList<FailureCount> Failures);

/// <summary>The statistics and the message list behind the notifications operations page and its CSV.</summary>
public sealed class NotificationReport(Database database)
{
    public static readonly IReadOnlySet<string> Statuses = new HashSet<string>(StringComparer.Ordinal)
    {
        "pending", "sending", "sent", "delivered", "permanent-failure", "temporary-failure", "technical-failure",
    };

    public async Task<NotificationReportResult> CountsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var day = database.Dialect.IsPostgres ? "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : "substr(created_at, 1, 10)";
        await using var connection = await database.OpenAsync(cancellationToken);
        var counts = await connection.QueryAsync<CountRow>(new CommandDefinition(
            $"""
            SELECT {day} AS day, template, channel, status, count(*) AS messages
            FROM notification_messages WHERE created_at >= @from AND created_at < @to
            GROUP BY {day}, template, channel, status ORDER BY 1, 2, 3, 4
            """, new { from, to }, cancellationToken: cancellationToken));
        var failures = await connection.QueryAsync<CountRow>(new CommandDefinition(
            """
            SELECT template, channel, status, COALESCE(failure_reason, '') AS reason, count(*) AS messages
            FROM notification_messages
            WHERE created_at >= @from AND created_at < @to AND failure_reason IS NOT NULL AND status <> 'sent' AND status <> 'delivered'
            GROUP BY template, channel, status, failure_reason ORDER BY 5 DESC, 1, 2, 3, 4
            """, new { from, to }, cancellationToken: cancellationToken));
        // Read into classes: with no rows SQLite cannot tell a record's constructor what the columns' types are.
        return new NotificationReportResult(
            [.. counts.Select(c => new NotificationCount(c.Day, c.Template, c.Channel, c.Status, c.Messages))],
            [.. failures.Select(f => new FailureCount(f.Template, f.Channel, f.Status, f.Reason, f.Messages))]);
    }

    /// <summary>The latest messages (at most <paramref name="limit"/>), optionally of one status.</summary>
    public async Task<IReadOnlyList<NotificationView>> LatestAsync(string? status, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT id, template, channel, recipient, status, attempts, subject, body, failure_reason, created_at, sent_at, completed_at
            FROM notification_messages {(status is null ? "" : "WHERE status = @status")}
            ORDER BY created_at DESC, id LIMIT @limit
            """, new { status, limit = Math.Clamp(limit, 1, 500) }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new NotificationView(
            r.Id, r.Template, r.Channel, Mask(r.Recipient), r.Status, r.Attempts, r.Subject, r.Body, r.FailureReason, r.CreatedAt, r.SentAt, r.CompletedAt))];
    }

    /// <summary>Enough of a recipient to tell messages apart, not enough to contact anyone: <c>+4477••••••23</c>, <c>a•••@example.com</c>.</summary>
    public static string Mask(string recipient)
    {
        var at = recipient.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            return recipient[..1] + new string('•', Math.Max(3, at - 1)) + recipient[at..];
        }

        return recipient.Length <= 6 ? new string('•', recipient.Length) : recipient[..5] + new string('•', recipient.Length - 7) + recipient[^2..];
    }

    private sealed class CountRow
    {
        public string Day { get; set; } = "";
        public string Template { get; set; } = "";
        public string Channel { get; set; } = "";
        public string Status { get; set; } = "";
        public string Reason { get; set; } = "";
        public long Messages { get; set; }
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Template { get; set; } = "";
        public string Channel { get; set; } = "";
        public string Recipient { get; set; } = "";
        public string Status { get; set; } = "";
        public int Attempts { get; set; }
        public string? Subject { get; set; }
        public string? Body { get; set; }
        public string? FailureReason { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public DateTimeOffset? SentAt { get; set; }
        public DateTimeOffset? CompletedAt { get; set; }
    }
}
