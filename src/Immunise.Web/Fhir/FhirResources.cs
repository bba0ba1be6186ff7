using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Immunise.Web.Fhir;

// FHIR R4 JSON, modelled with records (D5: no FHIR SDK). Only the elements Immunise reads or writes are here; anything
// else a sender includes is ignored on input. Null elements are omitted on output, as FHIR requires.

public static class FhirJson
{
    public const string ContentType = "application/fhir+json";
    public const string NhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
    public const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
    public const string Snomed = "http://snomed.info/sct";
    public const string Ucum = "http://unitsofmeasure.org";
    public const string VaccinationProcedureExtension = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure";

    /// <summary>
    /// The resources Immunise serves are written by generated code (<see cref="FhirJsonContext"/>), the rest by reflection.
    /// The default encoder is kept (non-ASCII and HTML-sensitive characters escaped): the generated fast path requires it.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(FhirJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Bundle))]
[JsonSerializable(typeof(Immunization))]
[JsonSerializable(typeof(Patient))]
[JsonSerializable(typeof(OperationOutcome))]
[JsonSerializable(typeof(Slot))]
[JsonSerializable(typeof(Schedule))]
[JsonSerializable(typeof(Appointment))]
public sealed partial class FhirJsonContext : JsonSerializerContext;

public sealed record Coding(string? System, string? Code, string? Display = null);

public sealed record CodeableConcept(IReadOnlyList<Coding>? Coding, string? Text = null)
{
    public static CodeableConcept Of(string system, string code, string? display) => new([new Coding(system, code, display)]);

    /// <summary>The code of the first coding in a system (any system when none given).</summary>
    public string? CodeIn(string? system = null) =>
        Coding?.FirstOrDefault(c => system is null || string.Equals(c.System, system, StringComparison.OrdinalIgnoreCase))?.Code;
}

public sealed record Identifier(string? System, string? Value, string? Use = null);

public sealed record FhirReference(string? Reference = null, string? Type = null, Identifier? Identifier = null, string? Display = null);

public sealed record HumanName(string? Family, IReadOnlyList<string>? Given, string? Use = null);

public sealed record Address(string? PostalCode, string? Use = null);

public sealed record Quantity(decimal? Value, string? Unit, string? System, string? Code);

public sealed record Extension(string? Url, CodeableConcept? ValueCodeableConcept);

public sealed record Meta(string? VersionId = null, DateTimeOffset? LastUpdated = null, IReadOnlyList<string>? Profile = null);

public sealed record Performer(FhirReference? Actor);

public sealed record ProtocolApplied(IReadOnlyList<CodeableConcept>? TargetDisease, int? DoseNumberPositiveInt = null, string? DoseNumberString = null);

/// <summary>A resource carried inside an Immunization (<c>contained</c>): the Patient or the Practitioner.</summary>
public sealed record ContainedResource(
    string? ResourceType,
    string? Id,
    IReadOnlyList<Identifier>? Identifier = null,
    IReadOnlyList<HumanName>? Name = null,
    string? Gender = null,
    string? BirthDate = null,
    IReadOnlyList<Address>? Address = null);

public sealed record Immunization(
    string? ResourceType,
    string? Id = null,
    Meta? Meta = null,
    IReadOnlyList<ContainedResource>? Contained = null,
    IReadOnlyList<Extension>? Extension = null,
    IReadOnlyList<Identifier>? Identifier = null,
    string? Status = null,
    CodeableConcept? VaccineCode = null,
    FhirReference? Patient = null,
    DateTimeOffset? OccurrenceDateTime = null,
    DateTimeOffset? Recorded = null,
    bool? PrimarySource = null,
    FhirReference? Manufacturer = null,
    FhirReference? Location = null,
    string? LotNumber = null,
    DateOnly? ExpirationDate = null,
    CodeableConcept? Site = null,
    CodeableConcept? Route = null,
    Quantity? DoseQuantity = null,
    IReadOnlyList<Performer>? Performer = null,
    IReadOnlyList<CodeableConcept>? ReasonCode = null,
    IReadOnlyList<ProtocolApplied>? ProtocolApplied = null);

public sealed record Patient(
    string ResourceType,
    string Id,
    IReadOnlyList<Identifier> Identifier,
    IReadOnlyList<HumanName>? Name = null,
    string? Gender = null,
    DateOnly? BirthDate = null,
    DateOnly? DeceasedDateTime = null,
    IReadOnlyList<Address>? Address = null,
    IReadOnlyList<FhirReference>? GeneralPractitioner = null);

public sealed record BundleLink(string Relation, string Url);

public sealed record BundleSearch(string Mode);

/// <summary>
/// A bundle entry; <see cref="Resource"/> is one of <see cref="FhirJsonContext"/>'s resources (Immunization, Patient, Slot,
/// Schedule, Appointment). Being an <c>object</c>, it has no generated fast path: responses write bundles with
/// <see cref="FhirBundleResult"/>, which writes each resource by the generated code of its runtime type.
/// </summary>
public sealed record BundleEntry(string FullUrl, object Resource, BundleSearch Search);

public sealed record Bundle(string ResourceType, string Type, int Total, IReadOnlyList<BundleLink> Link, IReadOnlyList<BundleEntry> Entry);

public sealed record OperationOutcomeIssue(string Severity, string Code, CodeableConcept? Details, string? Diagnostics, IReadOnlyList<string>? Expression = null);

public sealed record OperationOutcome(string ResourceType, string Id, Meta? Meta, IReadOnlyList<OperationOutcomeIssue> Issue);
