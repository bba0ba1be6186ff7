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

    /// <summary>Loads the shipped configs into <paramref name="store"/>; unchanged files add no version.</summary>
    public static Task<ConfigLoadResult> LoadAsync(CampaignStore store, CancellationToken cancellationToken = default) =>
        store.LoadAsync(Files(), LoadedBy, cancellationToken);
}
