using System.Text.Json;

namespace Immunise.Eligibility;

/// <summary>A cohort the person belongs to (an entry of <c>COHORT_MEMBERSHIPS</c>).</summary>
public sealed record CohortMembership(string Label, string? DateJoined);

/// <summary>
/// One row of a person's data in NHS England's format: <c>ATTRIBUTE_TYPE</c> is <c>PERSON</c>, <c>COHORTS</c>, or a target
/// such as <c>COVID</c>, <c>FLU</c> or <c>RSV</c>. Values are kept as text (null when missing or null).
/// </summary>
public sealed record PersonDataRow(
    string AttributeType,
    IReadOnlyDictionary<string, string?> Values,
    IReadOnlyList<CohortMembership> CohortMemberships)
{
    public string? this[string attribute] => Values.TryGetValue(attribute, out var v) ? v : null;

    public bool Has(string attribute) => Values.ContainsKey(attribute);
}

/// <summary>All the rows held for one person.</summary>
public sealed record PersonData(IReadOnlyList<PersonDataRow> Rows)
{
    public PersonDataRow? Row(string attributeType) =>
        Rows.FirstOrDefault(r => string.Equals(r.AttributeType, attributeType, StringComparison.Ordinal));

    public PersonDataRow? Person => Row("PERSON");

    /// <summary>The labels of every cohort the person belongs to.</summary>
    public IReadOnlySet<string> CohortLabels =>
        Rows.Where(r => r.AttributeType == "COHORTS")
            .SelectMany(r => r.CohortMemberships)
            .Select(m => m.Label)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Reads rows from a JSON array of objects (the register's and the test data's shape).</summary>
    public static PersonData FromJson(JsonElement rows)
    {
        var result = new List<PersonDataRow>();
        foreach (var row in rows.EnumerateArray())
        {
            result.Add(RowFromJson(row));
        }

        return new PersonData(result);
    }

    public static PersonDataRow RowFromJson(JsonElement row)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var memberships = new List<CohortMembership>();
        string type = "";
        foreach (var property in row.EnumerateObject())
        {
            var v = property.Value;
            if (property.Name == "ATTRIBUTE_TYPE")
            {
                type = v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
            }

            if (property.Name == "COHORT_MEMBERSHIPS" && v.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in v.EnumerateArray())
                {
                    if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("COHORT_LABEL", out var label)
                        && label.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(label.GetString()))
                    {
                        var joined = m.TryGetProperty("DATE_JOINED", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null;
                        memberships.Add(new CohortMembership(label.GetString() ?? "", joined));
                    }
                }

                continue;
            }

            values[property.Name] = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };
        }

        return new PersonDataRow(type, values, memberships);
    }
}
