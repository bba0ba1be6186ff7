using System.Data.Common;
using System.Globalization;
using Dapper;
using Immunise.People;
using Immunise.Storage;
using Column = Immunise.Storage.Columns;

namespace Immunise.Notifications;

/// <summary>
/// The messages a booking change sends, written to the outbox in the change's own transaction: one per contact channel the
/// citizen gave (text, email), or a letter to the register's address when they gave none and the template has a letter.
/// The key (<c>booking:{id}:{event}:{channel}</c>) makes each event's message once, however often the change is retried.
/// </summary>
public static class BookingMessages
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-GB");
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    /// <summary>Writes the messages for <paramref name="template"/> about the booking; <paramref name="eventKey"/> names the event (e.g. <c>confirmed</c>).</summary>
    public static async Task<int> EnqueueAsync(
        DbConnection connection, DbTransaction transaction, string bookingId, string template, string eventKey, DateTimeOffset now,
        CancellationToken cancellationToken = default) =>
        await ReadAsync(connection, transaction, bookingId, cancellationToken) is { } facts
            ? await WriteAsync(connection, transaction, facts, bookingId, template, eventKey, now, cancellationToken)
            : 0;

    /// <summary>What the booking's messages say and where they go, read inside a change's transaction.</summary>
    private static Task<Facts?> ReadAsync(DbConnection connection, DbTransaction? transaction, string bookingId, CancellationToken cancellationToken = default) =>
        connection.QuerySingleOrDefaultAsync<Facts>(new CommandDefinition(SelectFacts, new { bookingId }, transaction, cancellationToken: cancellationToken))!;

    /// <summary>Maps a row of <see cref="SelectFacts"/> by position.</summary>
    internal static Facts ReadFacts(DbDataReader r) => new()
    {
        Reference = Column.Text(r, 0),
        NhsNumber = Column.Text(r, 1),
        Programme = Column.Text(r, 2),
        Mobile = Column.TextOrNull(r, 3),
        Email = Column.TextOrNull(r, 4),
        StartsAt = Column.Instant(r, 5),
        SiteName = Column.TextOrNull(r, 6) ?? "",
        SiteAddress = Column.TextOrNull(r, 7) ?? "",
        SitePostcode = Column.TextOrNull(r, 8) ?? "",
        Accessibility = Column.TextOrNull(r, 9) ?? "",
        Information = Column.TextOrNull(r, 10),
        GivenName = Column.TextOrNull(r, 11) ?? "",
        FamilyName = Column.TextOrNull(r, 12) ?? "",
        Address = Column.TextOrNull(r, 13),
        Postcode = Column.TextOrNull(r, 14) ?? "",
    };

    /// <summary>What a booking's messages say, for the booking <c>@bookingId</c>.</summary>
    internal const string SelectFacts =
        """
        SELECT b.reference, b.nhs_number, b.programme, b.mobile, b.email, sl.starts_at, st.name AS site_name, st.address AS site_address,
               st.postcode AS site_postcode, st.accessibility, st.information, p.given_name, p.family_name, p.address, p.postcode
        FROM bookings b JOIN slots sl ON sl.id = b.slot_id JOIN sites st ON st.ods_code = b.site_ods_code JOIN people p ON p.nhs_number = b.nhs_number
        WHERE b.id = @bookingId
        """;

    /// <summary>Writes the messages for <paramref name="template"/> from facts already read (their contact details as they are now).</summary>
    public static async Task<int> WriteAsync(
        DbConnection connection, DbTransaction transaction, Facts b, string bookingId, string template, string eventKey, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["vaccine"] = Vaccine(b.Programme),
            ["appointment_time"] = AppointmentTime(b.StartsAt),
            ["site_name"] = b.SiteName,
            ["site_address"] = $"{b.SiteAddress}, {b.SitePostcode}",
            ["booking_reference"] = b.Reference,
            ["site_accessibility"] = Accessibility(b.Accessibility, b.Information),
        };
        var channels = new List<(Channel Channel, string Recipient)>();
        if (!string.IsNullOrWhiteSpace(b.Mobile))
        {
            channels.Add((Channel.Sms, b.Mobile));
        }

        if (!string.IsNullOrWhiteSpace(b.Email))
        {
            channels.Add((Channel.Email, b.Email));
        }

        if (channels.Count == 0 && MessageTemplates.Find(template, Channel.Letter) is not null)
        {
            var lines = new[] { $"{b.GivenName} {b.FamilyName}" }
                .Concat((b.Address ?? "").Split([',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Append(b.Postcode).Take(7).ToList();
            if (lines.Count < 3)
            {
                lines.Insert(1, "Resident");
            }

            channels.Add((Channel.Letter, string.Join(", ", lines)));
            for (var i = 0; i < lines.Count; i++)
            {
                values[$"address_line_{i + 1}"] = lines[i];
            }
        }

        var written = 0;
        foreach (var (channel, recipient) in channels)
        {
            var definition = MessageTemplates.Find(template, channel);
            if (definition is null)
            {
                continue;
            }

            var fitted = values.Where(v => definition.Placeholders.Contains(v.Key) || (channel == Channel.Letter && MessageTemplates.AddressLines.Contains(v.Key)))
                .ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
            written += await Outbox.EnqueueAsync(connection, transaction, new OutboundMessage(
                $"booking:{bookingId}:{eventKey}:{Outbox.ChannelName(channel)}", channel, template, recipient, fitted,
                NhsNumber.FromStored(b.NhsNumber)), now, cancellationToken) ? 1 : 0;
        }

        return written;
    }

    public static string Vaccine(string programme) => programme switch
    {
        "COVID19" => "COVID-19",
        "FLU" => "flu",
        "RSV" => "RSV",
        _ => programme,
    };

    /// <summary>"Monday 1 December 2026 at 10:30am", in Europe/London time.</summary>
    public static string AppointmentTime(DateTimeOffset startsAt)
    {
        var local = TimeZoneInfo.ConvertTime(startsAt, London);
        var time = local.Minute == 0 ? local.ToString("%h", English) : local.ToString("h:mm", English);
        return $"{local.ToString("dddd d MMMM yyyy", English)} at {time}{(local.Hour < 12 ? "am" : "pm")}";
    }

    private static string Accessibility(string codes, string? information)
    {
        var known = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["step-free-access"] = "step-free access",
            ["accessible-toilet"] = "an accessible toilet",
            ["hearing-loop"] = "a hearing loop",
            ["disabled-parking"] = "disabled parking",
            ["wheelchair"] = "wheelchairs",
            ["bsl"] = "British Sign Language interpreters",
        };
        var named = codes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => known.TryGetValue(c, out var n) ? n : c.Replace('-', ' ')).ToList();
        var text = named.Count == 0 ? "Ask the site about access on the day." : $"This site has {string.Join(", ", named)}.";
        return string.IsNullOrWhiteSpace(information) ? text : $"{text} {information.Trim()}";
    }

    /// <summary>A booking's facts for its messages.</summary>
    public sealed class Facts
    {
        public string Reference { get; set; } = "";
        public string NhsNumber { get; set; } = "";
        public string Programme { get; set; } = "";
        public string? Mobile { get; set; }
        public string? Email { get; set; }
        public DateTimeOffset StartsAt { get; set; }
        public string SiteName { get; set; } = "";
        public string SiteAddress { get; set; } = "";
        public string SitePostcode { get; set; } = "";
        public string Accessibility { get; set; } = "";
        public string? Information { get; set; }
        public string GivenName { get; set; } = "";
        public string FamilyName { get; set; } = "";
        public string? Address { get; set; }
        public string Postcode { get; set; } = "";
    }
}
