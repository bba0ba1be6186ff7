namespace Immunise.Eligibility;

/// <summary>
/// The campaign configs Immunise ships, in NHS England's format, embedded from <c>Eligibility/Campaigns/*.json</c>:
/// COVID-19 2020/21 (JCVI priority groups and phase 2), COVID-19 spring 2026 and flu 2025/26. Loaded into the
/// <see cref="CampaignStore"/> at start-up; the store adds a version only when a file's content has changed.
/// </summary>
public static class ShippedCampaigns
{
    public const string LoadedBy = "immunise (shipped campaigns)";
    private const string ResourcePrefix = "Immunise.Eligibility.Campaigns.";

    /// <summary>Every shipped config as (source file name, JSON text), in name order.</summary>
    public static IReadOnlyList<(string Source, string Json)> Files()
    {
        var assembly = typeof(ShippedCampaigns).Assembly;
        var files = new List<(string Source, string Json)>();
        foreach (var name in assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"The embedded campaign config {name} cannot be read.");
            using var reader = new StreamReader(stream);
            files.Add((name[ResourcePrefix.Length..], reader.ReadToEnd()));
        }

        return files;
    }

    /// <summary>
    /// For demos: each shipped config moved on by whole years to the first year in which it is in force on
    /// <paramref name="today"/> (configs no whole-year move brings into force are left out), under IDs of its own (suffix
    /// <c>_DEMO</c>) beside the shipped ones. Every date in a config moves by the same number of years, so relative rules
    /// keep their meaning.
    /// </summary>
    public static IReadOnlyList<(string Source, string Json)> MovedToToday(DateOnly today)
    {
        var moved = new List<(string, string)>();
        foreach (var (source, json) in Files())
        {
            if (!CampaignConfigLoader.TryParse(json, source, out var config, out _) || config is null)
            {
                continue;
            }

            var years = 0;
            while (years < 50 && !(config.StartDate.AddYears(years) <= today && today <= config.EndDate.AddYears(years)))
            {
                years++;
            }

            if (years == 50)
            {
                continue;
            }

            var shifted = System.Text.RegularExpressions.Regex.Replace(json, @"(?<![0-9])(19|20)([0-9]{2})([01][0-9][0-3][0-9])(?![0-9])", m =>
            {
                var year = int.Parse(m.Groups[1].Value + m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + years;
                var monthDay = m.Groups[3].Value == "0229" && !DateTime.IsLeapYear(year) ? "0228" : m.Groups[3].Value;
                return year.ToString(System.Globalization.CultureInfo.InvariantCulture) + monthDay;
            });
            var node = System.Text.Json.Nodes.JsonNode.Parse(shifted)!;
            var campaign = node["CampaignConfig"]!;
            campaign["ID"] = (string?)campaign["ID"] + "_DEMO";
            campaign["Name"] = (string?)campaign["Name"] + " (demo: moved to today)";
            foreach (var iteration in campaign["Iterations"]!.AsArray())
            {
                iteration!["ID"] = (string?)iteration["ID"] + "_DEMO";
            }

            moved.Add(("demo-" + source, node.ToJsonString()));
        }

        return moved;
    }

    /// <summary>Loads the shipped configs into <paramref name="store"/>; unchanged files add no version.</summary>
    public static Task<ConfigLoadResult> LoadAsync(CampaignStore store, CancellationToken cancellationToken = default) =>
        store.LoadAsync(Files(), LoadedBy, cancellationToken);
}
