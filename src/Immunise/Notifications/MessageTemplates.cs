using System.Text.RegularExpressions;

namespace Immunise.Notifications;

/// <summary>One template for one channel: a subject (email) and a body with Notify's <c>((placeholder))</c> fields.</summary>
public sealed partial record MessageTemplate(string Name, Channel Channel, string? Subject, string Body)
{
    /// <summary>The placeholders the template uses, in order of first use.</summary>
    public IReadOnlyList<string> Placeholders { get; } =
        [.. Placeholder().Matches((Subject ?? "") + "\n" + Body).Select(m => m.Groups["name"].Value).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// Why these values do not fit the template (a placeholder missing or unknown), or null when they do. The links
    /// (<see cref="MessageTemplates.Links"/>) are the dispatcher's to fill, from the service's public address.
    /// </summary>
    public string? Check(IReadOnlyDictionary<string, string> values)
    {
        var missing = Placeholders.Where(p => !MessageTemplates.Links.Contains(p) && (!values.TryGetValue(p, out var v) || string.IsNullOrWhiteSpace(v))).ToList();
        var unknown = values.Keys
            .Where(k => !Placeholders.Contains(k, StringComparer.Ordinal) && !(Channel == Channel.Letter && MessageTemplates.AddressLines.Contains(k)))
            .Order(StringComparer.Ordinal).ToList();
        if (Channel == Channel.Letter && !(values.TryGetValue("address_line_1", out var first) && !string.IsNullOrWhiteSpace(first)
            && values.Count(v => MessageTemplates.AddressLines.Contains(v.Key) && !string.IsNullOrWhiteSpace(v.Value)) >= 3))
        {
            missing.Add("address_line_1 and at least two more address lines");
        }

        if (missing.Count == 0 && unknown.Count == 0)
        {
            return null;
        }

        return $"Template '{Name}' ({Channel.ToString().ToLowerInvariant()}): "
            + string.Join("; ", new[]
            {
                missing.Count > 0 ? $"missing {string.Join(", ", missing)}" : null,
                unknown.Count > 0 ? $"not in the template {string.Join(", ", unknown)}" : null,
            }.OfType<string>());
    }

    /// <summary>The text as Notify would show it: each <c>((placeholder))</c> replaced by its value.</summary>
    public (string? Subject, string Body) Render(IReadOnlyDictionary<string, string> values)
    {
        string Fill(string text) => Placeholder().Replace(text, m => values.TryGetValue(m.Groups["name"].Value, out var v) ? v : m.Value);
        return (Subject is null ? null : Fill(Subject), Fill(Body));
    }

    [GeneratedRegex(@"\(\((?<name>[a-z_]+)\)\)")]
    private static partial Regex Placeholder();
}

/// <summary>
/// The messages Immunise sends, in NHS plain English, for text and email. The same templates must be set up in the Notify
/// service (their IDs configured under <c>Notifications:Templates</c>); with no Notify key they are rendered here.
/// </summary>
public static class MessageTemplates
{
    public const string BookingConfirmation = "booking-confirmation";
    public const string Reminder = "reminder";
    public const string Moved = "moved";
    public const string CancelledByYou = "cancelled-by-you";
    public const string CancelledBySite = "cancelled-by-site";
    public const string Invitation = "invitation";
    public const string RecallReminder = "recall-reminder";

    /// <summary>A letter's address, which Notify reads from the personalisation (the last line a postcode).</summary>
    public static readonly IReadOnlySet<string> AddressLines = new HashSet<string>(StringComparer.Ordinal)
    {
        "address_line_1", "address_line_2", "address_line_3", "address_line_4", "address_line_5", "address_line_6", "address_line_7",
    };

    /// <summary>Placeholders filled when a message is sent, from <see cref="NotificationOptions.PublicBaseUrl"/>.</summary>
    public static readonly IReadOnlySet<string> Links = new HashSet<string>(StringComparer.Ordinal) { "manage_url", "book_url" };

    /// <summary>The links for a service whose citizen pages are at <paramref name="publicBaseUrl"/>.</summary>
    public static IReadOnlyDictionary<string, string> LinksFor(string publicBaseUrl)
    {
        var root = publicBaseUrl.TrimEnd('/');
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["manage_url"] = $"{root}/manage", ["book_url"] = $"{root}/book" };
    }

    public static IReadOnlyList<MessageTemplate> All { get; } =
    [
        new(BookingConfirmation, Channel.Sms, null,
            "Your ((vaccine)) vaccination is booked for ((appointment_time)) at ((site_name)), ((site_address)). "
            + "Booking reference: ((booking_reference)). Bring this reference and your NHS number if you know it. "
            + "To change or cancel: ((manage_url))"),
        new(BookingConfirmation, Channel.Email, "Your ((vaccine)) vaccination appointment",
            "Your ((vaccine)) vaccination is booked.\n\n# Your appointment\n((appointment_time))\n((site_name))\n((site_address))\n\n"
            + "Booking reference: ((booking_reference))\n\n# Getting there\n((site_accessibility))\n\n"
            + "# What to bring\n* your booking reference\n* your NHS number, if you know it\n* a face covering, unless you cannot wear one\n\n"
            + "Wear clothes that let the top of your arm be reached easily.\n\n"
            + "# If you need to change or cancel\nManage your appointment at ((manage_url)). Please cancel if you cannot come, "
            + "so that someone else can have the appointment."),
        new(Reminder, Channel.Sms, null,
            "Reminder: your ((vaccine)) vaccination is at ((appointment_time)) at ((site_name)), ((site_address)). "
            + "Booking reference: ((booking_reference)). To change or cancel: ((manage_url))"),
        new(Reminder, Channel.Email, "Reminder: your ((vaccine)) vaccination appointment",
            "This is a reminder of your ((vaccine)) vaccination appointment.\n\n((appointment_time))\n((site_name))\n((site_address))\n\n"
            + "Booking reference: ((booking_reference))\n\nIf you cannot come, manage your appointment at ((manage_url))."),
        new(Moved, Channel.Sms, null,
            "Your ((vaccine)) vaccination has moved to ((appointment_time)) at ((site_name)), ((site_address)). "
            + "Booking reference: ((booking_reference)). To change or cancel: ((manage_url))"),
        new(Moved, Channel.Email, "Your ((vaccine)) vaccination appointment has changed",
            "Your ((vaccine)) vaccination appointment has changed. Your new appointment is:\n\n((appointment_time))\n((site_name))\n"
            + "((site_address))\n\nBooking reference: ((booking_reference))\n\nManage your appointment at ((manage_url))."),
        new(CancelledByYou, Channel.Sms, null,
            "Your ((vaccine)) vaccination at ((appointment_time)) (reference ((booking_reference))) is cancelled. "
            + "To book again: ((book_url))"),
        new(CancelledByYou, Channel.Email, "Your ((vaccine)) vaccination appointment is cancelled",
            "You cancelled your ((vaccine)) vaccination appointment at ((appointment_time)) (booking reference ((booking_reference))).\n\n"
            + "You can book again at ((book_url))."),
        new(CancelledBySite, Channel.Sms, null,
            "Sorry, ((site_name)) has had to cancel your ((vaccine)) vaccination at ((appointment_time)) "
            + "(reference ((booking_reference))). Please book again: ((book_url))"),
        new(CancelledBySite, Channel.Email, "Your ((vaccine)) vaccination appointment has been cancelled",
            "We are sorry, ((site_name)) has had to cancel your ((vaccine)) vaccination appointment at ((appointment_time)) "
            + "(booking reference ((booking_reference))).\n\nYou do not need to do anything else about this appointment. "
            + "Please book a new appointment at ((book_url))."),
        new(CancelledBySite, Channel.Letter, "Your ((vaccine)) vaccination appointment has been cancelled",
            "We are sorry, ((site_name)) has had to cancel your ((vaccine)) vaccination appointment at ((appointment_time)) "
            + "(booking reference ((booking_reference))).\n\nPlease book a new appointment at ((book_url)) or call 119 free of charge."),
        new(Moved, Channel.Letter, "Your ((vaccine)) vaccination appointment has changed",
            "Your ((vaccine)) vaccination appointment has changed. Your new appointment is at ((appointment_time)) at ((site_name)), "
            + "((site_address)).\n\nBooking reference: ((booking_reference))\n\nTo change or cancel it, go to ((manage_url)) or call 119 free of charge."),
        new(Invitation, Channel.Sms, null,
            "The NHS is offering you a ((vaccine)) vaccination. Book at ((book_url)) or call 119 free of charge."),
        new(Invitation, Channel.Email, "Book your ((vaccine)) vaccination",
            "The NHS is offering you a ((vaccine)) vaccination.\n\nYou can book your appointment at ((book_url)), "
            + "or call 119 free of charge if you cannot book online."),
        new(RecallReminder, Channel.Sms, null,
            "You are due your ((vaccine)) vaccination. It is not too late: book at ((book_url)) or call 119 free of charge."),
        new(RecallReminder, Channel.Email, "You are due your ((vaccine)) vaccination",
            "Our records show you have not yet had your ((vaccine)) vaccination. It is not too late.\n\n"
            + "Book your appointment at ((book_url)), or call 119 free of charge."),
    ];

    public static MessageTemplate? Find(string name, Channel channel) =>
        All.FirstOrDefault(t => t.Name == name && t.Channel == channel);
}
