using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Immunise.Web.Api;

/// <summary>Describes the API in the OpenAPI document: its purpose, and the API key the operations that need one require.</summary>
public sealed class ApiKeySecurityTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Immunise register API";
        document.Info.Description =
            "Read people and their vaccinations, record vaccinations, mark them entered in error. Errors are RFC 9457 problem "
            + "details with a stable `code` (and `field`): 400 for requests that break a rule, 404 when the person or record is "
            + "not there, 409 for duplicates and conflicts with the recorded history, 413 for bodies over 1 MB, 415 for non-JSON "
            + "bodies. FHIR R4 endpoints are under /fhir (see /fhir/metadata).";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Api-Key",
            Description = "An API key (imm_…). Scope records:read to read, records:write to record. `Authorization: ApiKey imm_…` also works.",
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        // Staff endpoints sign in with the staff cookie, not an API key.
        if (metadata.OfType<IAuthorizeData>().Any(a => a is not Staff.StaffAccessAttribute) && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", context.Document)] = [] }];
        }

        return Task.CompletedTask;
    }
}
