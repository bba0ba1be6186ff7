namespace Immunise.Notifications;

/// <summary>
/// Configuration section <c>Notifications</c>. With no <see cref="ApiKey"/> messages are rendered and kept locally (the
/// embedded default, like Notify's test key); with one, they go to GOV.UK Notify at <see cref="BaseUrl"/>.
/// </summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>A Notify API key, <c>{key_name}-{service_id}-{secret_key}</c>. Keep it in a secret store, not in a file.</summary>
    public string? ApiKey { get; set; }

    public string BaseUrl { get; set; } = "https://api.notifications.service.gov.uk";

    /// <summary>Where citizens reach this service's pages: the booking and manage links in messages are made from it.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5000";

    /// <summary>
    /// Notify's template ID for each of our templates and channels: <c>Templates:booking-confirmation:sms</c> and so on
    /// (as environment variables, <c>Notifications__Templates__booking-confirmation__sms</c>).
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Templates { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether this instance runs the dispatcher (every instance may; they share the work safely).</summary>
    public bool DispatcherEnabled { get; set; } = true;

    /// <summary>Messages sent per minute by this instance; Notify allows 3,000 per minute per key.</summary>
    public int RatePerMinute { get; set; } = 3_000;

    /// <summary>Messages claimed at a time, and sent side by side.</summary>
    public int BatchSize { get; set; } = 50;

    public int Parallelism { get; set; } = 8;

    /// <summary>Attempts before a message that keeps failing for temporary reasons is given up as a technical failure.</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>How long a claimed message is this dispatcher's before another may take it over (after a crash).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The first retry's delay; each later one doubles it (with jitter), up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often an idle dispatcher looks for due messages.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Sent messages with no delivery receipt after this long are asked about (<c>GET /v2/notifications/{id}</c>).</summary>
    public TimeSpan ReceiptWait { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Hours before an appointment at which reminders go, comma-separated (by default 3 days and 1 day).</summary>
    public string ReminderHours { get; set; } = "72,24";

    public IReadOnlyList<int> ReminderOffsets() =>
        [.. ReminderHours.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(h => int.TryParse(h, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new FormatException("Notifications:ReminderHours must be whole numbers of hours, e.g. 72,24."))
            .Distinct()];

    /// <summary>The bearer token Notify's delivery-receipt callbacks must carry (set the same in Notify's API integration page).</summary>
    public string? CallbackToken { get; set; }

    public string? TemplateId(string template, Channel channel) =>
        Templates.TryGetValue(template, out var channels) && channels.TryGetValue(Outbox.ChannelName(channel), out var id) ? id : null;
}
