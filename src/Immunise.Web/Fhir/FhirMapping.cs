using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Web.Fhir;

/// <summary>Maps the register's people and vaccination events to UK Core FHIR resources, and an incoming Immunization to a request.</summary>
public static class FhirMapping
{
    public static Immunization ToImmunization(VaccinationEvent e, VaccineCatalogue catalogue)
    {
        var product = catalogue.FindProduct(e.ProductCode);
        var disease = catalogue.FindDisease(e.TargetDisease);
        var procedure = disease?.ProcedureFor(e.DoseNumber);
        var route = catalogue.FindRoute(e.RouteCode);
        var site = catalogue.FindBodySite(e.BodySiteCode);
        var performers = new List<Performer>();
        if (e.Performer is { Length: > 0 } performer)
        {
            performers.Add(new Performer(new FhirReference(Type: "Practitioner", Display: performer)));
        }

        performers.Add(new Performer(new FhirReference(Type: "Organization", Identifier: new Identifier(FhirJson.OdsSystem, e.SiteOdsCode))));
        return new Immunization(
            ResourceType: "Immunization",
            Id: e.Id,
            Meta: new Meta(VersionId: e.Status == VaccinationStatus.Completed ? "1" : "2", LastUpdated: e.EnteredInErrorAt ?? e.RecordedAt),
            Extension: procedure is null ? null :
                [new Extension(FhirJson.VaccinationProcedureExtension, CodeableConcept.Of(FhirJson.Snomed, procedure.Code, procedure.Display))],
            Identifier: e.SourceIdentifier is null ? null : [new Identifier(e.SourceSystem, e.SourceIdentifier)],
            Status: e.Status,
            VaccineCode: CodeableConcept.Of(FhirJson.Snomed, e.ProductCode, product?.Name),
            Patient: PatientReference(e.NhsNumber),
            OccurrenceDateTime: e.OccurredAt,
            Recorded: e.RecordedAt,
            PrimarySource: e.PrimarySource,
            Manufacturer: product is null ? null : new FhirReference(Display: product.Manufacturer),
            Location: new FhirReference(Type: "Location", Identifier: new Identifier(FhirJson.OdsSystem, e.SiteOdsCode)),
            LotNumber: e.BatchNumber,
            ExpirationDate: e.BatchExpiry,
            Site: site is null ? null : CodeableConcept.Of(FhirJson.Snomed, site.Code, site.Display),
            Route: route is null ? null : CodeableConcept.Of(FhirJson.Snomed, route.Code, route.Display),
            DoseQuantity: product is null ? null : new Quantity(product.DoseVolumeMl, "milliliter", FhirJson.Ucum, "ml"),
            Performer: performers,
            ProtocolApplied:
            [
                new ProtocolApplied(
                    [CodeableConcept.Of(FhirJson.Snomed, disease?.SnomedCode ?? e.TargetDisease, disease?.Display)],
                    DoseNumberPositiveInt: e.DoseNumber),
            ]);
    }

    public static FhirReference PatientReference(NhsNumber nhs) =>
        new($"Patient/{nhs.Value}", "Patient", new Identifier(FhirJson.NhsNumberSystem, nhs.Value));

    /// <summary>A UK Core Patient with the register's demographics.</summary>
    public static Patient ToPatient(Person p) => new(
        "Patient",
        p.NhsNumber.Value,
        [new Identifier(FhirJson.NhsNumberSystem, p.NhsNumber.Value)],
        [new HumanName(p.FamilyName, [p.GivenName], "official")],
        p.Sex,
        p.DateOfBirth,
        p.DateOfDeath,
        [new Address(p.Postcode, "home")],
        p.GpPracticeCode is null ? null : [new FhirReference(Type: "Organization", Identifier: new Identifier(FhirJson.OdsSystem, p.GpPracticeCode))]);

    /// <summary>The Patient a search includes: its NHS number only, as the NHS Immunisation API returns it.</summary>
    public static Patient ToIncludedPatient(NhsNumber nhs) =>
        new("Patient", nhs.Value, [new Identifier(FhirJson.NhsNumberSystem, nhs.Value)]);

    /// <summary>
    /// Reads an NHS Immunisation API create body: the patient's NHS number (from <c>patient.identifier</c> or the contained
    /// Patient), the product (vaccineCode), date, location ODS code, batch, site, route, performer, target disease and dose,
    /// and the sender's identifier (kept for duplicate detection). Checks beyond the shape are the use case's.
    /// </summary>
    public static (RecordVaccinationRequest? Request, Failure? Failure) ToRequest(Immunization resource)
    {
        if (resource.ResourceType != "Immunization")
        {
            return (null, Failure.Invalid("invalid-resource-type", "The body must be an Immunization resource (resourceType 'Immunization')."));
        }

        if (resource.Status is { } status && status != VaccinationStatus.Completed)
        {
            return (null, Failure.Invalid("invalid-status", "Only a completed vaccination can be recorded (status 'completed')."));
        }

        var contained = resource.Contained ?? [];
        var nhsNumber = resource.Patient?.Identifier is { } patientId && IsSystem(patientId.System, FhirJson.NhsNumberSystem)
            ? patientId.Value
            : null;
        if (nhsNumber is null)
        {
            var reference = resource.Patient?.Reference?.TrimStart('#');
            var patients = contained.Where(c => c.ResourceType == "Patient").ToList();
            var patient = reference is null ? (patients.Count == 1 ? patients[0] : null) : patients.FirstOrDefault(c => c.Id?.TrimStart('#') == reference);
            nhsNumber = patient?.Identifier?.FirstOrDefault(i => IsSystem(i.System, FhirJson.NhsNumberSystem))?.Value;
        }

        if (string.IsNullOrWhiteSpace(nhsNumber))
        {
            return (null, Failure.Invalid("missing-nhs-number",
                $"The patient's NHS number is missing: give the contained Patient an identifier with system {FhirJson.NhsNumberSystem}.", "nhsNumber"));
        }

        var performers = resource.Performer ?? [];
        var organisationOds = performers.Select(p => p.Actor?.Identifier)
            .FirstOrDefault(i => i is not null && IsSystem(i.System, FhirJson.OdsSystem))?.Value;
        var practitioner = performers.Select(p => p.Actor).FirstOrDefault(a => a?.Reference is not null || (a?.Display is not null && a.Identifier is null));
        var performerName = practitioner?.Display;
        if (performerName is null && practitioner?.Reference?.TrimStart('#') is { } practitionerId)
        {
            var name = contained.FirstOrDefault(c => c.ResourceType == "Practitioner" && c.Id?.TrimStart('#') == practitionerId)?.Name?.FirstOrDefault();
            performerName = name is null ? null : string.Join(' ', (name.Given ?? []).Append(name.Family ?? "").Where(s => s.Length > 0));
        }

        var identifier = resource.Identifier?.FirstOrDefault();
        var protocol = resource.ProtocolApplied?.FirstOrDefault();
        var target = protocol?.TargetDisease?.Select(t => t.CodeIn(FhirJson.Snomed) ?? t.CodeIn()).FirstOrDefault(c => c is not null);
        var request = new RecordVaccinationRequest(
            NhsNumber: nhsNumber,
            ProductCode: resource.VaccineCode?.CodeIn(FhirJson.Snomed) ?? resource.VaccineCode?.CodeIn(),
            OccurredAt: resource.OccurrenceDateTime,
            SiteOdsCode: resource.Location?.Identifier?.Value ?? organisationOds,
            DoseNumber: protocol?.DoseNumberPositiveInt,
            TargetDisease: target,
            BatchNumber: resource.LotNumber,
            BatchExpiry: resource.ExpirationDate,
            Route: resource.Route?.CodeIn(FhirJson.Snomed) ?? resource.Route?.CodeIn(),
            BodySite: resource.Site?.CodeIn(FhirJson.Snomed) ?? resource.Site?.CodeIn(),
            Performer: string.IsNullOrWhiteSpace(performerName) ? null : performerName,
            PrimarySource: resource.PrimarySource ?? true,
            SourceSystem: identifier?.System,
            SourceIdentifier: identifier?.Value);
        return (request, null);
    }

    private static bool IsSystem(string? system, string expected) => string.Equals(system?.Trim(), expected, StringComparison.OrdinalIgnoreCase);
}
