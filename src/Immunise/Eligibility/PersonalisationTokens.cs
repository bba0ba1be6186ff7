using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Immunise.Eligibility;

/// <summary>A text carries a token that cannot be filled from the person's data (a defect in the campaign config).</summary>
public sealed class PersonalisationTokenException(string message) : Exception(message);

/// <summary>
/// Fills <c>[[PERSON.ATTRIBUTE]]</c> and <c>[[TARGET.RSV.ATTRIBUTE]]</c> tokens in response texts from the person's data.
/// The last part may carry functions: <c>:DATE(format)</c> (a strftime-style format, e.g. <c>%-d %B %Y</c>) and
/// <c>:ADD_DAYS(n[, SOURCE])</c>, which derives a date n days after SOURCE (by default the attribute itself, or
/// LAST_SUCCESSFUL_DATE for NEXT_DOSE_DUE). A token naming an attribute the data does not have is refused; a token for a
/// target the person has no data for is empty.
/// </summary>
public static partial class PersonalisationTokens
{
    public static string Fill(string text, PersonData person)
    {
        if (!text.Contains("[[", StringComparison.Ordinal))
        {
            return text;
        }

        return TokenPattern().Replace(text, m => Resolve(m.Value, m.Groups["body"].Value, person));
    }

    private static string Resolve(string token, string body, PersonData person)
    {
        var parts = body.Split('.');
        if (parts.Length < 2 || parts.Any(p => p.Length == 0))
        {
            throw new PersonalisationTokenException($"Invalid token '{token}'.");
        }

        var level = parts[0].ToUpperInvariant();
        var last = parts[^1];
        var functions = last.Split(':');
        var attribute = functions[0].Trim().ToUpperInvariant();
        PersonDataRow? row;
        string rowType;
        switch (level)
        {
            case "PERSON" when parts.Length == 2:
                rowType = "PERSON";
                break;
            case "TARGET" when parts.Length == 3:
                rowType = parts[1].ToUpperInvariant();
                break;
            default:
                throw new PersonalisationTokenException($"Invalid token '{token}'.");
        }

        row = person.Row(rowType);
        string? dateFormat = null;
        int? addDays = null;
        string? source = null;
        foreach (var f in functions.Skip(1))
        {
            var call = FunctionPattern().Match(f.Trim());
            if (!call.Success)
            {
                throw new PersonalisationTokenException($"Invalid token format '{token}'.");
            }

            var args = call.Groups["args"].Value;
            switch (call.Groups["name"].Value.ToUpperInvariant())
            {
                case "DATE":
                    dateFormat = args;
                    break;
                case "ADD_DAYS":
                    var a = args.Split(',', StringSplitOptions.TrimEntries);
                    if (a[0].Length > 0)
                    {
                        addDays = int.TryParse(a[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                            ? n
                            : throw new PersonalisationTokenException($"Invalid days in token '{token}'.");
                    }
                    else
                    {
                        addDays = 91;
                    }

                    source = a.Length > 1 && a[1].Length > 0 ? a[1].ToUpperInvariant() : attribute == "NEXT_DOSE_DUE" ? "LAST_SUCCESSFUL_DATE" : attribute;
                    break;
                default:
                    throw new PersonalisationTokenException($"Invalid token format '{token}'.");
            }
        }

        string? value;
        if (addDays is int days)
        {
            value = row?[source ?? attribute];
            if (string.IsNullOrEmpty(value))
            {
                return "";
            }

            value = ParseDate(value, token).AddDays(days).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        }
        else
        {
            if (row is null && level == "TARGET")
            {
                return ""; // no data held for that target: nothing to show
            }

            if (row is null || !row.Has(attribute))
            {
                throw new PersonalisationTokenException($"Invalid attribute name '{attribute}' in token '{token}'.");
            }

            value = row[attribute];
        }

        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        return dateFormat is null ? value : FormatDate(ParseDate(value, token), dateFormat);
    }

    private static DateOnly ParseDate(string value, string token) =>
        RuleCondition.TryParseDate(value, out var d)
            ? d
            : throw new PersonalisationTokenException($"Token '{token}' formats a value that is not a date.");

    /// <summary>Formats a date with the strftime directives campaign texts use.</summary>
    public static string FormatDate(DateOnly date, string format)
    {
        var culture = CultureInfo.GetCultureInfo("en-GB");
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            var noPad = format[i + 1] == '-' && i + 2 < format.Length;
            var directive = noPad ? format[i + 2] : format[i + 1];
            i += noPad ? 2 : 1;
            sb.Append(directive switch
            {
                'd' => noPad ? date.Day.ToString(CultureInfo.InvariantCulture) : date.Day.ToString("00", CultureInfo.InvariantCulture),
                'e' => date.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
                'm' => noPad ? date.Month.ToString(CultureInfo.InvariantCulture) : date.Month.ToString("00", CultureInfo.InvariantCulture),
                'Y' => date.Year.ToString("0000", CultureInfo.InvariantCulture),
                'y' => (date.Year % 100).ToString("00", CultureInfo.InvariantCulture),
                'B' => culture.DateTimeFormat.GetMonthName(date.Month),
                'b' => culture.DateTimeFormat.GetAbbreviatedMonthName(date.Month),
                'A' => culture.DateTimeFormat.GetDayName(date.DayOfWeek),
                'a' => culture.DateTimeFormat.GetAbbreviatedDayName(date.DayOfWeek),
                'j' => noPad ? date.DayOfYear.ToString(CultureInfo.InvariantCulture) : date.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + (noPad ? "-" : "") + directive,
            });
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"\[\[(?<body>.*?)\]\]")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^(?<name>[A-Za-z_]+)\((?<args>[^()]*)\)$")]
    private static partial Regex FunctionPattern();
}
