using System.Globalization;
using Immunise.Common;
using Immunise.People;
using Immunise.Vaccines;
using Microsoft.Extensions.Primitives;

namespace Immunise.Web.Fhir;

/// <summary>
/// The NHS Immunisation API's patient search: <c>patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}</c> and either
/// <c>-immunization.target=COVID19,FLU</c> or <c>target-disease=http://snomed.info/sct|840539006</c>, optionally
/// <c>-date.from</c>/<c>-date.to</c> (yyyy-MM-dd) and <c>_include=Immunization:patient</c>.
/// </summary>
public sealed record ImmunizationSearch(NhsNumber NhsNumber, IReadOnlyList<string> Targets, DateOnly? From, DateOnly? To, bool IncludePatient)
{
    public const string PatientIdentifier = "patient.identifier";
    public const string ImmunizationTarget = "-immunization.target";
    public const string TargetDisease = "target-disease";
    public const string DateFrom = "-date.from";
    public const string DateTo = "-date.to";
    public const string Include = "_include";
    public const string IncludePatientValue = "Immunization:patient";

    // The NHS API's vaccination types that name a target Immunise knows by another name.
    private static readonly Dictionary<string, string> s_aliases = new(StringComparer.OrdinalIgnoreCase) { ["COVID"] = "COVID19" };

    public static (ImmunizationSearch? Search, Failure? Failure) Parse(IEnumerable<KeyValuePair<string, StringValues>> parameters, VaccineCatalogue catalogue)
    {
        var values = parameters.GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join(',', g.SelectMany(p => p.Value.OfType<string>())), StringComparer.Ordinal);

        if (!values.TryGetValue(PatientIdentifier, out var patient) || string.IsNullOrWhiteSpace(patient))
        {
            return Fail("missing-patient-identifier", $"Search parameter {PatientIdentifier} is required ({FhirJson.NhsNumberSystem}|{{NHS number}}).", PatientIdentifier);
        }

        var bar = patient.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0 || !string.Equals(patient[..bar].Trim(), FhirJson.NhsNumberSystem, StringComparison.OrdinalIgnoreCase))
        {
            return Fail("invalid-patient-identifier", $"Search parameter {PatientIdentifier} must be {FhirJson.NhsNumberSystem}|{{NHS number}}.", PatientIdentifier);
        }

        if (!NhsNumber.TryParse(patient[(bar + 1)..], out var nhs, out var reason))
        {
            return Fail("invalid-nhs-number", $"Search parameter {PatientIdentifier}: {reason}", PatientIdentifier);
        }

        var hasTarget = values.TryGetValue(ImmunizationTarget, out var targetText) && !string.IsNullOrWhiteSpace(targetText);
        var hasDisease = values.TryGetValue(TargetDisease, out var diseaseText) && !string.IsNullOrWhiteSpace(diseaseText);
        if (hasTarget == hasDisease)
        {
            return Fail(hasTarget ? "conflicting-parameters" : "missing-target",
                $"Give exactly one of {ImmunizationTarget} or {TargetDisease}.", hasTarget ? TargetDisease : ImmunizationTarget);
        }

        var targets = new List<string>();
        foreach (var item in (hasTarget ? targetText! : diseaseText!).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            TargetDisease? disease;
            if (hasTarget)
            {
                disease = catalogue.FindDisease(s_aliases.GetValueOrDefault(item, item));
            }
            else
            {
                var split = item.IndexOf('|', StringComparison.Ordinal);
                disease = split > 0 && string.Equals(item[..split], FhirJson.Snomed, StringComparison.OrdinalIgnoreCase)
                    ? catalogue.Diseases.FirstOrDefault(d => d.SnomedCode == item[(split + 1)..])
                    : null;
            }

            if (disease is null)
            {
                return hasTarget
                    ? Fail("unknown-target", $"{ImmunizationTarget} '{item}' is not supported; supported: {string.Join(", ", catalogue.Diseases.Select(d => d.Target))}.", ImmunizationTarget)
                    : Fail("unknown-target-disease", $"{TargetDisease} '{item}' is not supported; use {FhirJson.Snomed}|code with one of: {string.Join(", ", catalogue.Diseases.Select(d => d.SnomedCode))}.", TargetDisease);
            }

            if (!targets.Contains(disease.Target))
            {
                targets.Add(disease.Target);
            }
        }

        if (targets.Count == 0)
        {
            return Fail("missing-target", $"Give exactly one of {ImmunizationTarget} or {TargetDisease}.", ImmunizationTarget);
        }

        if (!TryDate(values, DateFrom, out var from) || !TryDate(values, DateTo, out var to))
        {
            return Fail("invalid-date", $"{DateFrom} and {DateTo} must be dates written yyyy-MM-dd.", values.ContainsKey(DateFrom) && !TryDate(values, DateFrom, out _) ? DateFrom : DateTo);
        }

        if (from > to)
        {
            return Fail("invalid-date-range", $"{DateFrom} is after {DateTo}.", DateFrom);
        }

        var include = values.GetValueOrDefault(Include);
        if (!string.IsNullOrWhiteSpace(include) && include != IncludePatientValue)
        {
            return Fail("invalid-include", $"{Include} must be {IncludePatientValue}.", Include);
        }

        return (new ImmunizationSearch(nhs, targets, from, to, IncludePatient: true), null);
    }

    /// <summary>The search as the server understood it, for the bundle's self link.</summary>
    public string ToQueryString()
    {
        var parts = new List<string>
        {
            $"{PatientIdentifier}={Uri.EscapeDataString($"{FhirJson.NhsNumberSystem}|{NhsNumber.Value}")}",
            $"{ImmunizationTarget}={Uri.EscapeDataString(string.Join(',', Targets))}",
        };
        if (From is { } from)
        {
            parts.Add($"{DateFrom}={from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
        }

        if (To is { } to)
        {
            parts.Add($"{DateTo}={to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
        }

        parts.Add($"{Include}={Uri.EscapeDataString(IncludePatientValue)}");
        return string.Join('&', parts);
    }

    private static (ImmunizationSearch?, Failure?) Fail(string code, string message, string field) => (null, Failure.Invalid(code, message, field));

    private static bool TryDate(Dictionary<string, string> values, string name, out DateOnly? date)
    {
        date = null;
        if (!values.TryGetValue(name, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            date = parsed;
            return true;
        }

        return false;
    }
}
