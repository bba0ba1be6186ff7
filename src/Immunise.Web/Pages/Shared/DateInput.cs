using System.Globalization;

namespace Immunise.Web.Pages.Shared;

/// <summary>
/// A date typed into three boxes (day, month, year), read as the GOV.UK date input pattern says: a message that names what
/// is missing or wrong, and which box to highlight.
/// </summary>
public sealed record DateInput(string? Day, string? Month, string? Year)
{
    /// <summary>Reads the date; on failure, <paramref name="error"/> is a message for the citizen about "<paramref name="what"/>".</summary>
    public bool TryRead(string what, out DateOnly date, out string error)
    {
        date = default;
        error = "";
        var day = Day?.Trim() ?? "";
        var month = Month?.Trim() ?? "";
        var year = Year?.Trim() ?? "";
        if (day.Length == 0 && month.Length == 0 && year.Length == 0)
        {
            error = $"Enter your {what}";
            return false;
        }

        var missing = new List<string>();
        if (day.Length == 0)
        {
            missing.Add("day");
        }

        if (month.Length == 0)
        {
            missing.Add("month");
        }

        if (year.Length == 0)
        {
            missing.Add("year");
        }

        if (missing.Count > 0)
        {
            error = $"Your {what} must include a {string.Join(" and ", missing)}";
            return false;
        }

        if (!int.TryParse(day, NumberStyles.None, CultureInfo.InvariantCulture, out var d)
            || !int.TryParse(month, NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            || !int.TryParse(year, NumberStyles.None, CultureInfo.InvariantCulture, out var y))
        {
            error = $"Your {what} must be a real date, written in numbers";
            return false;
        }

        if (year.Length != 4)
        {
            error = "Year must include 4 numbers";
            return false;
        }

        if (m is < 1 or > 12 || d < 1 || y < 1 || d > DateTime.DaysInMonth(y, m))
        {
            error = $"Your {what} must be a real date";
            return false;
        }

        date = new DateOnly(y, m, d);
        return true;
    }

    public static DateInput From(DateOnly? date) => date is { } d
        ? new DateInput(d.Day.ToString(CultureInfo.InvariantCulture), d.Month.ToString(CultureInfo.InvariantCulture), d.Year.ToString(CultureInfo.InvariantCulture))
        : new DateInput(null, null, null);
}
