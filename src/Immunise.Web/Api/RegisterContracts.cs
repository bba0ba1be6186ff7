using System.Text.Json;
using System.Text.Json.Serialization;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Web.Api;

// What /api/v1 receives and returns, mapped by hand from the register's own types (never storage rows).

public sealed record PingResponse(string Status);

public sealed record CodedValue(string Code, string Display);

public sealed record PersonFlags(bool CareHomeResident, IReadOnlyList<string> ClinicalRiskGroups, IReadOnlyList<string> Occupations);

public sealed record ContactDetails(string? Mobile, string? Email, string? Address);

public sealed record PersonResponse(
    string NhsNumber,
    string NhsNumberFormatted,
    string GivenName,
    string FamilyName,
    DateOnly DateOfBirth,
    string Sex,
    string Postcode,
    string? GpPracticeCode,
    CodedValue? Ethnicity,
    PersonFlags Flags,
    ContactDetails Contact,
    DateOnly? DateOfDeath)
{
    public static PersonResponse From(Person p) => new(
        p.NhsNumber.Value,
        p.NhsNumber.Display,
        p.GivenName,
        p.FamilyName,
        p.DateOfBirth,
        p.Sex,
        p.Postcode,
        p.GpPracticeCode,
        p.Ethnicity is { } code ? new CodedValue(code, PersonCodes.EthnicCategories.GetValueOrDefault(code, "Unknown code")) : null,
        new PersonFlags(p.CareHomeResident, p.ClinicalRiskGroups, p.Occupations),
        new ContactDetails(p.Mobile, p.Email, p.Address),
        p.DateOfDeath);
}

public sealed record ProductSummary(string Code, string Name, string ShortName, string Manufacturer);

public sealed record VaccinationResponse(
    string Id,
    string NhsNumber,
    CodedValue TargetDisease,
    ProductSummary Product,
    int DoseNumber,
    DateTimeOffset OccurredAt,
    string SiteOdsCode,
    string? BatchNumber,
    DateOnly? BatchExpiry,
    CodedValue? Route,
    CodedValue? BodySite,
    string? Performer,
    bool PrimarySource,
    string Status,
    DateTimeOffset RecordedAt,
    string RecordedBy,
    string? SourceSystem,
    string? SourceIdentifier,
    DateTimeOffset? EnteredInErrorAt,
    string? EnteredInErrorReason)
{
    public static VaccinationResponse From(VaccinationEvent e, VaccineCatalogue catalogue)
    {
        var product = catalogue.FindProduct(e.ProductCode);
        var disease = catalogue.FindDisease(e.TargetDisease);
        var route = catalogue.FindRoute(e.RouteCode);
        var site = catalogue.FindBodySite(e.BodySiteCode);
        return new VaccinationResponse(
            e.Id,
            e.NhsNumber.Value,
            new CodedValue(e.TargetDisease, disease?.Display ?? e.TargetDisease),
            product is null
                ? new ProductSummary(e.ProductCode, e.ProductCode, e.ProductCode, "")
                : new ProductSummary(product.Code, product.Name, product.ShortName, product.Manufacturer),
            e.DoseNumber,
            e.OccurredAt,
            e.SiteOdsCode,
            e.BatchNumber,
            e.BatchExpiry,
            route is null ? null : new CodedValue(route.Code, route.Display),
            site is null ? null : new CodedValue(site.Code, site.Display),
            e.Performer,
            e.PrimarySource,
            e.Status,
            e.RecordedAt,
            e.RecordedBy,
            e.SourceSystem,
            e.SourceIdentifier,
            e.EnteredInErrorAt,
            e.EnteredInErrorReason);
    }
}

public sealed record VaccinationListResponse(string NhsNumber, int Count, IReadOnlyList<VaccinationResponse> Vaccinations);

/// <summary>A vaccination to record. Route and body site take a SNOMED code or an alias (<c>intramuscular</c>, <c>left-upper-arm</c>).</summary>
public sealed record RecordVaccinationBody(
    string? NhsNumber,
    string? ProductCode,
    DateTimeOffset? OccurredAt,
    string? SiteOdsCode,
    int? DoseNumber = null,
    string? TargetDisease = null,
    string? BatchNumber = null,
    DateOnly? BatchExpiry = null,
    string? Route = null,
    string? BodySite = null,
    string? Performer = null,
    bool? PrimarySource = null,
    string? SourceSystem = null,
    string? SourceIdentifier = null)
{
    public RecordVaccinationRequest ToRequest() => new(
        NhsNumber, ProductCode, OccurredAt, SiteOdsCode, DoseNumber, TargetDisease, BatchNumber, BatchExpiry, Route, BodySite,
        Performer, PrimarySource ?? true, SourceSystem, SourceIdentifier);
}

public sealed record EnteredInErrorBody(string? Reason);

/// <summary>
/// The register's most frequent answers written by generated code instead of reflection-built metadata: a person lookup is
/// the API's hottest read (the ping baseline is here too, so both sides of the lookup benchmark are written the same way).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PingResponse))]
[JsonSerializable(typeof(PersonResponse))]
[JsonSerializable(typeof(VaccinationListResponse))]
public sealed partial class RegisterJsonContext : JsonSerializerContext;
