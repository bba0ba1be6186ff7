using System.Globalization;
using System.Text.RegularExpressions;

namespace Immunise.Eligibility;

/// <summary>The comparison a rule makes, parsed once from its <c>Operator</c> and <c>Comparator</c>.</summary>
public enum OperatorKind
{
    Equal,
    NotEqual,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    Contains,
    NotContains,
    StartsWith,
    NotStartsWith,
    EndsWith,
    In,
    NotIn,
    IsNull,
    IsNotNull,
    Between,
    NotBetween,
    IsEmpty,
    IsNotEmpty,
    IsTrue,
    IsFalse,
    /// <summary>A date comparison against today (or an offset date) shifted by days, weeks or years.</summary>
    Date,
}

public enum DateUnit
{
    Days,
    Weeks,
    Years,
}

/// <summary>
/// A rule's compiled test of one attribute value. The comparator may end in <c>[[NVL:value]]</c>, the value used when the
/// person's attribute is missing; date comparators may end in <c>[[OFFSET:YYYYMMDD]]</c>, the date counted from instead of today.
/// </summary>
public sealed partial record RuleCondition(
    string Operator,
    OperatorKind Kind,
    string Value,
    string? Default,
    DateUnit Unit = DateUnit.Days,
    OperatorKind DateComparison = OperatorKind.Equal,
    int Amount = 0,
    DateOnly? Offset = null,
    long Low = 0,
    long High = 0)
{
    private static readonly Dictionary<string, OperatorKind> s_operators = new(StringComparer.Ordinal)
    {
        ["="] = OperatorKind.Equal,
        ["!="] = OperatorKind.NotEqual,
        [">"] = OperatorKind.GreaterThan,
        [">="] = OperatorKind.GreaterThanOrEqual,
        ["<"] = OperatorKind.LessThan,
        ["<="] = OperatorKind.LessThanOrEqual,
        ["contains"] = OperatorKind.Contains,
        ["not_contains"] = OperatorKind.NotContains,
        ["starts_with"] = OperatorKind.StartsWith,
        ["not_starts_with"] = OperatorKind.NotStartsWith,
        ["ends_with"] = OperatorKind.EndsWith,
        ["in"] = OperatorKind.In,
        ["not_in"] = OperatorKind.NotIn,
        ["MemberOf"] = OperatorKind.In,
        ["member_of"] = OperatorKind.In,
        ["NotMemberOf"] = OperatorKind.NotIn,
        ["not_member_of"] = OperatorKind.NotIn,
        ["is_null"] = OperatorKind.IsNull,
        ["is_not_null"] = OperatorKind.IsNotNull,
        ["between"] = OperatorKind.Between,
        ["not_between"] = OperatorKind.NotBetween,
        ["is_empty"] = OperatorKind.IsEmpty,
        ["is_not_empty"] = OperatorKind.IsNotEmpty,
        ["is_true"] = OperatorKind.IsTrue,
        ["is_false"] = OperatorKind.IsFalse,
    };

    /// <summary>Parses an operator and comparator; null with a reason when either is not understood.</summary>
    public static RuleCondition? TryParse(string op, string comparator, out string? error)
    {
        error = null;
        var value = comparator;
        string? fallback = null;
        var nvl = NvlPattern().Match(value);
        if (nvl.Success)
        {
            value = nvl.Groups["value"].Value;
            fallback = nvl.Groups["default"].Value;
        }

        if (s_operators.TryGetValue(op, out var kind))
        {
            if (kind is OperatorKind.Between or OperatorKind.NotBetween)
            {
                var parts = value.Split(',');
                if (parts.Length != 2
                    || !long.TryParse(parts[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var a)
                    || !long.TryParse(parts[1].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b))
                {
                    error = $"operator '{op}' needs a comparator of two whole numbers 'low,high', not '{comparator}'";
                    return null;
                }

                return new RuleCondition(op, kind, value, fallback, Low: Math.Min(a, b), High: Math.Max(a, b));
            }

            return new RuleCondition(op, kind, value, fallback);
        }

        var date = DateOperatorPattern().Match(op);
        if (!date.Success)
        {
            error = $"unknown operator '{op}'";
            return null;
        }

        var unit = date.Groups["unit"].Value switch
        {
            "D" => DateUnit.Days,
            "W" => DateUnit.Weeks,
            _ => DateUnit.Years,
        };
        var comparison = date.Groups["cmp"].Value switch
        {
            ">" => OperatorKind.GreaterThan,
            ">=" => OperatorKind.GreaterThanOrEqual,
            "<" => OperatorKind.LessThan,
            _ => OperatorKind.LessThanOrEqual,
        };
        DateOnly? offset = null;
        var offsetMatch = OffsetPattern().Match(value);
        if (offsetMatch.Success)
        {
            if (!DateOnly.TryParseExact(offsetMatch.Groups["offset"].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var o))
            {
                error = $"operator '{op}' has an offset that is not a date in '{comparator}'";
                return null;
            }

            offset = o;
            value = offsetMatch.Groups["value"].Value;
        }

        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount))
        {
            error = $"date operator '{op}' needs a whole-number comparator, not '{comparator}'";
            return null;
        }

        return new RuleCondition(op, OperatorKind.Date, value, fallback, unit, comparison, amount, offset);
    }

    /// <summary>Whether the person's attribute value (null when missing) satisfies this condition on <paramref name="today"/>.</summary>
    public bool Matches(string? item, DateOnly today)
    {
        switch (Kind)
        {
            case OperatorKind.IsNull:
            case OperatorKind.IsEmpty:
                return string.IsNullOrEmpty(item);
            case OperatorKind.IsNotNull:
            case OperatorKind.IsNotEmpty:
                return !string.IsNullOrEmpty(item);
            case OperatorKind.IsTrue:
                return string.Equals(item, "true", StringComparison.OrdinalIgnoreCase);
            case OperatorKind.IsFalse:
                return string.Equals(item, "false", StringComparison.OrdinalIgnoreCase);
            default:
                break;
        }

        item ??= Default;
        switch (Kind)
        {
            case OperatorKind.Equal:
            case OperatorKind.NotEqual:
            case OperatorKind.GreaterThan:
            case OperatorKind.GreaterThanOrEqual:
            case OperatorKind.LessThan:
            case OperatorKind.LessThanOrEqual:
                return CompareScalar(Kind, item, Value);
            case OperatorKind.Contains:
                return !string.IsNullOrEmpty(item) && item.Contains(Value, StringComparison.Ordinal);
            case OperatorKind.NotContains:
                return item is null || !item.Contains(Value, StringComparison.Ordinal);
            case OperatorKind.StartsWith:
                return item is not null && item.StartsWith(Value, StringComparison.Ordinal);
            case OperatorKind.NotStartsWith:
                return item is null || !item.StartsWith(Value, StringComparison.Ordinal);
            case OperatorKind.EndsWith:
                return item is not null && item.EndsWith(Value, StringComparison.Ordinal);
            case OperatorKind.In:
                return item is not null && Intersects(item, Value);
            case OperatorKind.NotIn:
                return item is null || !Intersects(item, Value);
            case OperatorKind.Between:
            case OperatorKind.NotBetween:
                if (!long.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    return false;
                }

                var inside = Low <= number && number <= High;
                return Kind == OperatorKind.Between ? inside : !inside;
            case OperatorKind.Date:
                return MatchesDate(item, today);
            default:
                return false;
        }
    }

    private bool MatchesDate(string? item, DateOnly today)
    {
        if (!TryParseDate(item, out var date))
        {
            return false;
        }

        var start = Offset ?? today;
        var cutoff = Unit switch
        {
            DateUnit.Days => start.AddDays(Amount),
            DateUnit.Weeks => start.AddDays(7 * Amount),
            _ => start.AddYears(Amount),
        };
        return DateComparison switch
        {
            OperatorKind.GreaterThan => date > cutoff,
            OperatorKind.GreaterThanOrEqual => date >= cutoff,
            OperatorKind.LessThan => date < cutoff,
            _ => date <= cutoff,
        };
    }

    private static bool CompareScalar(OperatorKind kind, string? item, string value)
    {
        if (item is null)
        {
            // A missing value is unequal to everything and neither greater nor less than anything.
            return kind == OperatorKind.NotEqual;
        }

        if (item.Length == 0)
        {
            return kind switch
            {
                OperatorKind.Equal => value.Length == 0,
                OperatorKind.NotEqual => value.Length != 0,
                _ => false,
            };
        }

        int order;
        if (IsInteger(item, out var left) && IsInteger(value, out var right))
        {
            order = left.CompareTo(right);
        }
        else
        {
            order = string.CompareOrdinal(item, value);
        }

        return kind switch
        {
            OperatorKind.Equal => order == 0,
            OperatorKind.NotEqual => order != 0,
            OperatorKind.GreaterThan => order > 0,
            OperatorKind.GreaterThanOrEqual => order >= 0,
            OperatorKind.LessThan => order < 0,
            _ => order <= 0,
        };
    }

    private static bool IsInteger(string text, out System.Numerics.BigInteger number)
    {
        number = default;
        if (!IntegerPattern().IsMatch(text))
        {
            return false;
        }

        if (text.Length <= 18 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var small))
        {
            number = small;
            return true;
        }

        return System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);
    }

    /// <summary>Reads a YYYYMMDD date (the person data's format) without culture machinery.</summary>
    public static bool TryParseDate(string? text, out DateOnly date)
    {
        date = default;
        if (text is null || text.Length != 8)
        {
            return false;
        }

        var value = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        int year = value / 10000, month = value / 100 % 100, day = value % 100;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }

    private static bool Intersects(string item, string value)
    {
        var wanted = value.Split(',');
        foreach (var part in item.Split(','))
        {
            if (Array.IndexOf(wanted, part) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^(?<value>[^\[]+)\[\[NVL:(?<default>[^\]]+)\]\]$")]
    private static partial Regex NvlPattern();

    [GeneratedRegex(@"^(?<value>[^\[]+)\[\[OFFSET:(?<offset>\d{8})\]\]$")]
    private static partial Regex OffsetPattern();

    [GeneratedRegex(@"^(?<unit>[DWY])(?<cmp>>=|<=|>|<)$")]
    private static partial Regex DateOperatorPattern();

    [GeneratedRegex(@"^-?\d+$")]
    private static partial Regex IntegerPattern();
}
