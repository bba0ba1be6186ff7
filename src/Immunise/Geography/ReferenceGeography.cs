using System.Collections.Frozen;
using System.Text.Json;

namespace Immunise.Geography;

public sealed record Region(string OdsCode, string OnsCode, string Name);

public sealed record IntegratedCareBoard(
    string OdsCode,
    string OnsCode,
    string Name,
    string RegionOdsCode,
    int PopulationThousands,
    double Latitude,
    double Longitude,
    IReadOnlyList<string> Outcodes);

/// <summary>NHS England's regions and ICBs, as shipped reference data (<c>geography.data.json</c>).</summary>
public sealed class ReferenceGeography
{
    private readonly FrozenDictionary<string, Region> _regions;
    private readonly FrozenDictionary<string, IntegratedCareBoard> _icbs;

    private ReferenceGeography(GeographyFile file)
    {
        Regions = file.Regions;
        Icbs = file.Icbs;
        _regions = file.Regions.SelectMany(r => new[] { (r.OdsCode, r), (r.OnsCode, r) })
            .ToFrozenDictionary(x => x.Item1, x => x.r, StringComparer.OrdinalIgnoreCase);
        _icbs = file.Icbs.SelectMany(i => new[] { (i.OdsCode, i), (i.OnsCode, i) })
            .ToFrozenDictionary(x => x.Item1, x => x.i, StringComparer.OrdinalIgnoreCase);
    }

    public static ReferenceGeography Default { get; } = LoadEmbedded();

    public IReadOnlyList<Region> Regions { get; }

    public IReadOnlyList<IntegratedCareBoard> Icbs { get; }

    /// <summary>A region by ODS Y-code or ONS E40 code.</summary>
    public Region? FindRegion(string? code) =>
        code is not null && _regions.TryGetValue(code.Trim(), out var r) ? r : null;

    /// <summary>An ICB by ODS Q-code or ONS E54 code.</summary>
    public IntegratedCareBoard? FindIcb(string? code) =>
        code is not null && _icbs.TryGetValue(code.Trim(), out var i) ? i : null;

    private static ReferenceGeography LoadEmbedded()
    {
        using var stream = typeof(ReferenceGeography).Assembly.GetManifestResourceStream("Immunise.Geography.geography.data.json")
            ?? throw new InvalidOperationException("The geography resource is missing from the build.");
        var file = JsonSerializer.Deserialize<GeographyFile>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidOperationException("The geography resource is empty.");
        return new ReferenceGeography(file);
    }

    private sealed record GeographyFile(IReadOnlyList<Region> Regions, IReadOnlyList<IntegratedCareBoard> Icbs);
}
