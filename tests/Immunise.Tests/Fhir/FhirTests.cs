using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Immunise.Access;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;

namespace Immunise.Tests.Fhir;

public sealed class FhirTests
{
    private const string NhsSystem = "https://fhir.nhs.uk/Id/nhs-number";
    private static readonly DateTimeOffset s_now = ImmuniseApp.Now;

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Metadata_WithoutKey_IsACapabilityStatementForPatientAndImmunization(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);

        var response = await app.Anonymous().GetAsync("/fhir/metadata");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var capability = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("CapabilityStatement", capability.GetProperty("resourceType").GetString());
        Assert.Equal("4.0.1", capability.GetProperty("fhirVersion").GetString());
        var resources = capability.GetProperty("rest")[0].GetProperty("resource").EnumerateArray().Select(r => r.GetProperty("type").GetString());
        Assert.Equal(["Patient", "Immunization"], resources);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Patient_Read_ReturnsUkCorePatientAndAudits(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync(Scopes.RecordsRead);

        var patient = await client.GetFromJsonAsync<JsonElement>($"/fhir/Patient/{nhs}");
        var invalid = await client.GetAsync("/fhir/Patient/1234567890");
        var unknown = await client.GetAsync("/fhir/Patient/9990000018");
        var anonymous = await app.Anonymous().GetAsync($"/fhir/Patient/{nhs}");

        Assert.Equal("Patient", patient.GetProperty("resourceType").GetString());
        Assert.Equal(NhsSystem, patient.GetProperty("identifier")[0].GetProperty("system").GetString());
        Assert.Equal(nhs.Value, patient.GetProperty("identifier")[0].GetProperty("value").GetString());
        Assert.Equal("Taylor", patient.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal("female", patient.GetProperty("gender").GetString());
        Assert.Equal("1965-02-28", patient.GetProperty("birthDate").GetString());
        Assert.Equal("EC1A 1BB", patient.GetProperty("address")[0].GetProperty("postalCode").GetString());
        Assert.False(patient.TryGetProperty("deceasedDateTime", out _));
        await AssertOutcomeAsync(invalid, HttpStatusCode.BadRequest, "invalid", "INVALID");
        await AssertOutcomeAsync(unknown, HttpStatusCode.NotFound, "not-found", "NOT_FOUND");
        await AssertOutcomeAsync(anonymous, HttpStatusCode.Unauthorized, "login", "UNAUTHORIZED");
        Assert.Equal(["fhir.patient.read"], (await app.AuditFor(nhs)).Select(a => a.Action));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Immunization_Read_ReturnsUkCoreImmunization(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var first = await app.RecordAsync(client, nhs, s_now.AddDays(-60));
        var second = await app.RecordAsync(client, nhs, s_now.AddDays(-10));

        var immunization = await client.GetFromJsonAsync<JsonElement>($"/fhir/Immunization/{second}");
        var unknown = await client.GetAsync("/fhir/Immunization/0198f2a4-0000-7000-8000-000000000000");

        Assert.Equal("Immunization", immunization.GetProperty("resourceType").GetString());
        Assert.Equal(second, immunization.GetProperty("id").GetString());
        Assert.Equal("completed", immunization.GetProperty("status").GetString());
        Assert.Equal(Products.Comirnaty, immunization.GetProperty("vaccineCode").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("http://snomed.info/sct", immunization.GetProperty("vaccineCode").GetProperty("coding")[0].GetProperty("system").GetString());
        Assert.Equal(nhs.Value, immunization.GetProperty("patient").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal(s_now.AddDays(-10), immunization.GetProperty("occurrenceDateTime").GetDateTimeOffset());
        Assert.Equal("FK1234", immunization.GetProperty("lotNumber").GetString());
        Assert.Equal("2027-01-31", immunization.GetProperty("expirationDate").GetString());
        Assert.Equal("368208006", immunization.GetProperty("site").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("B87008", immunization.GetProperty("location").GetProperty("identifier").GetProperty("value").GetString());
        var protocol = immunization.GetProperty("protocolApplied")[0];
        Assert.Equal(2, protocol.GetProperty("doseNumberPositiveInt").GetInt32());
        Assert.Equal("840539006", protocol.GetProperty("targetDisease")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        var extension = immunization.GetProperty("extension")[0];
        Assert.Equal("https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure", extension.GetProperty("url").GetString());
        Assert.Equal("1324691000000104", extension.GetProperty("valueCodeableConcept").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.NotEqual(first, second);
        await AssertOutcomeAsync(unknown, HttpStatusCode.NotFound, "not-found", "NOT_FOUND");
        Assert.Contains(await app.AuditFor(nhs), a => a.Action == "fhir.immunization.read" && a.ResourceId == second);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Search_ByPatientAndTarget_ReturnsSearchsetBundleWithIncludedPatient(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var covid1 = await app.RecordAsync(client, nhs, s_now.AddDays(-100));
        var covid2 = await app.RecordAsync(client, nhs, s_now.AddDays(-40));
        var flu = await app.RecordAsync(client, nhs, s_now.AddDays(-30), Products.FluCellBased);
        var patient = Uri.EscapeDataString($"{NhsSystem}|{nhs}");

        var covid = await client.GetFromJsonAsync<JsonElement>($"/fhir/Immunization?patient.identifier={patient}&-immunization.target=COVID19");
        var both = await client.GetFromJsonAsync<JsonElement>(
            $"/fhir/Immunization?patient.identifier={patient}&-immunization.target=COVID,FLU&-date.from={s_now.AddDays(-50):yyyy-MM-dd}&-date.to={s_now:yyyy-MM-dd}");
        var byDisease = await client.GetFromJsonAsync<JsonElement>(
            $"/fhir/Immunization?patient.identifier={patient}&target-disease={Uri.EscapeDataString("http://snomed.info/sct|6142004")}");
        var none = await client.GetFromJsonAsync<JsonElement>($"/fhir/Immunization?patient.identifier={patient}&-immunization.target=RSV");

        Assert.Equal("Bundle", covid.GetProperty("resourceType").GetString());
        Assert.Equal("searchset", covid.GetProperty("type").GetString());
        Assert.Equal(2, covid.GetProperty("total").GetInt32());
        Assert.Equal([covid1, covid2], Matches(covid));
        var entries = covid.GetProperty("entry").EnumerateArray().ToList();
        Assert.EndsWith($"/fhir/Immunization/{covid1}", entries[0].GetProperty("fullUrl").GetString(), StringComparison.Ordinal);
        var included = Assert.Single(entries, e => e.GetProperty("search").GetProperty("mode").GetString() == "include");
        Assert.Equal("Patient", included.GetProperty("resource").GetProperty("resourceType").GetString());
        Assert.Equal(nhs.Value, included.GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal([covid2, flu], Matches(both));
        Assert.Equal([flu], Matches(byDisease));
        Assert.Equal(0, none.GetProperty("total").GetInt32());
        Assert.Empty(none.GetProperty("entry").EnumerateArray());
        Assert.Equal(4, (await app.AuditFor(nhs)).Count(a => a.Action == "fhir.immunization.search"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Search_ByPostWithFormBody_ReturnsTheSameBundle(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var id = await app.RecordAsync(client, nhs, s_now.AddDays(-5));

        var response = await client.PostAsync("/fhir/Immunization/_search", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["patient.identifier"] = $"{NhsSystem}|{nhs}",
            ["-immunization.target"] = "COVID19",
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([id], Matches(await response.Content.ReadFromJsonAsync<JsonElement>()));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Search_WithBadParameters_Returns400OperationOutcome(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync(Scopes.RecordsRead);
        var patient = Uri.EscapeDataString($"{NhsSystem}|{nhs}");

        await AssertOutcomeAsync(await client.GetAsync("/fhir/Immunization?-immunization.target=COVID19"), HttpStatusCode.BadRequest, "invalid", "INVALID", "missing-patient-identifier");
        await AssertOutcomeAsync(await client.GetAsync($"/fhir/Immunization?patient.identifier={patient}&-immunization.target=SMALLPOX"), HttpStatusCode.BadRequest, "invalid", "INVALID", "unknown-target");
        await AssertOutcomeAsync(await client.GetAsync($"/fhir/Immunization?patient.identifier={patient}"), HttpStatusCode.BadRequest, "invalid", "INVALID", "missing-target");
        await AssertOutcomeAsync(await client.GetAsync("/fhir/Immunization?patient.identifier=9434765919&-immunization.target=FLU"), HttpStatusCode.BadRequest, "invalid", "INVALID", "invalid-patient-identifier");
        await AssertOutcomeAsync(await client.GetAsync($"/fhir/Immunization?patient.identifier={patient}&-immunization.target=FLU&-date.from=2026-13-01"), HttpStatusCode.BadRequest, "invalid", "INVALID", "invalid-date");
        Assert.Empty(await app.AuditFor(nhs));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Create_WithNhsApiShapedBody_Returns201AndReadsBackTheSameVaccination(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();

        var response = await client.PostAsync("/fhir/Immunization", FhirBody(CreateBody(nhs.Value, "imm-0001")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var location = response.Headers.Location?.OriginalString;
        Assert.StartsWith("/fhir/Immunization/", location, StringComparison.Ordinal);
        var read = await client.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal(Products.Vaxzevria, read.GetProperty("vaccineCode").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("LOT-77A", read.GetProperty("lotNumber").GetString());
        Assert.Equal(1, read.GetProperty("protocolApplied")[0].GetProperty("doseNumberPositiveInt").GetInt32());
        Assert.Equal("2027-03-31", read.GetProperty("expirationDate").GetString());
        Assert.Equal("https://example-supplier.test/vaccinations", read.GetProperty("identifier")[0].GetProperty("system").GetString());
        Assert.Equal("imm-0001", read.GetProperty("identifier")[0].GetProperty("value").GetString());
        Assert.Equal("M85011", read.GetProperty("location").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Contains(read.GetProperty("performer").EnumerateArray(), p => p.GetProperty("actor").TryGetProperty("display", out var d) && d.GetString() == "Grace Hopper");
        Assert.Equal("11207009", read.GetProperty("site").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Contains(await app.AuditFor(nhs), a => a.Action == "fhir.immunization.create");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Create_DuplicateIdentifierOrBadContent_IsRefusedWithOperationOutcome(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/fhir/Immunization", FhirBody(CreateBody(nhs.Value, "imm-0002")))).StatusCode);

        var resent = await client.PostAsync("/fhir/Immunization", FhirBody(CreateBody(nhs.Value, "imm-0002")));
        var sameIdentifier = await client.PostAsync("/fhir/Immunization",
            FhirBody(CreateBody(nhs.Value, "imm-0002", occurred: "2026-11-19T09:00:00+00:00", product: Products.FluCellBased, target: "6142004")));
        var unknownPatient = await client.PostAsync("/fhir/Immunization", FhirBody(CreateBody("9990000018", "imm-0003")));
        var unknownProduct = await client.PostAsync("/fhir/Immunization", FhirBody(CreateBody(nhs.Value, "imm-0004", product: "999999")));
        var notJson = await client.PostAsync("/fhir/Immunization", new StringContent("{\"resourceType\": \"Immunization\",", Encoding.UTF8, "application/fhir+json"));
        var notImmunization = await client.PostAsync("/fhir/Immunization", FhirBody("{\"resourceType\": \"Patient\"}"));

        await AssertOutcomeAsync(resent, HttpStatusCode.UnprocessableEntity, "duplicate", "DUPLICATE", "duplicate-vaccination");
        await AssertOutcomeAsync(sameIdentifier, HttpStatusCode.UnprocessableEntity, "duplicate", "DUPLICATE", "duplicate-identifier");
        await AssertOutcomeAsync(unknownPatient, HttpStatusCode.BadRequest, "invalid", "INVALID", "person-not-found");
        await AssertOutcomeAsync(unknownProduct, HttpStatusCode.BadRequest, "invalid", "INVALID", "unknown-product");
        await AssertOutcomeAsync(notJson, HttpStatusCode.BadRequest, "invalid", "INVALID", "malformed-json");
        await AssertOutcomeAsync(notImmunization, HttpStatusCode.BadRequest, "invalid", "INVALID", "invalid-resource-type");
    }

    internal static async Task AssertOutcomeAsync(HttpResponseMessage response, HttpStatusCode status, string issueCode, string nhsCode, string? code = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var outcome = JsonDocument.Parse(body).RootElement;
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        var issue = outcome.GetProperty("issue")[0];
        Assert.Equal("error", issue.GetProperty("severity").GetString());
        Assert.Equal(issueCode, issue.GetProperty("code").GetString());
        var codings = issue.GetProperty("details").GetProperty("coding").EnumerateArray().Select(c => c.GetProperty("code").GetString()).ToList();
        Assert.Equal(nhsCode, codings[0]);
        if (code is not null)
        {
            Assert.Equal(code, codings[1]);
        }

        Assert.False(string.IsNullOrWhiteSpace(issue.GetProperty("diagnostics").GetString()));
    }

    private static List<string?> Matches(JsonElement bundle) =>
        bundle.GetProperty("entry").EnumerateArray()
            .Where(e => e.GetProperty("search").GetProperty("mode").GetString() == "match")
            .Select(e => e.GetProperty("resource").GetProperty("id").GetString())
            .ToList();

    private static StringContent FhirBody(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    /// <summary>An Immunization in the shape the NHS Immunisation API's create interaction takes.</summary>
    private static string CreateBody(
        string nhsNumber, string identifier, string occurred = "2026-11-18T14:05:00.000+00:00", string product = Products.Vaxzevria, string target = "840539006") =>
        $$"""
        {
          "resourceType": "Immunization",
          "contained": [
            { "resourceType": "Practitioner", "id": "Vaccinator1", "name": [{ "family": "Hopper", "given": ["Grace"] }] },
            {
              "resourceType": "Patient", "id": "Patient1",
              "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "{{nhsNumber}}" }],
              "name": [{ "family": "Taylor", "given": ["Sarah"] }],
              "gender": "female", "birthDate": "1965-02-28",
              "address": [{ "postalCode": "EC1A 1BB" }]
            }
          ],
          "extension": [{
            "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure",
            "valueCodeableConcept": { "coding": [{ "system": "http://snomed.info/sct", "code": "1324681000000101", "display": "first dose" }] }
          }],
          "identifier": [{ "system": "https://example-supplier.test/vaccinations", "value": "{{identifier}}" }],
          "status": "completed",
          "vaccineCode": { "coding": [{ "system": "http://snomed.info/sct", "code": "{{product}}", "display": "COVID-19 vaccine" }] },
          "patient": { "reference": "#Patient1" },
          "occurrenceDateTime": "{{occurred}}",
          "recorded": "2026-11-18T14:10:00+00:00",
          "primarySource": true,
          "manufacturer": { "display": "AstraZeneca Ltd" },
          "location": { "identifier": { "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "M85011" } },
          "lotNumber": "LOT-77A",
          "expirationDate": "2027-03-31",
          "site": { "coding": [{ "system": "http://snomed.info/sct", "code": "11207009", "display": "Right thigh" }] },
          "route": { "coding": [{ "system": "http://snomed.info/sct", "code": "78421000", "display": "Intramuscular" }] },
          "doseQuantity": { "value": 0.5, "unit": "milliliter", "system": "http://unitsofmeasure.org", "code": "ml" },
          "performer": [
            { "actor": { "reference": "#Vaccinator1" } },
            { "actor": { "type": "Organization", "identifier": { "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "M85011" } } }
          ],
          "reasonCode": [{ "coding": [{ "system": "http://snomed.info/sct", "code": "443684005" }] }],
          "protocolApplied": [{
            "targetDisease": [{ "coding": [{ "system": "http://snomed.info/sct", "code": "{{target}}" }] }],
            "doseNumberPositiveInt": 1
          }]
        }
        """;
}
