using Immunise.Notifications;
using Immunise.Staff;
using Immunise.Web.Staff;

namespace Immunise.Web.Pages.Staff.Notifications;

/// <summary>
/// What the service has sent: messages per day, template, channel and status over the last week, failure reasons, and the
/// latest messages with their text as rendered (recipients masked), like Notify's own dashboard. With no Notify key these
/// are the messages kept locally.
/// </summary>
[StaffAccess(StaffScope.National, StaffRole.NationalAdministrator, StaffRole.Analyst)]
public sealed class IndexModel(NotificationReport report, TimeProvider clock) : StaffPage
{
    public NotificationReportResult? Report { get; private set; }

    public IReadOnlyList<NotificationView> Latest { get; private set; } = [];

    public string? Status { get; private set; }

    public async Task OnGetAsync(string? status, CancellationToken cancellationToken)
    {
        Status = status is not null && NotificationReport.Statuses.Contains(status) ? status : null;
        var tomorrow = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(1).ToDateTime(TimeOnly.MinValue);
        var to = new DateTimeOffset(tomorrow, TimeSpan.Zero);
        Report = await report.CountsAsync(to.AddDays(-7), to, cancellationToken);
        Latest = await report.LatestAsync(Status, 50, cancellationToken);
    }
}
