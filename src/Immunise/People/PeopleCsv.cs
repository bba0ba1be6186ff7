using System.Text.RegularExpressions;
using Immunise.Common;
using Immunise.Geography;
using Immunise.Records;

namespace Immunise.People;

/// <summary>
/// Reads the people CSV format, row by row, into <see cref="Person"/> values or reasons for rejection.
/// Required columns: <c>nhs_number, given_name, family_name, date_of_birth, sex, postcode</c>; optional:
/// <c>gp_practice_code, ethnicity, care_home, clinical_risk_groups, occupation, mobile, email, address, date_of_death</c>.
/// Dates are ISO 8601 (<c>yyyy-MM-dd</c>); lists are separated by <c>;</c> or <c>|</c>.
/// </summary>
public sealed partial class PeopleCsv : IDisposable
{
    public static readonly IReadOnlyList<string> RequiredColumns = ["nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"];

    public static readonly IReadOnlyList<string> OptionalColumns =
        ["gp_practice_code", "ethnicity", "care_home", "clinical_risk_groups", "occupation", "mobile", "email", "address", "date_of_death"];

    /// <summary>The header the exporter writes: every column, in this order.</summary>
    public static readonly IReadOnlyList<string> AllColumns = [.. RequiredColumns, .. OptionalColumns];

    private static readonly DateOnly s_earliestBirth = new(1880, 1, 1);
    private readonly CsvTable _table;
    private readonly DateOnly _today;
    private readonly int _nhs, _given, _family, _birth, _sex, _postcode, _gp, _ethnicity, _careHome, _risks, _occupation, _mobile, _email, _address, _death;

    private PeopleCsv(CsvTable table, DateOnly today)
    {
        _table = table;
        _today = today;
        _nhs = table.IndexOf("nhs_number");
        _given = table.IndexOf("given_name");
        _family = table.IndexOf("family_name");
        _birth = table.IndexOf("date_of_birth");
        _sex = table.IndexOf("sex");
        _postcode = table.IndexOf("postcode");
        _gp = table.IndexOf("gp_practice_code");
        _ethnicity = table.IndexOf("ethnicity");
        _careHome = table.IndexOf("care_home|care_home_resident");
        _risks = table.IndexOf("clinical_risk_groups");
        _occupation = table.IndexOf("occupation|occupations");
        _mobile = table.IndexOf("mobile");
        _email = table.IndexOf("email");
        _address = table.IndexOf("address");
        _death = table.IndexOf("date_of_death");
    }

    /// <summary>Reads the header; fails with <c>missing-columns</c> naming every required column that is absent.</summary>
    public static Result<PeopleCsv> Open(TextReader reader, TimeProvider clock)
    {
        var table = CsvTable.Open(reader, RequiredColumns);
        return table.Succeeded ? new PeopleCsv(table.Value!, London.Today(clock)) : table.Failure!;
    }

    public IEnumerable<ImportRow<Person>> Rows()
    {
        foreach (var record in _table.Records())
        {
            yield return record.IsMalformed
                ? ImportRow<Person>.Reject(record.Line, "malformed-row", record.Error!)
                : Parse(record.Line, record.Fields);
        }
    }

    public void Dispose() => _table.Dispose();

    private ImportRow<Person> Parse(long line, string[] f)
    {
        ImportRow<Person> Reject(string code, string message) => ImportRow<Person>.Reject(line, code, message);

        var nhsText = CsvField.Get(f, _nhs);
        if (nhsText is null)
        {
            return Reject("missing-field", "nhs_number is missing.");
        }

        if (!NhsNumber.TryParse(nhsText, out var nhs, out var nhsReason))
        {
            return Reject("invalid-nhs-number", nhsReason);
        }

        var given = CsvField.Get(f, _given);
        var family = CsvField.Get(f, _family);
        var birthText = CsvField.Get(f, _birth);
        var sexText = CsvField.Get(f, _sex);
        var postcodeText = CsvField.Get(f, _postcode);
        var missing = (given, family, birthText, sexText, postcodeText) switch
        {
            (null, _, _, _, _) => "given_name",
            (_, null, _, _, _) => "family_name",
            (_, _, null, _, _) => "date_of_birth",
            (_, _, _, null, _) => "sex",
            (_, _, _, _, null) => "postcode",
            _ => null,
        };
        if (missing is not null)
        {
            return Reject("missing-field", $"{missing} is missing.");
        }

        if (given!.Length > 100 || family!.Length > 100)
        {
            return Reject("value-too-long", $"{(given.Length > 100 ? "given_name" : "family_name")} is longer than 100 characters.");
        }

        if (!CsvField.TryParseDate(birthText!, out var birth))
        {
            return Reject("invalid-date", "date_of_birth is not a real date in the form yyyy-MM-dd.");
        }

        if (birth > _today)
        {
            return Reject("date-of-birth-in-future", "date_of_birth is in the future.");
        }

        if (birth < s_earliestBirth)
        {
            return Reject("date-of-birth-too-early", "date_of_birth is before 1880.");
        }

        var sex = Sex.Parse(sexText);
        if (sex is null)
        {
            return Reject("unknown-sex", $"sex '{Shorten(sexText!)}' is not a known code (male, female, other, unknown, M, F, U, 0, 1, 2, 9).");
        }

        if (!Postcode.TryNormalise(postcodeText, out var postcode))
        {
            return Reject("invalid-postcode", "postcode is not a valid UK postcode.");
        }

        var gp = CsvField.Get(f, _gp);
        if (gp is not null && !OdsCode().IsMatch(gp))
        {
            return Reject("invalid-gp-practice-code", "gp_practice_code must be an ODS code of 3 to 10 letters and digits.");
        }

        var ethnicityText = CsvField.Get(f, _ethnicity);
        string? ethnicity = null;
        if (ethnicityText is not null)
        {
            if (!PersonCodes.EthnicCategories.ContainsKey(ethnicityText))
            {
                return Reject("unknown-ethnicity", $"ethnicity '{Shorten(ethnicityText)}' is not an NHS ethnic category code (A–H, J–N, P, R, S, Z).");
            }

            ethnicity = ethnicityText.ToUpperInvariant();
        }

        var careHome = CsvField.ParseBoolean(CsvField.Get(f, _careHome));
        if (careHome is null)
        {
            return Reject("invalid-care-home", "care_home must be true or false (also 1/0, yes/no, Y/N).");
        }

        if (!PersonCodes.TryParseList(CsvField.Get(f, _risks), PersonCodes.ClinicalRiskGroups, out var risks, out var unknownRisk))
        {
            return Reject("unknown-clinical-risk-group", $"clinical_risk_groups has an unknown code '{Shorten(unknownRisk!)}'.");
        }

        if (!PersonCodes.TryParseList(CsvField.Get(f, _occupation), PersonCodes.Occupations, out var occupations, out var unknownOccupation))
        {
            return Reject("unknown-occupation", $"occupation has an unknown code '{Shorten(unknownOccupation!)}'.");
        }

        string? mobile = null;
        if (CsvField.Get(f, _mobile) is { } mobileText && !TryNormaliseMobile(mobileText, out mobile))
        {
            return Reject("invalid-mobile", "mobile must be a UK mobile number: 07xxxxxxxxx or +447xxxxxxxxx.");
        }

        var email = CsvField.Get(f, _email);
        if (email is not null && (email.Length > 254 || !EmailShape().IsMatch(email)))
        {
            return Reject("invalid-email", "email does not look like an email address (or is longer than 254 characters).");
        }

        var address = CsvField.Get(f, _address);
        if (address is { Length: > 500 })
        {
            return Reject("value-too-long", "address is longer than 500 characters.");
        }

        DateOnly? death = null;
        if (CsvField.Get(f, _death) is { } deathText)
        {
            if (!CsvField.TryParseDate(deathText, out var d))
            {
                return Reject("invalid-date", "date_of_death is not a real date in the form yyyy-MM-dd.");
            }

            if (d < birth)
            {
                return Reject("date-of-death-before-birth", "date_of_death is before date_of_birth.");
            }

            if (d > _today)
            {
                return Reject("date-of-death-in-future", "date_of_death is in the future.");
            }

            death = d;
        }

        return ImportRow<Person>.Accept(line, new Person(
            nhs, given, family!, birth, sex, postcode, gp?.ToUpperInvariant(), ethnicity, careHome.Value, risks, occupations, mobile,
            email, address, death));
    }

    /// <summary>A UK mobile number in its stored form, <c>+447…</c>, from <c>07…</c>, <c>447…</c> or <c>+447…</c> (spaces, hyphens, brackets allowed).</summary>
    public static bool TryNormaliseMobile(string input, out string? mobile)
    {
        mobile = null;
        Span<char> digits = stackalloc char[16];
        var n = 0;
        var plus = false;
        foreach (var c in input.AsSpan().Trim())
        {
            if (c is ' ' or '-' or '(' or ')')
            {
                continue;
            }

            if (c == '+' && n == 0 && !plus)
            {
                plus = true;
                continue;
            }

            if (!char.IsAsciiDigit(c) || n == digits.Length)
            {
                return false;
            }

            digits[n++] = c;
        }

        int start;
        if (!plus && n == 11 && digits[0] == '0' && digits[1] == '7')
        {
            start = 1;
        }
        else if (n == 12 && digits.StartsWith("447"))
        {
            start = 2;
        }
        else
        {
            return false;
        }

        mobile = string.Concat("+44", digits[start..n]);
        return true;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex("^[A-Za-z0-9]{3,10}$")]
    private static partial Regex OdsCode();

    [GeneratedRegex(@"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")]
    private static partial Regex EmailShape();
}
