using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Eligibility;

/// <summary>
/// Reads NHS England's eligibility scenarios from the shared data where they lie: substitutes their placeholders relative
/// to today in Europe/London and lays person rows over the data template, as the shared data's README describes.
/// </summary>
internal static partial class ScenarioFixtures
{
    /// <summary>
    /// Where the scenarios lie: the shared data's <c>eligibility-signposting</c> folder, or the folder the environment
    /// variable IMMUNISE_ELIGIBILITY_DATA names, laid out the same way (configs/, scenarios/&lt;set&gt;/,
    /// responses/&lt;set&gt;Responses/, dynamo_data_template.json), to replay other NHS England scenario sets.
    /// </summary>
    public static string Root { get; } = Environment.GetEnvironmentVariable("IMMUNISE_ELIGIBILITY_DATA") is { Length: > 0 } other
        ? Path.GetFullPath(other)
        : SharedData.PathTo("eligibility-signposting");

    /// <summary>Whether the scenarios are the shared data's (no IMMUNISE_ELIGIBILITY_DATA given).</summary>
    public static bool IsSharedData => Root == SharedData.PathTo("eligibility-signposting");

    /// <summary>
    /// Now, on the Europe/London wall clock: today's date at noon. NHS England recorded the expected responses during the
    /// working day, and several scenarios depend on the time of day: an iteration that starts today at 07:00, or one
    /// whose time is "30 minutes ago" (a placeholder that would fall on yesterday's clock just after midnight). Replaying
    /// at a fixed hour makes those scenarios mean what they were recorded to mean, whenever the suite runs. The
    /// environment variable IMMUNISE_SCENARIO_NOW (an ISO 8601 UTC instant) replays them as of another moment instead.
    /// </summary>
    public static DateTime LondonNow { get; } = ReplayInstant() is { } at
        ? InLondon(at)
        : DateOnly.FromDateTime(InLondon(DateTime.UtcNow)).ToDateTime(new TimeOnly(12, 0));

    private static DateTime? ReplayInstant() =>
        DateTimeOffset.TryParse(Environment.GetEnvironmentVariable("IMMUNISE_SCENARIO_NOW"), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime
            : null;

    public static DateOnly Today => DateOnly.FromDateTime(LondonNow);

    public static string Substitute(string text) => Substitute(text, LondonNow);

    /// <summary>Converts a UTC instant to the Europe/London wall clock.</summary>
    public static DateTime InLondon(DateTime utc) =>
        TimeZoneInfo.ConvertTimeFromUtc(utc, TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));

    /// <summary>Substitutes placeholders relative to <paramref name="londonNow"/> (Europe/London wall clock).</summary>
    public static string Substitute(string text, DateTime londonNow) => Placeholder().Replace(text, m =>
    {
        var kind = m.Groups["kind"].Value;
        if (kind == "RANDOM_GUID")
        {
            return Guid.NewGuid().ToString();
        }

        if (kind.StartsWith("IGNORE", StringComparison.Ordinal))
        {
            return m.Value;
        }

        var n = int.Parse(m.Groups["n"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (kind == "TIME")
        {
            var t = m.Groups["unit"].Value switch
            {
                "HOUR" => londonNow.AddHours(n),
                "MINUTE" => londonNow.AddMinutes(n),
                _ => londonNow.AddSeconds(n),
            };
            return t.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        }

        var today = DateOnly.FromDateTime(londonNow);
        var date = m.Groups["unit"].Value switch
        {
            "DAY" => today.AddDays(n),
            "WEEK" => today.AddDays(7 * n),
            "MONTH" => today.AddMonths(n),
            "YEAR" => today.AddYears(n),
            _ => today.AddYears(-n),
        };
        date = m.Groups["shift"].Value switch
        {
            "-TOMORROW" => date.AddDays(1),
            "-YESTERDAY" => date.AddDays(-1),
            _ => date,
        };
        return m.Groups["prefix"].Value switch
        {
            "R" => date.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("en-GB")),
            "NBS" => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            _ => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
        };
    });

    /// <summary>Lays each scenario row over the template row of the same ATTRIBUTE_TYPE (vaccine rows over VACCINE_BASE first).</summary>
    public static JsonArray LayOverTemplate(JsonArray rows)
    {
        var template = (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "dynamo_data_template.json")))!;
        JsonObject? TemplateRow(string type) =>
            template.OfType<JsonObject>().FirstOrDefault(r => (string?)r["ATTRIBUTE_TYPE"] == type);

        var result = new JsonArray();
        foreach (var row in rows.OfType<JsonObject>())
        {
            var type = (string?)row["ATTRIBUTE_TYPE"] ?? "";
            var merged = new JsonObject();
            if (type is "COVID" or "FLU" or "RSV")
            {
                Overlay(merged, TemplateRow("VACCINE_BASE"));
            }

            Overlay(merged, TemplateRow(type));
            Overlay(merged, row);
            merged["ATTRIBUTE_TYPE"] = type;
            result.Add(merged);
        }

        return result;
    }

    private static void Overlay(JsonObject into, JsonObject? from)
    {
        if (from is null)
        {
            return;
        }

        foreach (var (key, value) in from)
        {
            into[key] = value?.DeepClone();
        }
    }

    [GeneratedRegex(@"<<(?:(?<kind>RANDOM_GUID|IGNORE[A-Z_]*)|(?<prefix>R|NBS)?(?<kind>DATE|TIME)_(?<unit>DAY|WEEK|MONTH|YEAR|AGE|HOUR|MINUTE|SECOND)_(?<n>[+-]?\d+)(?<shift>-TOMORROW|-YESTERDAY)?)>>")]
    private static partial Regex Placeholder();
}
