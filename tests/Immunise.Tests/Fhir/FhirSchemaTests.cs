using System.Text.Json.Nodes;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;

namespace Immunise.Tests.Fhir;

/// <summary>Everything /fhir answers is valid FHIR R4, checked with the official FHIR R4 JSON schema.</summary>
public sealed class FhirSchemaTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task FhirOutput_EveryResourceKind_IsValidAgainstTheR4Schema(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var id = await app.RecordAsync(client, nhs, ImmuniseApp.Now.AddDays(-30));
        await app.RecordAsync(client, nhs, ImmuniseApp.Now.AddDays(-3), Products.FluCellBased);
        var patient = Uri.EscapeDataString($"https://fhir.nhs.uk/Id/nhs-number|{nhs}");

        var resources = new[]
        {
            await GetAsync(client, "/fhir/metadata"),
            await GetAsync(client, $"/fhir/Patient/{nhs}"),
            await GetAsync(client, $"/fhir/Immunization/{id}"),
            await GetAsync(client, $"/fhir/Immunization?patient.identifier={patient}&-immunization.target=COVID19,FLU"),
            await GetAsync(client, $"/fhir/Immunization?patient.identifier={patient}&-immunization.target=NOPE"),
            await GetAsync(client, "/fhir/Patient/1234567890"),
            await GetAsync(app.Anonymous(), $"/fhir/Patient/{nhs}"),
        };

        Assert.Equal(
            ["CapabilityStatement", "Patient", "Immunization", "Bundle", "OperationOutcome", "OperationOutcome", "OperationOutcome"],
            resources.Select(r => (string?)r["resourceType"]));
        Assert.Equal(3, resources[3]["entry"]!.AsArray().Count); // two immunizations and the included patient
        await FhirSchema.AssertValidAsync(resources);
    }

    [Fact]
    public async Task FhirSchema_InvalidResource_IsReportedWithTheFieldAtFault()
    {
        var results = await FhirSchema.ValidateAsync(JsonNode.Parse("""{"resourceType":"Patient","gender":"woman"}""")!);

        Assert.Contains(results[0], e => e.Contains("/gender", StringComparison.Ordinal));
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
