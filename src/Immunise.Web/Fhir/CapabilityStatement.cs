using Immunise.Vaccines;

namespace Immunise.Web.Fhir;

public sealed record CapabilitySoftware(string Name, string Version);

public sealed record CapabilityInteraction(string Code);

public sealed record CapabilitySearchParam(string Name, string Type, string Documentation);

public sealed record CapabilityResource(string Type, string? Profile, IReadOnlyList<CapabilityInteraction> Interaction, IReadOnlyList<CapabilitySearchParam>? SearchParam = null);

public sealed record CapabilitySecurity(bool Cors, string Description);

public sealed record CapabilityRest(string Mode, CapabilitySecurity Security, IReadOnlyList<CapabilityResource> Resource);

/// <summary>What <c>/fhir</c> supports, for <c>GET /fhir/metadata</c>.</summary>
public sealed record CapabilityStatement(
    string ResourceType,
    string Status,
    DateTimeOffset Date,
    string Kind,
    CapabilitySoftware Software,
    string FhirVersion,
    IReadOnlyList<string> Format,
    IReadOnlyList<CapabilityRest> Rest)
{
    public static CapabilityStatement Create(VaccineCatalogue catalogue, DateTimeOffset now)
    {
        var targets = string.Join(", ", catalogue.Diseases.Select(d => $"{d.Target} ({d.SnomedCode})"));
        return new CapabilityStatement(
            "CapabilityStatement",
            "active",
            now,
            "instance",
            new CapabilitySoftware("Immunise", typeof(CapabilityStatement).Assembly.GetName().Version?.ToString() ?? "0.0.0"),
            "4.0.1",
            [FhirJson.ContentType],
            [
                new CapabilityRest(
                    "server",
                    new CapabilitySecurity(false, "API key in the X-Api-Key header (or Authorization: ApiKey …); scope records:read to read and search, records:write to create."),
                    [
                        new CapabilityResource(
                            "Patient",
                            "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
                            [new CapabilityInteraction("read")]),
                        new CapabilityResource(
                            "Immunization",
                            "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization",
                            [new CapabilityInteraction("read"), new CapabilityInteraction("search-type"), new CapabilityInteraction("create")],
                            [
                                new CapabilitySearchParam(ImmunizationSearch.PatientIdentifier, "token", $"Required: {FhirJson.NhsNumberSystem}|{{NHS number}}"),
                                new CapabilitySearchParam(ImmunizationSearch.ImmunizationTarget, "token", $"Vaccination types, comma-separated: {targets}. COVID is accepted for COVID19. One of this or target-disease is required."),
                                new CapabilitySearchParam(ImmunizationSearch.TargetDisease, "token", $"{FhirJson.Snomed}|code, comma-separated"),
                                new CapabilitySearchParam(ImmunizationSearch.DateFrom, "date", "Earliest occurrence date, yyyy-MM-dd"),
                                new CapabilitySearchParam(ImmunizationSearch.DateTo, "date", "Latest occurrence date, yyyy-MM-dd"),
                                new CapabilitySearchParam(ImmunizationSearch.Include, "special", "Immunization:patient (the default)"),
                            ]),
                    ]),
            ]);
    }
}
