using Immunise.People;

namespace Immunise.Records;

/// <summary>The stored shape of a vaccination event, and the SQL that reads it.</summary>
internal sealed class VaccinationRow
{
    public const string Columns =
        """
        id, nhs_number, target_disease, product_code, dose_number, occurred_at, site_ods_code, batch_number, batch_expiry,
        route_code, body_site_code, performer, primary_source, status, recorded_at, recorded_by, source_system,
        source_identifier, entered_in_error_at, entered_in_error_reason
        """;

    public string Id { get; set; } = "";
    public string NhsNumber { get; set; } = "";
    public string TargetDisease { get; set; } = "";
    public string ProductCode { get; set; } = "";
    public int DoseNumber { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public string SiteOdsCode { get; set; } = "";
    public string? BatchNumber { get; set; }
    public DateOnly? BatchExpiry { get; set; }
    public string? RouteCode { get; set; }
    public string? BodySiteCode { get; set; }
    public string? Performer { get; set; }
    public bool PrimarySource { get; set; }
    public string Status { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
    public string RecordedBy { get; set; } = "";
    public string? SourceSystem { get; set; }
    public string? SourceIdentifier { get; set; }
    public DateTimeOffset? EnteredInErrorAt { get; set; }
    public string? EnteredInErrorReason { get; set; }

    public VaccinationEvent ToEvent() => new(
        Id, People.NhsNumber.Parse(NhsNumber), TargetDisease, ProductCode, DoseNumber, OccurredAt, SiteOdsCode, BatchNumber,
        BatchExpiry, RouteCode, BodySiteCode, Performer, PrimarySource, Status, RecordedAt, RecordedBy, SourceSystem,
        SourceIdentifier, EnteredInErrorAt, EnteredInErrorReason);
}
