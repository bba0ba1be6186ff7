using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Immunise.Vaccines;

/// <summary>How dose numbers count: across a whole life (COVID-19 courses) or restarting each season (flu).</summary>
public enum DoseNumbering
{
    Cumulative,
    Seasonal,
}

/// <summary>What kind of dose a person needs: part of the primary course, a booster after it, or a seasonal dose.</summary>
public enum DoseKind
{
    Primary,
    Booster,
    Seasonal,
}

/// <summary>
/// What follows a completed primary course: the kind of the first further dose (<see cref="First"/>), the kind of every
/// later one (<see cref="Then"/>), and the recommended number of days after the last dose (null: the minimum, which is
/// each product's <see cref="VaccineProduct.BoosterIntervalDays"/>).
/// </summary>
public sealed record FurtherDosePolicy(DoseKind First, DoseKind Then, int? RecommendedIntervalDays = null);

public sealed record TargetDisease(
    string Target,
    string SnomedCode,
    string Display,
    DoseNumbering DoseNumbering,
    int SeasonStartMonth,
    IReadOnlyList<VaccinationProcedure> Procedures,
    FurtherDosePolicy? FurtherDoses = null)
{
    /// <summary>The procedure code for a dose: the dose's own, else the highest one defined below it.</summary>
    public VaccinationProcedure ProcedureFor(int doseNumber) =>
        Procedures.Where(p => p.Dose <= doseNumber).MaxBy(p => p.Dose) ?? Procedures[0];

    /// <summary>The first day of the season an occurrence falls in (flu seasons start on 1 September).</summary>
    public DateOnly SeasonStart(DateOnly day)
    {
        var start = new DateOnly(day.Year, SeasonStartMonth, 1);
        return day >= start ? start : start.AddYears(-1);
    }
}

public sealed record VaccinationProcedure(int Dose, string Code, string Display);

public sealed record VaccineProduct(
    string Code,
    string Name,
    string ShortName,
    string Manufacturer,
    string Target,
    int MinimumAgeMonths,
    int DosesInPrimaryCourse,
    int MinimumIntervalDays,
    int? MaximumIntervalDays,
    decimal DoseVolumeMl,
    string? Route,
    int? RecommendedIntervalDays = null,
    int? BoosterIntervalDays = null,
    int? MaximumAgeMonths = null)
{
    /// <summary>The programme's interval between primary doses: <see cref="RecommendedIntervalDays"/>, else the minimum.</summary>
    public int ProgrammeIntervalDays => Math.Max(RecommendedIntervalDays ?? MinimumIntervalDays, MinimumIntervalDays);

    /// <summary>
    /// Whether the product is licensed for a person born on <paramref name="dateOfBirth"/> on <paramref name="day"/>: from the
    /// day they reach <see cref="MinimumAgeMonths"/> until the day before they pass <see cref="MaximumAgeMonths"/>.
    /// </summary>
    public bool SuitsAge(DateOnly dateOfBirth, DateOnly day) =>
        day >= OldEnoughFrom(dateOfBirth)
        && (MaximumAgeMonths is not { } max || day < dateOfBirth.AddMonths(max + 1));

    /// <summary>The first day a person born on <paramref name="dateOfBirth"/> is old enough for the product.</summary>
    public DateOnly OldEnoughFrom(DateOnly dateOfBirth) => dateOfBirth.AddMonths(MinimumAgeMonths);
}

public sealed record CodedConcept(string Code, string Display, string Alias);

/// <summary>
/// The vaccine products, target diseases, routes and body sites the register knows. Loaded from
/// <c>catalogue.data.json</c>, which is data: a new product is a new entry there, not new code.
/// </summary>
public sealed class VaccineCatalogue
{
    private readonly FrozenDictionary<string, VaccineProduct> _products;
    private readonly IReadOnlyList<VaccineProduct> _productsInOrder;
    private readonly FrozenDictionary<string, TargetDisease> _diseases;
    private readonly FrozenDictionary<string, CodedConcept> _routes;
    private readonly FrozenDictionary<string, CodedConcept> _bodySites;

    private VaccineCatalogue(CatalogueFile file)
    {
        _products = file.Products.ToFrozenDictionary(p => p.Code, StringComparer.Ordinal);
        _productsInOrder = [.. file.Products];
        _diseases = file.Diseases.ToFrozenDictionary(d => d.Target, StringComparer.OrdinalIgnoreCase);
        _routes = Index(file.Routes);
        _bodySites = Index(file.BodySites);
        foreach (var product in file.Products)
        {
            if (!_diseases.ContainsKey(product.Target))
            {
                throw new InvalidOperationException($"Vaccine catalogue: product {product.Code} names unknown target '{product.Target}'.");
            }

            if (product.MinimumIntervalDays < 0
                || product.RecommendedIntervalDays < product.MinimumIntervalDays
                || product.MaximumIntervalDays < Math.Max(product.MinimumIntervalDays, product.RecommendedIntervalDays ?? 0)
                || product.BoosterIntervalDays < 0
                || product.MaximumAgeMonths < product.MinimumAgeMonths)
            {
                throw new InvalidOperationException($"Vaccine catalogue: product {product.Code} has intervals or ages out of order.");
            }
        }
    }

    /// <summary>The catalogue shipped with Immunise.</summary>
    public static VaccineCatalogue Default { get; } = LoadEmbedded();

    public IEnumerable<VaccineProduct> Products => _products.Values;

    public IEnumerable<TargetDisease> Diseases => _diseases.Values;

    /// <summary>The products against a disease, in catalogue order.</summary>
    public IEnumerable<VaccineProduct> ProductsFor(TargetDisease disease) =>
        _productsInOrder.Where(p => string.Equals(p.Target, disease.Target, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<CodedConcept> Routes => _routes.Values.Distinct();

    public IEnumerable<CodedConcept> BodySites => _bodySites.Values.Distinct();

    public VaccineProduct? FindProduct(string? code) =>
        code is not null && _products.TryGetValue(code.Trim(), out var p) ? p : null;

    /// <summary>Finds a target disease by our name (<c>COVID19</c>, <c>FLU</c>) or by its SNOMED code.</summary>
    public TargetDisease? FindDisease(string? targetOrSnomed)
    {
        if (string.IsNullOrWhiteSpace(targetOrSnomed))
        {
            return null;
        }

        var key = targetOrSnomed.Trim();
        if (_diseases.TryGetValue(key, out var disease))
        {
            return disease;
        }

        return _diseases.Values.FirstOrDefault(d => d.SnomedCode == key);
    }

    public TargetDisease DiseaseOf(VaccineProduct product) => _diseases[product.Target];

    /// <summary>A route by SNOMED code or alias (<c>intramuscular</c>).</summary>
    public CodedConcept? FindRoute(string? codeOrAlias) => Find(_routes, codeOrAlias);

    /// <summary>A body site by SNOMED code or alias (<c>left-upper-arm</c>).</summary>
    public CodedConcept? FindBodySite(string? codeOrAlias) => Find(_bodySites, codeOrAlias);

    private static CodedConcept? Find(FrozenDictionary<string, CodedConcept> index, string? key) =>
        !string.IsNullOrWhiteSpace(key) && index.TryGetValue(key.Trim(), out var c) ? c : null;

    private static FrozenDictionary<string, CodedConcept> Index(IEnumerable<CodedConcept> concepts) =>
        concepts.SelectMany(c => new[] { (c.Code, c), (c.Alias, c) })
            .ToFrozenDictionary(x => x.Item1, x => x.c, StringComparer.OrdinalIgnoreCase);

    private static VaccineCatalogue LoadEmbedded()
    {
        using var stream = typeof(VaccineCatalogue).Assembly.GetManifestResourceStream("Immunise.Vaccines.catalogue.data.json")
            ?? throw new InvalidOperationException("The vaccine catalogue resource is missing from the build.");
        return Load(stream);
    }

    public static VaccineCatalogue Load(Stream json)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        };
        var file = JsonSerializer.Deserialize<CatalogueFile>(json, options)
            ?? throw new InvalidOperationException("The vaccine catalogue is empty.");
        return new VaccineCatalogue(file);
    }

    private sealed record CatalogueFile(
        IReadOnlyList<TargetDisease> Diseases,
        IReadOnlyList<VaccineProduct> Products,
        IReadOnlyList<CodedConcept> Routes,
        IReadOnlyList<CodedConcept> BodySites);
}
