using Immunise.Notifications;

namespace Immunise.Web.Hosting;

/// <summary>Reads and checks the <c>Notifications</c> section at start-up: a bad key or a missing template ID stops the start.</summary>
public static class NotificationSetup
{
    public static NotificationOptions Options(IConfiguration configuration)
    {
        var options = configuration.GetSection(NotificationOptions.Section).Get<NotificationOptions>() ?? new NotificationOptions();
        var problems = new List<string>();
        foreach (var key in options.Templates.SelectMany(t => t.Value.Keys.Select(channel => $"{t.Key}:{channel}")))
        {
            if (MessageTemplates.All.All(t => key != $"{t.Name}:{Outbox.ChannelName(t.Channel)}"))
            {
                problems.Add($"Notifications:Templates:{key} names no template (use name:sms or name:email, e.g. {MessageTemplates.BookingConfirmation}:sms).");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            if (!NotifyApiKey.TryParse(options.ApiKey, out _, out var reason))
            {
                problems.Add($"Notifications:ApiKey: {reason}");
            }

            foreach (var template in MessageTemplates.All)
            {
                if (options.TemplateId(template.Name, template.Channel) is not { } id || !Guid.TryParse(id, out _))
                {
                    problems.Add($"Notifications:Templates:{template.Name}:{Outbox.ChannelName(template.Channel)} needs the Notify template's ID (a UUID).");
                }
            }
        }

        try
        {
            _ = options.ReminderOffsets();
        }
        catch (FormatException e)
        {
            problems.Add(e.Message);
        }

        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out _) || options.RatePerMinute < 1 || options.BatchSize < 1 || options.MaxAttempts < 1)
        {
            problems.Add("Notifications: BaseUrl must be an absolute URL; RatePerMinute, BatchSize and MaxAttempts at least 1.");
        }

        return problems.Count == 0 ? options : throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
    }

    public static IMessageSender Sender(NotificationOptions options, TimeProvider clock)
    {
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            return new LocalSender();
        }

        var http = new HttpClient { BaseAddress = new Uri(options.BaseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        return new NotifySender(new NotifyClient(http, NotifyApiKey.Parse(options.ApiKey), clock));
    }
}
