using System.Data.Common;
using Immunise.People;
using Column = Immunise.Storage.Columns;

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

    /// <summary>Maps a row selected with <see cref="Columns"/>, by position (the history lookup's hot path).</summary>
    public static VaccinationRow Read(DbDataReader reader) => new()
    {
        Id = Column.Text(reader, 0),
        NhsNumber = Column.Text(reader, 1),
        TargetDisease = Column.Text(reader, 2),
        ProductCode = Column.Text(reader, 3),
        DoseNumber = Column.Integer(reader, 4),
        OccurredAt = Column.Instant(reader, 5),
        SiteOdsCode = Column.Text(reader, 6),
        BatchNumber = Column.TextOrNull(reader, 7),
        BatchExpiry = Column.DateOrNull(reader, 8),
        RouteCode = Column.TextOrNull(reader, 9),
        BodySiteCode = Column.TextOrNull(reader, 10),
        Performer = Column.TextOrNull(reader, 11),
        PrimarySource = Column.Boolean(reader, 12),
        Status = Column.Text(reader, 13),
        RecordedAt = Column.Instant(reader, 14),
        RecordedBy = Column.Text(reader, 15),
        SourceSystem = Column.TextOrNull(reader, 16),
        SourceIdentifier = Column.TextOrNull(reader, 17),
        EnteredInErrorAt = Column.InstantOrNull(reader, 18),
        EnteredInErrorReason = Column.TextOrNull(reader, 19),
    };

    public VaccinationEvent ToEvent() => new(
        Id, People.NhsNumber.FromStored(NhsNumber), TargetDisease, ProductCode, DoseNumber, OccurredAt, SiteOdsCode, BatchNumber,
        BatchExpiry, RouteCode, BodySiteCode, Performer, PrimarySource, Status, RecordedAt, RecordedBy, SourceSystem,
        SourceIdentifier, EnteredInErrorAt, EnteredInErrorReason);
}
