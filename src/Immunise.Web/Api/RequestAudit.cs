using Immunise.Audit;
using Immunise.People;
using Immunise.Web.Access;

namespace Immunise.Web.Api;

/// <summary>Writes an audit line for a request: the API key as actor, the caller's stated purpose and correlation id.</summary>
public static class RequestAudit
{
    public const string PurposeHeader = "X-Access-Purpose";
    public const string CorrelationHeader = "X-Correlation-ID";

    public static Task WriteAsync(this AuditLog audit, HttpContext context, string action, NhsNumber? nhsNumber,
        string? resourceType = null, string? resourceId = null) =>
        // The read has happened: record it even if the caller has gone.
        audit.WriteAsync(Entry(context, action, nhsNumber, resourceType, resourceId), CancellationToken.None);

    /// <summary>The audit line for a request: the API key as actor, the caller's stated purpose and correlation id.</summary>
    public static AuditEntry Entry(HttpContext context, string action, NhsNumber? nhsNumber, string? resourceType = null, string? resourceId = null)
    {
        var purpose = context.Request.Headers[PurposeHeader].ToString();
        var correlation = context.Request.Headers[CorrelationHeader].ToString();
        return new AuditEntry(
            Actor.ApiKey(context.User.KeyName()),
            action,
            nhsNumber,
            resourceType,
            resourceId,
            string.IsNullOrWhiteSpace(purpose) ? null : purpose.Trim(),
            string.IsNullOrWhiteSpace(correlation) ? context.TraceIdentifier : correlation.Trim());
    }
}
