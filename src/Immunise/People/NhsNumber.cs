using System.Diagnostics.CodeAnalysis;

namespace Immunise.People;

/// <summary>
/// A 10-digit NHS number whose Modulus 11 check digit is valid. Accepts input with spaces or hyphens;
/// displays as 3-3-4 (<c>943 476 5919</c>).
/// </summary>
public readonly record struct NhsNumber : IComparable<NhsNumber>
{
    /// <summary>The FHIR identifier system for NHS numbers.</summary>
    public const string FhirSystem = "https://fhir.nhs.uk/Id/nhs-number";

    private NhsNumber(string value) => Value = value;

    /// <summary>The ten digits, no separators.</summary>
    public string Value { get; }

    /// <summary>True for the 999 000 0000 – 999 999 9999 range, which is never issued (synthetic and test people).</summary>
    public bool IsSynthetic => Value.StartsWith("999", StringComparison.Ordinal);

    public static NhsNumber Parse(string input) =>
        TryParse(input, out var number, out var reason) ? number : throw new FormatException(reason);

    public static bool TryParse([NotNullWhen(true)] string? input, out NhsNumber number) =>
        TryParse(input, out number, out _);

    /// <summary>Parses an NHS number, giving a reason a person can act on when it is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? input, out NhsNumber number, out string reason) =>
        TryParse(input, requireCheckDigit: true, out number, out reason);

    /// <summary>
    /// Parses an NHS number; with <paramref name="requireCheckDigit"/> false, ten digits are accepted whatever their check
    /// digit (only where <see cref="RegisterOptions.AcceptTestNumbersWithoutCheckDigit"/> is set: test and replay data).
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? input, bool requireCheckDigit, out NhsNumber number, out string reason)
    {
        number = default;
        if (string.IsNullOrWhiteSpace(input))
        {
            reason = "NHS number is missing.";
            return false;
        }

        Span<char> digits = stackalloc char[10];
        var count = 0;
        foreach (var c in input.AsSpan().Trim())
        {
            if (c is ' ' or '-')
            {
                continue;
            }

            if (c is < '0' or > '9')
            {
                reason = "NHS number must contain only digits, spaces or hyphens.";
                return false;
            }

            if (count == 10)
            {
                reason = "NHS number must be 10 digits long.";
                return false;
            }

            digits[count++] = c;
        }

        if (count != 10)
        {
            reason = "NHS number must be 10 digits long.";
            return false;
        }

        var expected = requireCheckDigit ? CheckDigit(digits) : digits[9] - '0';
        if (expected is null)
        {
            reason = "NHS number is not valid: no check digit can make it valid (remainder 1).";
            return false;
        }

        if (digits[9] - '0' != expected)
        {
            reason = "NHS number is not valid: the check digit does not match.";
            return false;
        }

        if (digits.IndexOfAnyExcept('0') < 0)
        {
            reason = "NHS number is not valid: it cannot be all zeros.";
            return false;
        }

        number = new NhsNumber(new string(digits));
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// The Modulus 11 check digit for the first nine digits, or null when none exists (11 − r = 10).
    /// </summary>
    /// <summary>A number read back from the register, which holds only numbers it accepted: not checked again.</summary>
    public static NhsNumber FromStored(string digits) => new(digits);

    public static int? CheckDigit(ReadOnlySpan<char> firstNine)
    {
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (firstNine[i] - '0') * (10 - i);
        }

        var check = 11 - (sum % 11);
        return check switch
        {
            11 => 0,
            10 => null,
            _ => check,
        };
    }

    /// <summary>Builds a valid NHS number from nine leading digits, or null when they have no check digit.</summary>
    public static NhsNumber? FromFirstNine(long firstNine)
    {
        Span<char> digits = stackalloc char[10];
        firstNine.TryFormat(digits, out _, "D9", System.Globalization.CultureInfo.InvariantCulture);
        var check = CheckDigit(digits);
        if (check is null)
        {
            return null;
        }

        digits[9] = (char)('0' + check.Value);
        return digits.IndexOfAnyExcept('0') < 0 ? null : new NhsNumber(new string(digits));
    }

    /// <summary>Displayed as 3-3-4 with spaces.</summary>
    public string Display => Value is null ? string.Empty : $"{Value[..3]} {Value[3..6]} {Value[6..]}";

    public override string ToString() => Value ?? string.Empty;

    public int CompareTo(NhsNumber other) => string.CompareOrdinal(Value, other.Value);
}
